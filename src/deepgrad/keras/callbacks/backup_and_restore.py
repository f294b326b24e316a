"""``BackupAndRestore``: resume a ``fit`` that crashed, was killed or was stopped with Ctrl-C.

    backup = keras.callbacks.BackupAndRestore("runs/backup")
    model.fit(x, y, epochs=10, callbacks=[backup])   # killed in epoch 4...
    model.fit(x, y, epochs=10, callbacks=[backup])   # ...goes on from epoch 4

During ``fit`` the callback saves, through ``deepgrad.train.Checkpointer`` (atomic files, no
pickle), the model's weights, the optimizer's state, the position (epoch, batch), the running
loss, and every RNG state.  Resuming is exact on CPU: a fit interrupted and run again ends with
the same weights, bit for bit, as one never interrupted.  That needs the RNG states: ``fit``
shuffles each epoch with deepgrad's seeded generator, and dropout draws from it too, so without
them the resumed epochs would see other batch orders.  A resume in the middle of an epoch
(``save_freq=N`` batches, or Ctrl-C) also keeps the generator's state from the start of that
epoch, to draw the same order again, then continues with the state at the interruption.
Metric objects other than the loss restart their running values at a mid-epoch resume.

When ``fit`` ends normally the backup is deleted (``delete_checkpoint=True``); after an
exception, a kill or Ctrl-C it stays for the next ``fit``.
"""
from __future__ import annotations

import os

import numpy as np

from deepgrad.keras.callbacks.callback import Callback


class BackupAndRestore(Callback):
    """Back up the training state to ``backup_dir`` each epoch (or every ``save_freq`` batches)."""

    def __init__(self, backup_dir, save_freq="epoch", delete_checkpoint=True):
        super().__init__()
        if not backup_dir:
            raise ValueError("BackupAndRestore: backup_dir must be a directory path")
        if save_freq != "epoch" and (isinstance(save_freq, bool) or not isinstance(save_freq, int) or save_freq < 1):
            raise ValueError(f"BackupAndRestore: save_freq must be 'epoch' or a positive int, got {save_freq!r}")
        self.backup_dir = os.fspath(backup_dir)
        self.save_freq = save_freq
        self.delete_checkpoint = bool(delete_checkpoint)
        self._batches = 0
        self._ckpt = None

    def _checkpointer(self):
        from deepgrad.train import Checkpointer

        if self._ckpt is None:
            self._ckpt = Checkpointer(self.backup_dir, keep=1)
        return self._ckpt

    # -- save / restore ----------------------------------------------------------------------------
    def save(self, epoch, step):
        """Write the state to resume at batch ``step`` of ``epoch`` (step 0: the start of the epoch)."""
        model = self.model
        steps = max(int(self.params.get("steps") or 1), 1)
        objects = {"weights": model.get_weights(), "epoch": int(epoch), "batch": int(step),
                   "epoch_rng": getattr(model, "_epoch_start_rng", None) if step else None,
                   "loss_total": float(getattr(model, "_loss_total", 0.0)) if step else 0.0,
                   "loss_count": int(getattr(model, "_loss_count", 0)) if step else 0}
        if model.optimizer is not None and model.optimizer.built:
            objects["optimizer"] = model.optimizer.inner
            objects["iterations"] = int(model.optimizer.iterations)  # Keras's step count (Adam's epsilon, schedules)
        return self._checkpointer().save(int(epoch) * (steps + 1) + int(step), **objects)

    def on_train_begin(self, logs=None):
        ckpt = self._checkpointer()
        self._batches = 0
        if ckpt.latest() is None:
            return
        model = self.model
        if model.optimizer is not None and not model.optimizer.built and model.trainable_weights:
            model.optimizer.build(model.trainable_weights)
        objects = {} if model.optimizer is None or not model.optimizer.built else {"optimizer": model.optimizer.inner}
        values = ckpt.restore(strict=False, **objects)  # also restores every RNG state
        if values is None:
            return
        model.set_weights([np.asarray(w.numpy() if hasattr(w, "numpy") else w) for w in values["weights"]])
        if "iterations" in values and model.optimizer is not None:
            model.optimizer.iterations = int(values["iterations"])
        model._resume_point = {"epoch": int(values["epoch"]), "step": int(values["batch"]),
                               "epoch_rng": _plain(values.get("epoch_rng")),
                               "loss_total": float(values.get("loss_total", 0.0)),
                               "loss_count": int(values.get("loss_count", 0))}

    def on_train_batch_end(self, batch, logs=None):
        if self.save_freq == "epoch":
            return
        self._batches += 1
        if self._batches % self.save_freq == 0:
            self.save(self.model._fit_position[0], batch + 1)

    def on_epoch_end(self, epoch, logs=None):
        if self.save_freq == "epoch":
            self.save(epoch + 1, 0)

    def on_train_end(self, logs=None):
        model = self.model
        if getattr(model, "fit_interrupted", False):
            epoch, step = model._fit_position
            self.save(epoch, step)
            return
        if self.delete_checkpoint:
            ckpt = self._checkpointer()
            for _, path in ckpt.checkpoints():
                try:
                    os.unlink(path)
                except FileNotFoundError:
                    pass
            try:
                os.rmdir(self.backup_dir)
            except OSError:
                pass
            self._ckpt = None


def _plain(obj):
    """Tensors read back from a checkpoint as numpy arrays (RNG states want arrays or ints)."""
    if hasattr(obj, "numpy") and not isinstance(obj, np.ndarray):
        return obj.numpy()
    if isinstance(obj, dict):
        return {k: _plain(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_plain(v) for v in obj]
    return obj


__all__ = ["BackupAndRestore"]
