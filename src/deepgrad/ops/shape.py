"""Shape ops: reshape, transpose/permute, broadcast_to/expand, sum_to, indexing, ..."""
from __future__ import annotations

from deepgrad.autograd import Function
from deepgrad.errors import op_error
from deepgrad.ops._util import shape_arg


class Reshape(Function):
    def __init__(self, shape):
        self.shape = shape

    def forward(self, x):
        self.x_shape = x.shape
        try:
            return x.reshape(self.shape)
        except ValueError:
            raise op_error(
                ValueError,
                f"reshape: cannot reshape a tensor of shape {tuple(x.shape)} ({x.size} elements) "
                f"into shape {tuple(self.shape)}"
            ) from None

    def backward(self, gy):
        return reshape(gy, self.x_shape)


def reshape(x, *shape):
    shape = shape_arg(shape)
    if tuple(x.shape) == shape:
        return x
    return Reshape(shape)(x)


view = reshape


class Transpose(Function):
    """Permute the axes (``axes=None`` reverses them)."""

    def __init__(self, axes=None):
        self.axes = axes

    def forward(self, x):
        return x.transpose(self.axes)

    def backward(self, gy):
        if self.axes is None:
            return transpose_axes(gy, None)
        inv = [0] * len(self.axes)
        for i, a in enumerate(self.axes):
            inv[a % len(self.axes)] = i
        return transpose_axes(gy, tuple(inv))


def transpose_axes(x, axes=None):
    return Transpose(axes)(x)


def permute(x, *dims):
    return Transpose(shape_arg(dims))(x)


def transpose(x, dim0=None, dim1=None, *, axes=None):
    """``transpose(x, 0, 1)`` swaps two dims (PyTorch); ``transpose(x)`` or ``axes=`` as NumPy."""
    if dim0 is None and dim1 is None:
        return Transpose(axes)(x)
    if dim1 is None:  # numpy style transpose(x, axes)
        return Transpose(tuple(dim0))(x)
    nd = x.ndim
    perm = list(range(nd))
    perm[dim0 % nd], perm[dim1 % nd] = perm[dim1 % nd], perm[dim0 % nd]
    return Transpose(tuple(perm))(x)


def swap_last(x):
    """Swap the last two axes (the matrix transpose of a batch)."""
    nd = x.ndim
    perm = tuple(range(nd - 2)) + (nd - 1, nd - 2)
    return Transpose(perm)(x)


class BroadcastTo(Function):
    def __init__(self, shape):
        self.shape = shape

    def forward(self, x):
        self.x_shape = x.shape
        xp = _xp(x)
        try:
            return xp.broadcast_to(x, self.shape)
        except ValueError:
            raise op_error(
                ValueError,
                f"broadcast_to: cannot broadcast shape {tuple(x.shape)} to {tuple(self.shape)}"
            ) from None

    def backward(self, gy):
        return sum_to(gy, self.x_shape)


def broadcast_to(x, *shape):
    shape = shape_arg(shape)
    if tuple(x.shape) == shape:
        return x
    return BroadcastTo(shape)(x)


def expand(x, *sizes):
    sizes = shape_arg(sizes)
    lead = len(sizes) - x.ndim
    shape = tuple(x.shape[i - lead] if s == -1 else s for i, s in enumerate(sizes))
    return broadcast_to(x, shape)


class SumTo(Function):
    """Sum a broadcast result back down to ``shape`` (the backward of broadcasting)."""

    def __init__(self, shape):
        self.shape = tuple(shape)

    def forward(self, x):
        self.x_shape = x.shape
        return sum_to_array(x, self.shape)

    def backward(self, gy):
        return broadcast_to(gy, self.x_shape)


def sum_to_array(x, shape):
    lead = x.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(i + lead for i, s in enumerate(shape) if s == 1 and x.shape[i + lead] != 1)
    y = x.sum(axis=axes, keepdims=True) if axes else x
    if lead:
        y = y.reshape(shape)
    return y


def sum_to(x, shape):
    shape = tuple(shape)
    if tuple(x.shape) == shape:
        return x
    return SumTo(shape)(x)


def _unwrap_index(idx):
    from deepgrad.tensor import Tensor

    if isinstance(idx, Tensor):
        return idx.data
    if isinstance(idx, tuple):
        return tuple(i.data if isinstance(i, Tensor) else i for i in idx)
    if isinstance(idx, list):
        return [i.data if isinstance(i, Tensor) else i for i in idx]
    return idx


class GetItem(Function):
    """x[index]: basic and advanced indexing; repeated indices add up in backward."""

    def __init__(self, index):
        self.index = index

    def forward(self, x):
        self.x_shape = x.shape
        try:
            return x[self.index]
        except IndexError as e:
            raise IndexError(f"getitem: {e} (tensor shape {tuple(x.shape)})") from None

    def backward(self, gy):
        return GetItemGrad(self.index, self.x_shape)(gy)


class GetItemGrad(Function):
    def __init__(self, index, x_shape):
        self.index = index
        self.x_shape = x_shape

    def forward(self, gy):
        xp = _xp(gy)
        gx = xp.zeros(self.x_shape, dtype=gy.dtype)
        if xp.__name__ == "numpy":
            xp.add.at(gx, self.index, gy)
        else:
            xp.add.at(gx, self.index, gy)  # cupyx scatter_add semantics
        return gx

    def backward(self, ggx):
        return getitem(ggx, self.index)


def getitem(x, index):
    return GetItem(_unwrap_index(index))(x)


def _xp(a):
    from deepgrad.backend import get_array_module

    return get_array_module(a)


__all__ = ["reshape", "view", "transpose", "transpose_axes", "permute", "swap_last", "broadcast_to",
           "expand", "sum_to", "getitem"]
