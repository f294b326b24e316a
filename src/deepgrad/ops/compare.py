"""Comparisons and logical ops: non-differentiable, they return boolean tensors."""
from __future__ import annotations

import operator

from deepgrad.tensor import Tensor


def _cmp(op):
    def f(a, b):
        a_data = a.data if isinstance(a, Tensor) else a
        b_data = b.data if isinstance(b, Tensor) else b
        return Tensor._make(op(a_data, b_data))

    f.__name__ = op.__name__.strip("_")
    return f


eq = _cmp(operator.eq)
ne = _cmp(operator.ne)
lt = _cmp(operator.lt)
le = _cmp(operator.le)
gt = _cmp(operator.gt)
ge = _cmp(operator.ge)
logical_and = _cmp(operator.and_)
logical_or = _cmp(operator.or_)
logical_xor = _cmp(operator.xor)


def logical_not(x):
    return Tensor._make(~x.data if x.dtype.kind == "b" else x.data == 0)


def bitwise_not(x):
    """~x of an integer tensor (bitwise); logical not of a boolean one."""
    return Tensor._make(~x.data)


def isnan(x):
    return Tensor._make(x.xp.isnan(x.data))


def isfinite(x):
    return Tensor._make(x.xp.isfinite(x.data))


def isinf(x):
    return Tensor._make(x.xp.isinf(x.data))


def isposinf(x):
    return Tensor._make(x.xp.isposinf(x.data))


def isneginf(x):
    return Tensor._make(x.xp.isneginf(x.data))


def nonzero(x, *, as_tuple=False):
    """Indices of the nonzero elements: an int64 (n, ndim) tensor, or one 1-D tensor per dim with
    ``as_tuple=True`` (``where(condition)`` with one argument)."""
    data = x.data if isinstance(x, Tensor) else x
    xp = x.xp if isinstance(x, Tensor) else __import__("numpy")
    idx = xp.nonzero(data if data.ndim else data.reshape(1))
    if as_tuple:
        return tuple(Tensor._make(i.astype(xp.int64)) for i in idx)
    return Tensor._make(xp.stack(idx, axis=1).astype(xp.int64) if data.ndim else
                        xp.zeros((len(idx[0]), 0), dtype=xp.int64))


def allclose(a, b, rtol=1e-5, atol=1e-8, equal_nan=False):
    import numpy as np

    return bool(np.allclose(np.asarray(a), np.asarray(b), rtol=rtol, atol=atol, equal_nan=equal_nan))


def isclose(a, b, rtol=1e-5, atol=1e-8, equal_nan=False):
    """Elementwise |a - b| <= atol + rtol * |b| (a boolean tensor)."""
    a_data = a.data if isinstance(a, Tensor) else a
    b_data = b.data if isinstance(b, Tensor) else b
    xp = a.xp if isinstance(a, Tensor) else b.xp
    return Tensor._make(xp.isclose(a_data, b_data, rtol=rtol, atol=atol, equal_nan=equal_nan))


def equal(a, b):
    """True when both tensors have the same shape and the same elements (torch.equal)."""
    return tuple(a.shape) == tuple(b.shape) and bool((a.data == b.data).all())


greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne

__all__ = ["eq", "ne", "lt", "le", "gt", "ge", "logical_and", "logical_or", "logical_xor", "logical_not",
           "bitwise_not", "isnan", "isfinite", "isinf", "isposinf", "isneginf", "nonzero", "allclose", "isclose",
           "equal", "greater", "greater_equal", "less", "less_equal", "not_equal"]
