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


def isnan(x):
    return Tensor._make(x.xp.isnan(x.data))


def isfinite(x):
    return Tensor._make(x.xp.isfinite(x.data))


def allclose(a, b, rtol=1e-5, atol=1e-8):
    import numpy as np

    return bool(np.allclose(np.asarray(a), np.asarray(b), rtol=rtol, atol=atol))


__all__ = ["eq", "ne", "lt", "le", "gt", "ge", "logical_and", "logical_or", "logical_xor", "logical_not",
           "isnan", "isfinite", "allclose"]
