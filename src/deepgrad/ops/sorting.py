"""Sorting and order statistics: sort, argsort, topk, median, kthvalue.

The values are gathered from the input with the sorted indices (``gather``), so their gradient
goes back to the positions they came from, as in torch.  ``sort``, ``topk``, ``kthvalue`` and
``median(x, dim)`` return ``(values, indices)`` named tuples; indices are int64.
"""
from __future__ import annotations

from collections import namedtuple

import numpy as np

from deepgrad.autograd import Function
from deepgrad.backend import get_array_module as _xp
from deepgrad.errors import op_error
from deepgrad.ops.reduction import _expand
from deepgrad.ops.shape import _dim, gather, reshape
from deepgrad.tensor import Tensor, as_tensor

sort_return = namedtuple("sort", ["values", "indices"])
topk_return = namedtuple("topk", ["values", "indices"])
median_return = namedtuple("median", ["values", "indices"])
kthvalue_return = namedtuple("kthvalue", ["values", "indices"])


def _argsort_array(a, axis, descending):
    """Stable argsort along ``axis`` (ties keep their order, also when descending; NaN counts as
    the largest value, as torch)."""
    xp = _xp(a)
    kw = {"kind": "stable"} if xp is np else {}
    if not descending:
        return xp.argsort(a, axis=axis, **kw)
    n = a.shape[axis]
    rev = xp.argsort(xp.flip(a, axis), axis=axis, **kw)
    return (n - 1) - xp.flip(rev, axis)


def _as_tensor(x):
    return x if isinstance(x, Tensor) else as_tensor(x)


def _prepare(x, dim, op):
    """x as at least 1-D (a 0-d tensor is sorted as one element) and the dim."""
    x = _as_tensor(x)
    d = _dim(dim, x.ndim, op)
    return (reshape(x, (1,)) if x.ndim == 0 else x), d, x.ndim == 0


def argsort(x, dim=-1, descending=False, stable=False):
    """Indices that sort ``x`` along ``dim`` (int64; ties keep their order)."""
    x, d, scalar = _prepare(x, dim, "argsort")
    idx = _argsort_array(x.data, d, descending).astype(np.int64)
    return Tensor._make(idx.reshape(()) if scalar else idx)


def sort(x, dim=-1, descending=False, stable=False):
    """``(values, indices)`` sorted along ``dim``; the values' gradient goes to where they came from."""
    x, d, scalar = _prepare(x, dim, "sort")
    idx = _argsort_array(x.data, d, descending).astype(np.int64)
    values = gather(x, d, idx)
    if scalar:
        return sort_return(reshape(values, ()), Tensor._make(idx.reshape(())))
    return sort_return(values, Tensor._make(idx))


def topk(x, k, dim=-1, largest=True, sorted=True):  # noqa: A002 - PyTorch's name
    """The ``k`` largest (or smallest) elements along ``dim``: ``(values, indices)``."""
    x, d, scalar = _prepare(x, dim, "topk")
    n = x.shape[d]
    if not 0 <= k <= n:
        raise op_error(ValueError, f"topk: k={k} is out of range for dim {d} of size {n} "
                                   f"(input shape {x.shape})")
    idx = _argsort_array(x.data, d, largest).astype(np.int64)
    idx = _xp(idx).take(idx, _xp(idx).arange(k), axis=d)
    values = gather(x, d, idx)
    if scalar:
        return topk_return(reshape(values, ()), Tensor._make(idx.reshape(())))
    return topk_return(values, Tensor._make(idx))


def kthvalue(x, k, dim=-1, keepdim=False):
    """The ``k``-th smallest element (1-based) along ``dim``: ``(values, indices)``."""
    x, d, scalar = _prepare(x, dim, "kthvalue")
    n = x.shape[d]
    if not 1 <= k <= n:
        raise op_error(ValueError, f"kthvalue: k={k} is out of range for dim {d} of size {n} "
                                   f"(expected 1 <= k <= {n})")
    return _select(x, d, k - 1, keepdim and not scalar, scalar, kthvalue_return)


