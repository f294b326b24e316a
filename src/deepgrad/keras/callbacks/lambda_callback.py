"""``LambdaCallback``: a callback made of plain functions, e.g. ``LambdaCallback(on_epoch_end=lambda e, logs: ...)``."""
from __future__ import annotations

from deepgrad.keras.callbacks.callback import Callback

_HOOKS = ("on_train_begin", "on_train_end", "on_epoch_begin", "on_epoch_end", "on_train_batch_begin",
          "on_train_batch_end", "on_test_begin", "on_test_end", "on_test_batch_begin", "on_test_batch_end",
          "on_predict_begin", "on_predict_end", "on_predict_batch_begin", "on_predict_batch_end")


class LambdaCallback(Callback):
    def __init__(self, **hooks):
        super().__init__()
        for legacy, name in (("on_batch_begin", "on_train_batch_begin"), ("on_batch_end", "on_train_batch_end")):
            if legacy in hooks:
                hooks[name] = hooks.pop(legacy)
        unknown = sorted(set(hooks) - set(_HOOKS))
        if unknown:
            raise TypeError(f"LambdaCallback: unknown hook(s) {unknown}; known: {list(_HOOKS)}")
        for name, fn in hooks.items():
            if fn is not None:
                setattr(self, name, fn)


__all__ = ["LambdaCallback"]
