"""``Callback`` (hooks called by fit/evaluate/predict) and ``CallbackList`` (calls many of them).

Hooks, as in Keras: ``on_train_begin/end``, ``on_epoch_begin/end(epoch, logs)``,
``on_train_batch_begin/end(batch, logs)``, ``on_test_*`` and ``on_predict_*``.  A callback
reads ``self.model`` (set by ``set_model``) and ``self.params`` ({'epochs', 'steps', 'verbose'})
and may set ``self.model.stop_training = True``.
"""
from __future__ import annotations


class Callback:
    def __init__(self):
        self.model = None
        self.params = {}

    def set_model(self, model):
        self.model = model

    def set_params(self, params):
        self.params = params

    def on_train_begin(self, logs=None): ...
    def on_train_end(self, logs=None): ...
    def on_epoch_begin(self, epoch, logs=None): ...
    def on_epoch_end(self, epoch, logs=None): ...
    def on_train_batch_begin(self, batch, logs=None): ...
    def on_train_batch_end(self, batch, logs=None): ...
    def on_test_begin(self, logs=None): ...
    def on_test_end(self, logs=None): ...
    def on_test_batch_begin(self, batch, logs=None): ...
    def on_test_batch_end(self, batch, logs=None): ...
    def on_predict_begin(self, logs=None): ...
    def on_predict_end(self, logs=None): ...
    def on_predict_batch_begin(self, batch, logs=None): ...
    def on_predict_batch_end(self, batch, logs=None): ...

    # Keras 2's names for the training-batch hooks
    def on_batch_begin(self, batch, logs=None):
        self.on_train_batch_begin(batch, logs)

    def on_batch_end(self, batch, logs=None):
        self.on_train_batch_end(batch, logs)


class CallbackList:
    """Forwards every hook to each callback in order."""

    def __init__(self, callbacks=None, model=None, params=None):
        self.callbacks = list(callbacks or [])
        for cb in self.callbacks:
            if not isinstance(cb, Callback):
                raise TypeError(f"callbacks: expected Callback instances, got {type(cb).__name__}")
        self.model = model
        self.params = params or {}
        for cb in self.callbacks:
            cb.set_model(model)
            cb.set_params(self.params)

    def append(self, cb):
        cb.set_model(self.model)
        cb.set_params(self.params)
        self.callbacks.append(cb)

    def _call(self, hook, *args):
        n = 1 if hook.split("_")[1] in ("train", "test", "predict") and hook.count("_") == 2 else 2
        if len(args) < n:  # Keras always passes a logs dict
            args = args + ({},)
        for cb in self.callbacks:
            getattr(cb, hook)(*args)

    def __getattr__(self, hook):
        if hook.startswith("on_"):
            return lambda *args: self._call(hook, *args)
        raise AttributeError(hook)


__all__ = ["Callback", "CallbackList"]
