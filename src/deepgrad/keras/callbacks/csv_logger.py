"""``CSVLogger(filename)``: one row per epoch (epoch, then the logs in sorted order)."""
from __future__ import annotations

import csv
import os

from deepgrad.keras.callbacks.callback import Callback


class CSVLogger(Callback):
    def __init__(self, filename, separator=",", append=False):
        super().__init__()
        self.filename = os.fspath(filename)
        self.sep = separator
        self.append = append
        self.keys = None
        self._file = None

    def on_train_begin(self, logs=None):
        header_needed = True
        if self.append and os.path.exists(self.filename):
            with open(self.filename) as f:
                header_needed = not bool(f.readline())
        self._file = open(self.filename, "a" if self.append else "w", newline="")  # noqa: SIM115
        self._writer = None
        self._header_needed = header_needed
        self.keys = None

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.keys is None:
            self.keys = sorted(logs)
            self._writer = csv.DictWriter(self._file, fieldnames=["epoch", *self.keys], delimiter=self.sep)
            if self._header_needed:
                self._writer.writeheader()
        row = {"epoch": epoch, **{k: logs.get(k, "NA") for k in self.keys}}
        self._writer.writerow(row)
        self._file.flush()

    def on_train_end(self, logs=None):
        if self._file is not None:
            self._file.close()
            self._file = None


__all__ = ["CSVLogger"]
