"""Reshaping layers: ``Flatten``, ``Reshape``, ``Permute``, ``RepeatVector`` (channels-last order, as Keras)."""
from __future__ import annotations

import math

from deepgrad.keras.layers.layer import Layer


class Flatten(Layer):
    """(N, d1, d2, ...) -> (N, d1*d2*...)."""

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = data_format or "channels_last"

    def call(self, x, training=False):
        if self.data_format == "channels_first" and x.ndim > 2:
            x = x.permute(0, *range(2, x.ndim), 1)
        return x.reshape(x.shape[0], -1)

    def compute_output_shape(self, input_shape):
        rest = input_shape[1:]
        return (input_shape[0], None if any(d is None for d in rest) else int(math.prod(rest)))

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format}


class Reshape(Layer):
    """(N, ...) -> (N, *target_shape); one entry of target_shape may be -1."""

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        self.target_shape = tuple(int(d) for d in target_shape)
        if sum(d == -1 for d in self.target_shape) > 1:
            raise ValueError(f"Reshape: at most one -1 in target_shape, got {self.target_shape}")

    def call(self, x, training=False):
        return x.reshape((x.shape[0],) + self.target_shape)

    def compute_output_shape(self, input_shape):
        shape = list(self.target_shape)
        if -1 in shape:
            rest = input_shape[1:]
            if any(d is None for d in rest):
                shape[shape.index(-1)] = None
            else:
                known = math.prod(d for d in shape if d != -1)
                total = math.prod(rest)
                if known == 0 or total % known:
                    raise ValueError(f"Reshape '{self.name}': cannot reshape {input_shape} into {self.target_shape}")
                shape[shape.index(-1)] = total // known
        elif all(d is not None for d in input_shape[1:]) and math.prod(input_shape[1:]) != math.prod(shape):
            raise ValueError(
                f"Reshape '{self.name}': input shape {tuple(input_shape)} has {math.prod(input_shape[1:])} values "
                f"per sample, target shape {self.target_shape} has {math.prod(shape)}"
            )
        return (input_shape[0],) + tuple(shape)

    def get_config(self):
        return {**super().get_config(), "target_shape": list(self.target_shape)}


class Permute(Layer):
    """Reorder the non-batch axes: ``Permute((2, 1))`` swaps axes 1 and 2 (dims count from 1)."""

    def __init__(self, dims, **kwargs):
        super().__init__(**kwargs)
        self.dims = tuple(int(d) for d in dims)
        if sorted(self.dims) != list(range(1, len(self.dims) + 1)):
            raise ValueError(f"Permute: dims must be a permutation of 1..{len(self.dims)}, got {self.dims}")

    def call(self, x, training=False):
        self._check(x.shape)
        return x.permute(0, *self.dims)

    def _check(self, shape):
        if len(shape) != len(self.dims) + 1:
            raise ValueError(f"Permute '{self.name}': dims {self.dims} need a {len(self.dims) + 1}-D input, got "
                             f"shape {tuple(shape)}")

    def compute_output_shape(self, input_shape):
        self._check(input_shape)
        return (input_shape[0],) + tuple(input_shape[d] for d in self.dims)

    def get_config(self):
        return {**super().get_config(), "dims": list(self.dims)}


class RepeatVector(Layer):
    """(N, features) -> (N, n, features): the input repeated n times."""

    def __init__(self, n, **kwargs):
        super().__init__(**kwargs)
        self.n = int(n)

    def call(self, x, training=False):
        self._check(x.shape)
        b, f = x.shape
        return x.reshape(b, 1, f).expand(b, self.n, f)

    def _check(self, shape):
        if len(shape) != 2:
            raise ValueError(f"RepeatVector '{self.name}': expected a 2-D input (batch, features), got shape "
                             f"{tuple(shape)}")

    def compute_output_shape(self, input_shape):
        self._check(input_shape)
        return (input_shape[0], self.n, input_shape[1])

    def get_config(self):
        return {**super().get_config(), "n": self.n}


__all__ = ["Flatten", "Reshape", "Permute", "RepeatVector"]
