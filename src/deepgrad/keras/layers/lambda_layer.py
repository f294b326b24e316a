"""``Lambda(function)``: wrap an expression of deepgrad ops as a layer (``Lambda(lambda x: x * 2)``).

The output shape is ``output_shape`` when given (without the batch dim, or a function of the
input shape), else found by running ``function`` once on zeros.  A Lambda holds Python code,
which a saved file never carries: ``model.save`` refuses it (rebuild the model in code and use
``save_weights``/``load_weights``, or write a registered Layer subclass).
"""
from __future__ import annotations

import numpy as np

from deepgrad.keras.layers.layer import Layer


class Lambda(Layer):
    def __init__(self, function, output_shape=None, mask=None, arguments=None, **kwargs):
        super().__init__(**kwargs)
        if not callable(function):
            raise TypeError(f"Lambda: function must be callable, got {type(function).__name__}")
        if mask is not None:
            raise NotImplementedError("Lambda: mask is not supported")
        self.function = function
        self.output_shape_arg = output_shape
        self.arguments = dict(arguments or {})

    def call(self, x, training=False):
        return self.function(x, **self.arguments)

    def compute_output_shape(self, input_shape):
        if callable(self.output_shape_arg):
            return tuple(self.output_shape_arg(input_shape))
        if self.output_shape_arg is not None:
            return (input_shape[0],) + tuple(self.output_shape_arg)
        from deepgrad.autograd import no_grad
        from deepgrad.keras.layers.layer import to_tensor

        def zeros(shape):
            return to_tensor(np.zeros(tuple(1 if d is None else d for d in shape), np.float32))

        x = [zeros(s) for s in input_shape] if isinstance(input_shape, list) else zeros(input_shape)
        with no_grad():
            y = self.call(x)
        first = input_shape[0][0] if isinstance(input_shape, list) else input_shape[0]
        return (first,) + tuple(y.shape[1:])

    def get_config(self):
        raise NotImplementedError(f"Lambda '{self.name}': a Lambda layer holds Python code and cannot be saved; "
                                  "rebuild the model in code and use save_weights/load_weights, or write a Layer "
                                  "subclass registered with keras.saving.register_serializable")


__all__ = ["Lambda"]
