"""Reductions with dim/axis and keepdim/keepdims: sum, mean, max, min, prod, ..."""
from __future__ import annotations

from deepgrad.autograd import Function
from deepgrad.ops._util import axis_arg, keep_arg, reduced_shape
from deepgrad.ops.shape import broadcast_to, reshape


class Sum(Function):
    def __init__(self, axis, keepdims):
        self.axis = axis
        self.keepdims = keepdims

    def forward(self, x):
        self.x_shape = x.shape
        return x.sum(axis=self.axis, keepdims=self.keepdims)

    def backward(self, gy):
        gy = reshape(gy, reduced_shape(self.x_shape, self.axis, self.keepdims))
        return broadcast_to(gy, self.x_shape)


def sum(x, dim=None, keepdim=False, *, axis=None, keepdims=None, dtype=None):  # noqa: A001
    if dtype is not None:
        x = x.type(dtype)
    return Sum(axis_arg(dim, axis), keep_arg(keepdim, keepdims))(x)


__all__ = ["sum"]
