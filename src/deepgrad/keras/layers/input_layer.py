"""``Input`` / ``InputLayer``: where a functional model starts (``Input(shape=(784,))``)."""
from __future__ import annotations

from deepgrad.keras.layers.keras_tensor import KerasTensor
from deepgrad.keras.layers.layer import Layer


class InputLayer(Layer):
    """Holds the input shape; calling it is the identity."""

    def __init__(self, shape=None, batch_size=None, dtype=None, name=None, batch_shape=None, input_shape=None,
                 **kwargs):
        if shape is None and input_shape is not None:
            shape = input_shape
        if batch_shape is None:
            if shape is None:
                raise ValueError("InputLayer: pass shape= (without the batch dimension), e.g. shape=(784,)")
            if isinstance(shape, int):
                shape = (shape,)
            batch_shape = (batch_size,) + tuple(shape)
        kwargs.pop("sparse", None)
        kwargs.pop("ragged", None)
        super().__init__(name=name, dtype=dtype, batch_input_shape=batch_shape, **kwargs)
        self.batch_shape = self._batch_input_shape
        self.built = True
        self.input_shape = self.output_shape = self.batch_shape
        self._nodes = [KerasTensor(self.batch_shape, dtype=self.dtype, layer=self, name=self.name)]

    @property
    def input(self):
        return self.output  # Keras: an Input layer's input and output are the same tensor

    def call(self, x, training=False):
        return x

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "batch_shape": list(self.batch_shape)}


def Input(shape=None, batch_size=None, dtype=None, name=None, batch_shape=None, **kwargs):  # noqa: N802 - Keras's name
    """A symbolic input of ``shape`` (without the batch dim): ``x = Input(shape=(784,))``."""
    return InputLayer(shape=shape, batch_size=batch_size, dtype=dtype, name=name, batch_shape=batch_shape,
                      **kwargs).output


__all__ = ["Input", "InputLayer"]
