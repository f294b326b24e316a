"""Layers that merge a list of inputs: ``Add``, ``Subtract``, ``Multiply``, ``Average``, ``Maximum``,
``Minimum``, ``Dot``, ``Concatenate``.

For residual connections in the functional API: ``y = Add()([x, Dense(64)(x)])``.
"""
from __future__ import annotations

from deepgrad.keras.layers.layer import Layer
from deepgrad.keras.layers.masking import concatenate_mask, merge_mask
from deepgrad.nn import functional as F


class _Merge(Layer):
    compute_mask = merge_mask  # Keras: a step is kept where any input keeps it

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

    def call(self, inputs, training=False):
        """``_merge`` folded over the inputs, left to right."""
        out = inputs[0]
        for x in inputs[1:]:
            out = self._merge(out, x)
        return out


class Add(_Merge):
    def _merge(self, a, b):
        return a + b


class Subtract(_Merge):
    def build(self, input_shape):
        super().build(input_shape)
        if len(input_shape) != 2:
            raise ValueError(f"Subtract '{self.name}': expected exactly 2 inputs, got {len(input_shape)}")

    def call(self, inputs, training=False):
        return inputs[0] - inputs[1]


class Multiply(_Merge):
    def _merge(self, a, b):
        return a * b


class Average(_Merge):
    def _merge(self, a, b):
        return a + b

    def call(self, inputs, training=False):
        return super().call(inputs, training) * (1.0 / len(inputs))


class Maximum(_Merge):
    """Elementwise maximum of the inputs."""

    def _merge(self, a, b):
        return F.maximum(a, b)


class Minimum(_Merge):
    """Elementwise minimum of the inputs."""

    def _merge(self, a, b):
        return F.minimum(a, b)


class Dot(Layer):
    """Dot products of two (batch, n) or (batch, steps, n) inputs along ``axes`` (Keras's batch_dot).

    (b, n) . (b, n) -> (b, 1); (b, p, n) . (b, q, n) with axes=2 -> (b, p, q).  ``normalize=True``
    L2-normalizes both along their axes first (cosine similarity).
    """

    def __init__(self, axes, normalize=False, **kwargs):
        super().__init__(**kwargs)
        self.axes = (int(axes), int(axes)) if isinstance(axes, int) else tuple(int(a) for a in axes)
        if len(self.axes) != 2:
            raise ValueError(f"Dot: axes must be an int or a pair, got {axes!r}")
        self.normalize = bool(normalize)

    def _resolved(self, input_shape):
        if not isinstance(input_shape, list) or len(input_shape) != 2:
            raise ValueError(f"Dot '{self.name}': expected a list of 2 inputs, got {input_shape}")
        a, b = (tuple(s) for s in input_shape)
        if not (2 <= len(a) <= 3 and 2 <= len(b) <= 3):
            raise ValueError(f"Dot '{self.name}': inputs must be 2-D or 3-D, got shapes {a} and {b}")
        ax = [x % len(s) for x, s in zip(self.axes, (a, b))]
        if 0 in ax:
            raise ValueError(f"Dot '{self.name}': cannot take the dot product along the batch axis")
        if a[ax[0]] is not None and b[ax[1]] is not None and a[ax[0]] != b[ax[1]]:
            raise ValueError(f"Dot '{self.name}': axis {ax[0]} of {a} and axis {ax[1]} of {b} differ in size")
        return a, b, ax

    def build(self, input_shape):
        self._resolved(input_shape)

    def call(self, inputs, training=False):
        a, b, ax = self._resolved([tuple(t.shape) for t in inputs])
        x, y = inputs
        if self.normalize:
            x = x * (x * x).sum(axis=ax[0], keepdims=True).clamp(min=1e-12).rsqrt()
            y = y * (y * y).sum(axis=ax[1], keepdims=True).clamp(min=1e-12).rsqrt()
        x = F.movedim(x, ax[0], -1)  # (b, [p,] n)
        y = F.movedim(y, ax[1], 1)  # (b, n, [q])
        if x.ndim == 2:
            x = x.reshape(x.shape[0], 1, x.shape[1])
        if y.ndim == 2:
            y = y.reshape(y.shape[0], y.shape[1], 1)
        out = F.matmul(x, y)  # (b, p or 1, q or 1)
        return out.reshape(self._out_shape(a, b, ax, out.shape[0]))

    def _out_shape(self, a, b, ax, batch):
        rest = [d for i, d in enumerate(a) if i not in (0, ax[0])] + [d for i, d in enumerate(b) if i not in (0, ax[1])]
        return (batch, *rest) if rest else (batch, 1)

    def compute_output_shape(self, input_shape):
        a, b, ax = self._resolved(input_shape)
        return self._out_shape(a, b, ax, a[0])

    def get_config(self):
        return {**super().get_config(), "axes": list(self.axes), "normalize": self.normalize}


class Concatenate(_Merge):
    """Join along ``axis`` (the last by default)."""

    compute_mask = concatenate_mask

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


__all__ = ["Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Dot", "Concatenate"]
