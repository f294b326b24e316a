"""Differentiable moves between dtypes and devices, and copies."""
from __future__ import annotations

from deepgrad.autograd import Function
from deepgrad.backend import device_of, get_array_module, is_cupy_array, to_device
from deepgrad.errors import op_error


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


def array_on(op, x, like, what="target"):
    """The array of ``x`` (Tensor, array or list: labels, ids, class weights) on the device of the
    Tensor ``like``.  Host arrays and lists are copied there; a Tensor or a GPU array on another
    device is an error naming both devices, as in PyTorch."""
    from deepgrad.tensor import Tensor

    data = x.data if isinstance(x, Tensor) else x
    if (isinstance(x, Tensor) or is_cupy_array(data)) and device_of(data) != device_of(like.data):
        raise op_error(RuntimeError, f"{op}: expected all tensors on the same device, got input on "
                                     f"{device_of(like.data)} and {what} on {device_of(data)}")
    return data if data is not x else get_array_module(like.data).asarray(x)
