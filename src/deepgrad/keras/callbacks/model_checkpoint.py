"""``ModelCheckpoint``: save the model (or its weights) at the end of epochs, optionally only the best.

``filepath`` may hold format fields filled from the epoch (1-based) and the logs:
``'ckpt-{epoch:02d}-{val_loss:.2f}.keras'``.  Full models go to ``.keras`` files, weights to
``.weights.npz`` or Keras 3's ``.weights.h5`` (``save_weights_only=True``).
"""
from __future__ import annotations

import os

from deepgrad.keras.callbacks._monitor import get_monitor_value, monitor_mode
from deepgrad.keras.callbacks.callback import Callback


class ModelCheckpoint(Callback):
    def __init__(self, filepath, monitor="val_loss", verbose=0, save_best_only=False, save_weights_only=False,
                 mode="auto", save_freq="epoch", initial_value_threshold=None):
        super().__init__()
        self.filepath = os.fspath(filepath)
        self.monitor = monitor
        self.verbose = verbose
        self.save_best_only = save_best_only
        self.save_weights_only = save_weights_only
        if save_freq != "epoch":
            raise NotImplementedError("ModelCheckpoint: only save_freq='epoch' is supported")
        if save_weights_only and not self.filepath.endswith((".weights.npz", ".weights.h5")):
            raise ValueError(f"ModelCheckpoint: with save_weights_only=True the filepath must end in "
                             f"'.weights.npz' or '.weights.h5' (Keras 3's, needs h5py), got {self.filepath!r}")
        if not save_weights_only and not self.filepath.endswith(".keras"):
            raise ValueError(f"ModelCheckpoint: the filepath must end in '.keras', got {self.filepath!r}")
        self.mode = monitor_mode(monitor, mode, "ModelCheckpoint")
        if initial_value_threshold is not None:
            self.best = float(initial_value_threshold)
        else:
            self.best = float("inf") if self.mode == "min" else float("-inf")

    def _better(self, value):
        return value < self.best if self.mode == "min" else value > self.best

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        path = self.filepath.format(epoch=epoch + 1, **logs)
        if self.save_best_only:
            current = get_monitor_value(logs, self.monitor, "ModelCheckpoint")
            if current is None:
                return
            if not self._better(current):
                if self.verbose > 0:
                    print(f"Epoch {epoch + 1}: {self.monitor} did not improve from {self.best:.5f}")
                return
            if self.verbose > 0:
                print(f"Epoch {epoch + 1}: {self.monitor} improved from {self.best:.5f} to {current:.5f}, "
                      f"saving model to {path}")
            self.best = current
        elif self.verbose > 0:
            print(f"Epoch {epoch + 1}: saving model to {path}")
        if self.save_weights_only:
            self.model.save_weights(path)
        else:
            self.model.save(path)


__all__ = ["ModelCheckpoint"]