def _select(x, d, pos, keepdim, scalar, result, nan_wins=False):
    """The element at sorted position ``pos`` along ``d`` with its index (a NaN, which sorts
    last, wherever one is in the slice when ``nan_wins``: torch's median)."""
    xp = _xp(x.data)
    idx = _argsort_array(x.data, d, False).astype(np.int64)
    shape = list(x.shape)
    shape[d] = 1
    where = xp.full(shape, pos, dtype=np.int64)
    if nan_wins and x.dtype.kind == "f":
        n_valid = (~xp.isnan(x.data)).sum(axis=d, keepdims=True)
        where = xp.where(n_valid < x.shape[d], n_valid, where)
    idx = xp.take_along_axis(idx, where, axis=d)
    values = gather(x, d, idx)
    if not keepdim:
        shape = tuple(s for i, s in enumerate(values.shape) if i != d)
        values, idx = reshape(values, shape), idx.reshape(shape)
    if scalar:
        values, idx = reshape(values, ()), idx.reshape(())
    return result(values, Tensor._make(idx))


class MedianAll(Function):
    """The lower median of all elements; ties share the gradient evenly (torch's median())."""

    def forward(self, x):
        flat = x.reshape(-1)
        if flat.size == 0:
            raise op_error(ValueError, f"median: cannot take the median of an empty tensor of shape {x.shape}")
        xp = _xp(x)
        if flat.dtype.kind == "f" and bool(xp.isnan(flat).any()):  # NaN propagates (torch)
            return xp.asarray(xp.nan, dtype=flat.dtype)
        return xp.asarray(xp.sort(flat)[(flat.size - 1) // 2])

    def backward(self, gy):
        x = self.inputs[0]
        hit = (x.data == self.outputs[0]().data).astype(gy.dtype)
        hit /= hit.sum()
        return _expand(gy, x.shape, None, False) * Tensor._make(hit)


def median(x, dim=None, keepdim=False):
    """The lower median: of all elements (a 0-d tensor) without ``dim``, else ``(values, indices)``
    along ``dim`` (the gradient goes to the returned index)."""
    x = _as_tensor(x)
    if dim is None:
        return MedianAll()(x)
    x, d, scalar = _prepare(x, dim, "median")
    n = x.shape[d]
    if n == 0:
        raise op_error(ValueError, f"median: cannot reduce dim {d} of size 0 (shape {x.shape})")
    return _select(x, d, (n - 1) // 2, keepdim and not scalar, scalar, median_return, nan_wins=True)


def unique(x, sorted=True, return_inverse=False, return_counts=False, dim=None):  # noqa: A002
    """The distinct elements in ascending order (flattened; with ``dim``, the distinct slices),
    optionally with the inverse indices and the counts, as torch.unique.  Not differentiable."""
    x = _as_tensor(x)
    xp = _xp(x.data)
    kw = {"axis": None if dim is None else _dim(dim, x.ndim, "unique")}
    data = x.data if dim is not None else x.data.reshape(-1)
    flags = {"return_inverse": return_inverse, "return_counts": return_counts, **({} if dim is None else kw)}
    if xp is not np and dim is not None:  # CuPy's unique(axis=) sorts in a Python loop, one sync per comparison
        from deepgrad.backend import as_numpy

        res = np.unique(as_numpy(data), **flags)
        res = xp.asarray(res) if isinstance(res, np.ndarray) else tuple(xp.asarray(r) for r in res)
    else:
        res = xp.unique(data, **flags)
    if not (return_inverse or return_counts):
        return Tensor._make(res)
    res = list(res)
    out = [Tensor._make(res[0])]
    if return_inverse:
        inv = res[1].astype(np.int64)
        out.append(Tensor._make(inv.reshape(x.shape) if dim is None else inv.reshape(-1)))
    if return_counts:
        out.append(Tensor._make(res[-1].astype(np.int64)))
    return tuple(out)


__all__ = ["sort", "argsort", "topk", "kthvalue", "median", "unique"]
