"""Differentiable moves between dtypes and devices, and copies."""
from __future__ import annotations

from deepgrad.autograd import Function
from deepgrad.backend import device_of, to_device


class Cast(Function):
    def __init__(self, dtype):
        self.dtype = dtype

    def forward(self, x):
        self.x_dtype = x.dtype
        return x.astype(self.dtype)

    def backward(self, gy):
        return cast(gy, self.x_dtype) if self.x_dtype.kind in "fc" else None


def cast(x, dtype):
    return Cast(dtype)(x)


class Copy(Function):
    def forward(self, x):
        return x.copy()

    def backward(self, gy):
        return gy


def copy(x):
    return Copy()(x)


class ToDevice(Function):
    def __init__(self, device):
        self.device = device

    def forward(self, x):
        self.src = device_of(x)
        return to_device(x, self.device)

    def backward(self, gy):
        return to_device_op(gy, self.src)


def to_device_op(x, device):
    return ToDevice(device)(x)


__all__ = ["cast", "copy"]
