"""Layers that merge a list of inputs: ``Add``, ``Subtract``, ``Multiply``, ``Average``, ``Concatenate``.

For residual connections in the functional API: ``y = Add()([x, Dense(64)(x)])``.
"""
from __future__ import annotations

from deepgrad.keras.layers.layer import Layer
from deepgrad.nn import functional as F


class _Merge(Layer):
    def _check(self, input_shape):
        if not isinstance(input_shape, list) or len(input_shape) < 2:
            raise ValueError(f"{type(self).__name__} '{self.name}': expected a list of at least 2 inputs, "
                             f"got {input_shape}")

    def build(self, input_shape):
        self._check(input_shape)
        shapes = {tuple(s[1:]) for s in input_shape}
        if len(shapes) > 1:
            raise ValueError(f"{type(self).__name__} '{self.name}': inputs must have the same shape, got "
                             f"{[tuple(s) for s in input_shape]}")

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[0])


class Add(_Merge):
    def call(self, inputs, training=False):
        out = inputs[0]
        for x in inputs[1:]:
            out = out + x
        return out


class Subtract(_Merge):
    def build(self, input_shape):
        super().build(input_shape)
        if len(input_shape) != 2:
            raise ValueError(f"Subtract '{self.name}': expected exactly 2 inputs, got {len(input_shape)}")

    def call(self, inputs, training=False):
        return inputs[0] - inputs[1]


class Multiply(_Merge):
    def call(self, inputs, training=False):
        out = inputs[0]
        for x in inputs[1:]:
            out = out * x
        return out


class Average(_Merge):
    def call(self, inputs, training=False):
        out = inputs[0]
        for x in inputs[1:]:
            out = out + x
        return out * (1.0 / len(inputs))


class Concatenate(_Merge):
    """Join along ``axis`` (the last by default)."""

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = int(axis)

    def build(self, input_shape):
        self._check(input_shape)
        nd = len(input_shape[0])
        ax = self.axis % nd
        rest = {tuple(d for i, d in enumerate(s) if i != ax and i != 0) for s in input_shape}
        if len(rest) > 1 or any(len(s) != nd for s in input_shape):
            raise ValueError(f"Concatenate '{self.name}': inputs must match except on axis {self.axis}, got "
                             f"{[tuple(s) for s in input_shape]}")

    def call(self, inputs, training=False):
        return F.cat(list(inputs), dim=self.axis)

    def compute_output_shape(self, input_shape):
        ax = self.axis % len(input_shape[0])
        sizes = [s[ax] for s in input_shape]
        out = list(input_shape[0])
        out[ax] = None if any(d is None for d in sizes) else sum(sizes)
        return tuple(out)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


__all__ = ["Add", "Subtract", "Multiply", "Average", "Concatenate"]
