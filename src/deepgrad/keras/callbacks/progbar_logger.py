"""``ProgbarLogger``: a progress bar per epoch with loss, metrics and ETA (tqdm when installed).

``verbose=1`` draws a bar that updates as batches finish; ``verbose=2`` prints one line per
epoch.  Without tqdm, verbose=1 prints a plain text line at the end of each epoch (and a few
in between for long epochs).
"""
from __future__ import annotations

import sys
import time

from deepgrad.keras.callbacks.callback import Callback

try:  # optional dependency: pip install 'deepgrad[progress]'
    from tqdm.auto import tqdm as _tqdm
except ImportError:  # pragma: no cover - depends on the environment
    _tqdm = None


def _value(v):
    if not isinstance(v, float):
        return str(v)
    return f"{v:.4f}" if v > 1e-3 else f"{v:.4e}"  # Keras's progbar: tiny values in scientific notation


def format_logs(logs):
    return " - ".join(f"{k}: {_value(v)}" for k, v in (logs or {}).items())


def format_time(seconds_per_step, unit="step"):
    """Keras's ' 23ms/step' (s, ms or us)."""
    if seconds_per_step >= 1 or seconds_per_step == 0:
        return f" {seconds_per_step:.0f}s/{unit}"
    if seconds_per_step >= 1e-3:
        return f" {seconds_per_step * 1000.0:.0f}ms/{unit}"
    return f" {seconds_per_step * 1e6:.0f}us/{unit}"


class ProgbarLogger(Callback):
    def __init__(self, verbose=1, file=None, use_tqdm=None):
        super().__init__()
        self.verbose = verbose
        self.file = file
        self.use_tqdm = (_tqdm is not None) if use_tqdm is None else bool(use_tqdm and _tqdm is not None)
        self._bar = None

    def _out(self):
        return self.file or sys.stdout

    def on_epoch_begin(self, epoch, logs=None):
        self.epochs = self.params.get("epochs", 1)
        self.steps = self.params.get("steps")
        self._start = time.perf_counter()
        self._last_print = self._start
        self._seen = 0
        if self.verbose == 1 and self.use_tqdm:
            self._bar = _tqdm(total=self.steps, desc=f"Epoch {epoch + 1}/{self.epochs}", unit="batch",
                              file=self._out(), leave=True, dynamic_ncols=True)
        elif self.verbose:
            print(f"Epoch {epoch + 1}/{self.epochs}", file=self._out(), flush=True)

    def on_train_batch_end(self, batch, logs=None):
        self._seen = batch + 1
        if self._bar is not None:
            self._bar.update(1)
            if self._bar.n == 1 or time.perf_counter() - self._last_print > 0.2:
                self._last_print = time.perf_counter()
                self._bar.set_postfix({k: f"{v:.4f}" for k, v in (logs or {}).items()}, refresh=False)
        elif self.verbose == 1 and time.perf_counter() - self._last_print > 10.0:
            self._last_print = time.perf_counter()
            print(f"{self._seen}/{self.steps} - {format_logs(logs)}", file=self._out(), flush=True)

    def on_epoch_end(self, epoch, logs=None):
        elapsed = time.perf_counter() - self._start
        if self._bar is not None:
            self._bar.set_postfix({k: f"{v:.4f}" for k, v in (logs or {}).items()}, refresh=True)
            self._bar.close()
            self._bar = None
        elif self.verbose:
            steps = self.steps or self._seen
            count = f"{self._seen:>{len(str(steps))}}/{steps}"
            line = f"{count} - {elapsed:.0f}s -{format_time(elapsed / max(self._seen, 1))}"
            if logs:
                line += f" - {format_logs(logs)}"
            print(line, file=self._out(), flush=True)

    def on_train_end(self, logs=None):
        if self._bar is not None:
            self._bar.close()
            self._bar = None


__all__ = ["ProgbarLogger"]
