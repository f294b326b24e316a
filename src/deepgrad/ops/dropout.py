"""Inverted dropout: active only in training, survivors scaled by 1 / (1 - p)."""
from __future__ import annotations

from deepgrad.autograd import Function
from deepgrad.backend import get_array_module as _xp
from deepgrad.errors import op_error
from deepgrad.random import generator
from deepgrad.tensor import Tensor, as_tensor


class Dropout(Function):
    """y = x * mask, mask = (u >= p) / (1 - p) with u uniform from deepgrad's seeded generator.

    The mask is kept for backward: gx = gy * mask (the same units are dropped)."""

    def __init__(self, p):
        self.p = p

    def forward(self, x):
        xp = _xp(x)
        if self.p == 1.0:
            self.mask = xp.zeros(x.shape, dtype=x.dtype)
        else:
            u = generator(xp).random(x.shape, dtype=xp.float64 if x.dtype == xp.float64 else xp.float32)
            self.mask = (u >= self.p).astype(x.dtype)
            self.mask *= xp.asarray(1.0 / (1.0 - self.p), dtype=x.dtype)
        return x * self.mask

    def backward(self, gy):
        return gy * Tensor._make(self.mask)


def dropout(input, p=0.5, training=True, inplace=False):  # noqa: A002 - PyTorch's names
    """Zero each element with probability ``p`` and scale the rest by 1 / (1 - p) while
    ``training``; the identity otherwise (or when p == 0).  ``inplace`` is accepted for
    PyTorch compatibility and ignored (the result is always a new tensor)."""
    if not 0.0 <= p <= 1.0:
        raise op_error(ValueError, f"dropout: probability p must be between 0 and 1, got {p}")
    input = as_tensor(input)
    if not training or p == 0.0:
        return input
    return Dropout(float(p))(input)


__all__ = ["dropout"]
