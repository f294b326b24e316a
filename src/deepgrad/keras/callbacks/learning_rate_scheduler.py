"""``LearningRateScheduler(schedule)``: set the learning rate at each epoch start to ``schedule(epoch, lr)``.

E.g. seed 001's 1/t decay: ``LearningRateScheduler(lambda epoch, lr: 0.1 / math.sqrt(epoch + 1))``.
"""
from __future__ import annotations

from deepgrad.keras.callbacks.callback import Callback


class LearningRateScheduler(Callback):
    def __init__(self, schedule, verbose=0):
        super().__init__()
        self.schedule = schedule
        self.verbose = verbose

    def on_epoch_begin(self, epoch, logs=None):
        opt = self.model.optimizer
        lr = float(opt.learning_rate)
        try:
            lr = self.schedule(epoch, lr)
        except TypeError:  # a schedule of the epoch alone
            lr = self.schedule(epoch)
        if not isinstance(lr, (int, float)) or isinstance(lr, bool):
            raise ValueError(f"LearningRateScheduler: the schedule must return a float, got {lr!r}")
        opt.learning_rate = float(lr)
        if self.verbose > 0:
            print(f"Epoch {epoch + 1}: LearningRateScheduler setting learning rate to {lr}.")

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = float(self.model.optimizer.learning_rate)


__all__ = ["LearningRateScheduler"]
