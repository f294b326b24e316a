"""Reductions with dim/axis and keepdim/keepdims: sum, mean, max/min, amax/amin, prod, logsumexp,
var, std (var_mean, std_mean), norm, cumsum, cumprod (differentiable); argmax/argmin, all/any
(no gradient).

``dim`` may be None (everything), an int (negative counts from the end) or a tuple, as in PyTorch
and NumPy.  ``max(x, dim)`` returns ``(values, indices)`` like torch; gradients of ``max()``
without a dim, ``amax`` and ``amin`` are shared evenly among ties, those of ``max(x, dim)`` go to
the returned index, as in torch.
"""
from __future__ import annotations

import builtins
import math
from collections import namedtuple

import numpy as np

from deepgrad.autograd import Function, config
from deepgrad.backend import get_array_module
from deepgrad.errors import op_error
from deepgrad.ops._util import axis_arg, keep_arg, normalize_axes, reduced_shape
from deepgrad.ops.shape import broadcast_to, reshape
from deepgrad.tensor import Tensor


def _xp(a):
    return get_array_module(a)


def _const(array):
    return Tensor._make(array)


def _axis(x, axis, op):
    """The NumPy axis for reducing ``x`` (None for all; 0-d tensors accept dim 0 / -1 as torch)."""
    if axis is None:
        return None
    if isinstance(x, Tensor):
        x = x.data
    nd = x.ndim
    axes = axis if isinstance(axis, tuple) else (axis,)
    if nd == 0:
        for a in axes:
            if a not in (0, -1):
                raise op_error(IndexError, f"{op}: dim {a} is out of range for a 0-d tensor")
        return None
    for a in axes:
        if not -nd <= a < nd:
            raise op_error(IndexError, f"{op}: dim {a} is out of range for a tensor of shape {tuple(x.shape)} "
                                       f"(expected in [{-nd}, {nd - 1}])")
    if len(axes) == 0:
        return None
    return axis if isinstance(axis, tuple) else axis % nd


def _count(shape, axis):
    return math.prod(shape[a] for a in normalize_axes(axis, len(shape)))


def _expand(g, x_shape, axis, keepdims):
    """A reduced gradient back to the input's shape (kept dims restored, then broadcast)."""
    return broadcast_to(reshape(g, reduced_shape(x_shape, axis, keepdims)), x_shape)


def _float(x):
    if x.dtype.kind in "fc":
        return x
    from deepgrad.dtypes import get_default_dtype

    return x.astype(get_default_dtype())


# -- sum and mean -----------------------------------------------------------------------------
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


class Mean(Function):
    def __init__(self, axis, keepdims):
        self.axis = axis
        self.keepdims = keepdims

    def forward(self, x):
        self.x_shape = x.shape
        return _float(x).mean(axis=self.axis, keepdims=self.keepdims)

    def backward(self, gy):
        n = _count(self.x_shape, self.axis)
        g = reshape(gy, reduced_shape(self.x_shape, self.axis, self.keepdims)) * (1.0 / builtins.max(n, 1))
        return broadcast_to(g, self.x_shape)


# -- max / min --------------------------------------------------------------------------------
class Extremum(Function):
    """max/min over ``axis`` (None: all) returning values only; ties share the gradient evenly."""

    def __init__(self, axis, keepdims, largest):
        self.axis, self.keepdims, self.largest = axis, keepdims, largest

    def forward(self, x):
        if x.size == 0:
            raise op_error(ValueError, f"{'amax' if self.largest else 'amin'}: cannot reduce an empty tensor "
                                       f"of shape {tuple(x.shape)}")
        y = x.max(axis=self.axis, keepdims=self.keepdims) if self.largest else \
            x.min(axis=self.axis, keepdims=self.keepdims)
        self.y_kept = _xp(x).reshape(y, reduced_shape(x.shape, self.axis, True))
        return y

    def backward(self, gy):
        x = self.inputs[0]
        hit = (x.data == self.y_kept).astype(gy.dtype)
        hit /= hit.sum(axis=self.axis, keepdims=True)
        return _expand(gy, x.shape, self.axis, self.keepdims) * _const(hit)


class ExtremumDim(Function):
    """max/min along one dim returning (values, int64 indices); the gradient goes to the index."""

    def __init__(self, axis, keepdims, largest):
        self.axis, self.keepdims, self.largest = axis, keepdims, largest

    def forward(self, x):
        xp = _xp(x)
        if x.shape[self.axis] == 0:
            raise op_error(ValueError, f"{'max' if self.largest else 'min'}: cannot reduce dim {self.axis} of "
                                       f"size 0 (shape {tuple(x.shape)})")
        idx = (xp.argmax if self.largest else xp.argmin)(x, axis=self.axis, keepdims=True)
        self.idx = idx
        values = xp.take_along_axis(x, idx, axis=self.axis)
        idx = idx.astype(np.int64, copy=False)
        if not self.keepdims:
            values = values.squeeze(self.axis)
            idx = idx.squeeze(self.axis)
        return values, idx

    def backward(self, gy, g_idx=None):
        x = self.inputs[0]
        xp = _xp(x.data)
        pos = xp.arange(x.shape[self.axis]).reshape((-1,) + (1,) * (x.ndim - 1 - self.axis))
        hit = (pos == self.idx).astype(gy.dtype)
        return _expand(gy, x.shape, self.axis, self.keepdims) * _const(hit)


max_return = namedtuple("max", ["values", "indices"])
min_return = namedtuple("min", ["values", "indices"])


def _extremum(x, dim, keepdim, axis, keepdims, largest):
    from deepgrad.ops.elementwise import maximum, minimum

    if isinstance(dim, Tensor):  # torch.max(a, b) is maximum(a, b)
        return maximum(x, dim) if largest else minimum(x, dim)
    name = "max" if largest else "min"
    a = axis_arg(dim, axis)
    keep = keep_arg(keepdim, keepdims)
    if not isinstance(x, Tensor):
        x = Tensor(x)
    if a is None or isinstance(a, tuple):
        return Extremum(_axis(x, a, name), keep, largest)(x)
    _axis(x, a, name)
    if x.ndim == 0:
        values, idx = ExtremumDim(0, False, largest)(reshape(x, (1,)))
    else:
        values, idx = ExtremumDim(a % x.ndim, keep, largest)(x)
    return (max_return if largest else min_return)(values, idx)


def max(x, dim=None, keepdim=False, *, axis=None, keepdims=None):  # noqa: A001 - PyTorch's name
    """Largest element (no dim; ties share the gradient), or ``(values, indices)`` along an int dim
    (the gradient goes to the first largest).  ``max(a, b)`` with a tensor b is ``maximum``."""
    return _extremum(x, dim, keepdim, axis, keepdims, True)


def min(x, dim=None, keepdim=False, *, axis=None, keepdims=None):  # noqa: A001
    """Smallest element, or ``(values, indices)`` along an int dim; see ``max``."""
    return _extremum(x, dim, keepdim, axis, keepdims, False)


def amax(x, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """Largest values over ``dim`` (None, int or tuple); ties share the gradient evenly."""
    return Extremum(_axis(x, axis_arg(dim, axis), "amax"), keep_arg(keepdim, keepdims), True)(x)


def amin(x, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """Smallest values over ``dim`` (None, int or tuple); ties share the gradient evenly."""
    return Extremum(_axis(x, axis_arg(dim, axis), "amin"), keep_arg(keepdim, keepdims), False)(x)


def _arg(x, dim, keepdim, axis, keepdims, largest):
    a = axis_arg(dim, axis)
    keep = keep_arg(keepdim, keepdims)
    name = "argmax" if largest else "argmin"
    data = x.data if isinstance(x, Tensor) else np.asarray(x)
    if data.size == 0:
        raise op_error(ValueError, f"{name}: cannot reduce an empty tensor of shape {tuple(data.shape)}")
    xp = _xp(data)
    if isinstance(a, tuple):
        raise op_error(TypeError, f"{name}: dim must be an int or None, got {a!r}")
    a = _axis(data, a, name)
    f = xp.argmax if largest else xp.argmin
    out = f(data, axis=a, keepdims=keep)
    return Tensor._make(xp.asarray(out, dtype=np.int64))


def argmax(x, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """Index of the largest element (flat index without dim), int64, no gradient."""
    return _arg(x, dim, keepdim, axis, keepdims, True)


def argmin(x, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """Index of the smallest element (flat index without dim), int64, no gradient."""
    return _arg(x, dim, keepdim, axis, keepdims, False)


def all(x, dim=None, keepdim=False, *, axis=None, keepdims=None):  # noqa: A001 - PyTorch's name
    """True where every element (over dim) is nonzero; a boolean tensor."""
    data = x.data if isinstance(x, Tensor) else np.asarray(x)
    a = _axis(data, axis_arg(dim, axis), "all")
    return Tensor._make(_xp(data).asarray(data.all(axis=a, keepdims=keep_arg(keepdim, keepdims))))


def any(x, dim=None, keepdim=False, *, axis=None, keepdims=None):  # noqa: A001
    """True where some element (over dim) is nonzero; a boolean tensor."""
    data = x.data if isinstance(x, Tensor) else np.asarray(x)
    a = _axis(data, axis_arg(dim, axis), "any")
    return Tensor._make(_xp(data).asarray(data.any(axis=a, keepdims=keep_arg(keepdim, keepdims))))


# -- prod ---------------------------------------------------------------------------------------
class Prod(Function):
    """Product over ``axis``.  Without zeros the gradient is y / x; with zeros it is the product of
    the other elements (exclusive cumulative products), so a single zero gets the right gradient."""

    def __init__(self, axis, keepdims):
        self.axis, self.keepdims = axis, keepdims

    def forward(self, x):
        self.x_shape = x.shape
        return x.prod(axis=self.axis, keepdims=self.keepdims)

    def backward(self, gy):
        x = self.inputs[0]
        g = _expand(gy, x.shape, self.axis, self.keepdims)
        if not bool((x.data == 0).any()):
            y = reshape(self.outputs[0](), reduced_shape(x.shape, self.axis, True))
            return g * y / x
        axes = normalize_axes(self.axis, x.ndim)
        if config.grad_enabled:  # create_graph: build the others-product from deepgrad ops
            return g * _others_product(x, axes)
        return g * _const(_others_product_array(x.data, axes))


def _prod_layout(shape, axes):
    """Permutation putting the reduced axes last, and its inverse."""
    rest = [i for i in range(len(shape)) if i not in axes]
    perm = rest + list(axes)
    inv = [0] * len(perm)
    for i, p in enumerate(perm):
        inv[p] = i
    return perm, inv, tuple(shape[i] for i in rest)


def _others_product_array(x, axes):
    """For every element, the product of the other elements of its reduced group (arrays)."""
    xp = _xp(x)
    perm, inv, lead = _prod_layout(x.shape, axes)
    xt = x.transpose(perm)
    t_shape = xt.shape
    flat = xt.reshape(lead + (-1,))
    ones = xp.ones(lead + (1,), dtype=x.dtype)
    left = xp.concatenate([ones, xp.cumprod(flat[..., :-1], axis=-1)], axis=-1)
    right = xp.flip(xp.concatenate([ones, xp.cumprod(xp.flip(flat, -1)[..., :-1], axis=-1)], axis=-1), -1)
    return (left * right).reshape(t_shape).transpose(inv)


def _others_product(x, axes):
    """The same as a deepgrad expression (for higher-order gradients): for each position i the
    product of the group with x_i replaced by 1."""
    from deepgrad.ops.elementwise import where
    from deepgrad.ops.shape import transpose_axes

    perm, inv, lead = _prod_layout(x.shape, axes)
    xt = transpose_axes(x, tuple(perm))
    t_shape = xt.shape
    n = math.prod(x.shape[a] for a in axes)
    flat = reshape(xt, lead + (1, n))
    eye = _xp(x.data).eye(n, dtype=bool)
    others = prod(where(eye, 1.0, flat), dim=-1)  # lead + (n,)
    return transpose_axes(reshape(others, t_shape), tuple(inv))


def prod(x, dim=None, keepdim=False, *, axis=None, keepdims=None, dtype=None):
    """Product of the elements over ``dim`` (None, int or tuple); zeros handled exactly."""
    if dtype is not None:
        x = x.type(dtype)
    return Prod(_axis(x, axis_arg(dim, axis), "prod"), keep_arg(keepdim, keepdims))(x)


# -- logsumexp, var, std, norm ---------------------------------------------------------------------
class LogSumExp(Function):
    """log(sum(exp(x))) over ``axis``, computed as m + log(sum(exp(x - m))) with m the max."""

    def __init__(self, axis, keepdims):
        self.axis, self.keepdims = axis, keepdims

    def forward(self, x):
        xp = _xp(x)
        if x.size == 0:  # an empty sum: log(0) = -inf, as torch
            with np.errstate(divide="ignore"):
                return xp.log(xp.exp(x).sum(axis=self.axis, keepdims=self.keepdims))
        m = x.max(axis=self.axis, keepdims=True)
        m = xp.where(xp.isfinite(m), m, 0)  # rows of -inf (or inf) stay -inf (inf), no nan
        with np.errstate(divide="ignore"):
            y = xp.log(xp.exp(x - m).sum(axis=self.axis, keepdims=True)) + m
        if not self.keepdims:
            y = y.reshape(_squeezed(x.shape, self.axis))
        return y

    def backward(self, gy):
        x = self.inputs[0]
        y = reshape(self.outputs[0](), reduced_shape(x.shape, self.axis, True))
        from deepgrad.ops.elementwise import exp

        return _expand(gy, x.shape, self.axis, self.keepdims) * exp(x - y)


def _squeezed(shape, axis):
    axes = normalize_axes(axis, len(shape))
    return tuple(s for i, s in enumerate(shape) if i not in axes)


def logsumexp(x, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """log(sum(exp(x))) over ``dim`` (None: all), stable for any magnitude."""
    return LogSumExp(_axis(x, axis_arg(dim, axis), "logsumexp"), keep_arg(keepdim, keepdims))(x)


class Var(Function):
    """Variance over ``axis`` with ``ddof`` (torch's correction; 1 = unbiased)."""

    def __init__(self, axis, keepdims, ddof):
        self.axis, self.keepdims, self.ddof = axis, keepdims, ddof

    def forward(self, x):
        xp = _xp(x)
        n = _count(x.shape, self.axis)
        with np.errstate(divide="ignore", invalid="ignore"):
            if n - self.ddof <= 0:  # torch gives inf / nan here; numpy would warn
                y = _float(x).var(axis=self.axis, keepdims=self.keepdims) * xp.inf
                return y
            return _float(x).var(axis=self.axis, ddof=self.ddof, keepdims=self.keepdims)

    def backward(self, gy):
        x = self.inputs[0]
        n = _count(x.shape, self.axis)
        centered = x - mean(x, dim=self.axis, keepdim=True)
        scale = 2.0 / (n - self.ddof) if n - self.ddof > 0 else math.inf
        g = reshape(gy, reduced_shape(x.shape, self.axis, True))
        return g * centered * scale


def _ddof(unbiased, correction, ddof):
    if correction is not None:
        return correction
    if ddof is not None:
        return ddof
    if unbiased is not None:
        return 1 if unbiased else 0
    return 1


def var(x, dim=None, unbiased=None, keepdim=False, *, correction=None, ddof=None, axis=None, keepdims=None):
    """Variance over ``dim`` with torch's ``correction`` (default 1), ``unbiased=`` or NumPy's ``ddof=``."""
    if isinstance(dim, bool):  # torch.var(x, unbiased)
        dim, unbiased = None, dim
    d = _ddof(unbiased, correction, ddof)
    return Var(_axis(x, axis_arg(dim, axis), "var"), keep_arg(keepdim, keepdims), d)(x)


class Std(Var):
    """sqrt(var); where the deviation is 0 the gradient is 0 (torch), not the nan of sqrt'(0)."""

    def forward(self, x):
        return _xp(x).sqrt(super().forward(x))

    def backward(self, gy):
        from deepgrad.ops.elementwise import where

        x = self.inputs[0]
        n = _count(x.shape, self.axis)
        y = reshape(self.outputs[0](), reduced_shape(x.shape, self.axis, True))
        zero = y.data == 0
        denom = where(zero, 1.0, y) * float(n - self.ddof if n - self.ddof > 0 else 0)
        g = reshape(gy, reduced_shape(x.shape, self.axis, True)) / denom
        if bool(zero.any()):
            g = where(zero, 0.0, g)
        return g * (x - mean(x, dim=self.axis, keepdim=True))


def std(x, dim=None, unbiased=None, keepdim=False, *, correction=None, ddof=None, axis=None, keepdims=None):
    """Standard deviation with the arguments of ``var``; the gradient is 0 where it is 0 (torch)."""
    if isinstance(dim, bool):  # torch.std(x, unbiased)
        dim, unbiased = None, dim
    d = _ddof(unbiased, correction, ddof)
    return Std(_axis(x, axis_arg(dim, axis), "std"), keep_arg(keepdim, keepdims), d)(x)


def var_mean(x, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """``(var, mean)`` over ``dim`` (torch.var_mean)."""
    return (var(x, dim, unbiased, keepdim, correction=correction),
            mean(x, dim=None if isinstance(dim, bool) else dim, keepdim=keepdim))


def std_mean(x, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """``(std, mean)`` over ``dim`` (torch.std_mean)."""
    return (std(x, dim, unbiased, keepdim, correction=correction),
            mean(x, dim=None if isinstance(dim, bool) else dim, keepdim=keepdim))


class Norm2(Function):
    """Euclidean (Frobenius) norm over ``axis``; the gradient at a zero vector is 0 (as torch)."""

    def __init__(self, axis, keepdims):
        self.axis, self.keepdims = axis, keepdims

    def forward(self, x):
        xp = _xp(x)
        return xp.sqrt((x * x).sum(axis=self.axis, keepdims=self.keepdims))

    def backward(self, gy):
        from deepgrad.ops.elementwise import where

        x = self.inputs[0]
        y = reshape(self.outputs[0](), reduced_shape(x.shape, self.axis, True))
        safe = where(y.data == 0, 1.0, y)  # x is 0 wherever y is, so x / 1 = 0 there
        return _expand(gy, x.shape, self.axis, self.keepdims) * (x / safe)


def norm(x, p="fro", dim=None, keepdim=False, dtype=None, *, axis=None, keepdims=None, ord=None):  # noqa: A002
    """Vector norm over ``dim`` (None: all elements): p = 2 or 'fro' (default), 1, inf, -inf, 0,
    or any other number (sum |x|^p)^(1/p).  NumPy's ``ord=`` is accepted as ``p``."""
    from deepgrad.ops.compare import ne
    from deepgrad.ops.elementwise import abs as _abs

    if ord is not None:
        p = ord
    if dtype is not None:
        x = x.type(dtype)
    elif x.dtype.kind not in "fc":
        x = x.float()
    a = _axis(x, axis_arg(dim, axis), "norm")
    keep = keep_arg(keepdim, keepdims)
    if p in ("fro", 2, 2.0):
        return Norm2(a, keep)(x)
    if p == "nuc":  # the sum of singular values over two dims (the last two by default)
        from deepgrad.ops.linalg import matrix_norm

        return matrix_norm(x, "nuc", (-2, -1) if a is None else a, keep)
    if isinstance(p, str):
        raise op_error(ValueError, f"norm: p must be a number or 'fro', got {p!r} (matrix norms are not supported)")
    if p == 1:
        return sum(_abs(x), dim=a, keepdim=keep)
    if p == math.inf:
        return amax(_abs(x), dim=a, keepdim=keep)
    if p == -math.inf:
        return amin(_abs(x), dim=a, keepdim=keep)
    if p == 0:
        return sum(ne(x, 0).type(x.dtype), dim=a, keepdim=keep)
    return sum(_abs(x) ** p, dim=a, keepdim=keep) ** (1.0 / p)


# -- cumulative sums ---------------------------------------------------------------------------------
class Cumsum(Function):
    def __init__(self, axis):
        self.axis = axis

    def forward(self, x):
        return _xp(x).cumsum(x, axis=self.axis)

    def backward(self, gy):
        return ReverseCumsum(self.axis)(gy)


class ReverseCumsum(Function):
    """Sums from the end: the backward of cumsum (and cumsum is its backward)."""

    def __init__(self, axis):
        self.axis = axis

    def forward(self, g):
        xp = _xp(g)
        return xp.flip(xp.cumsum(xp.flip(g, self.axis), axis=self.axis), self.axis)

    def backward(self, gy):
        return Cumsum(self.axis)(gy)


def _running(function, name, x, dim, axis, dtype):
    """``function(axis)`` (Cumsum or Cumprod) applied along ``dim``; None flattens first, as NumPy."""
    if dtype is not None:
        x = x.type(dtype)
    a = axis_arg(dim, axis)
    if not isinstance(x, Tensor):
        x = Tensor(x)
    if a is None or x.ndim == 0:
        if a is not None:
            _axis(x, a, name)
            return reshape(function(0)(reshape(x, (1,))), ())
        return function(0)(reshape(x, (-1,)))
    return function(_axis(x, a, name))(x)


def cumsum(x, dim=None, *, axis=None, dtype=None):
    """Running sum along ``dim`` (None flattens first, as NumPy)."""
    return _running(Cumsum, "cumsum", x, dim, axis, dtype)


class Cumprod(Function):
    """Running product along ``axis``.  Without zeros the gradient is reverse_cumsum(gy * y) / x;
    with zeros it is sum over j >= i of gy_j * prod_{k <= j, k != i} x_k (exact at zeros)."""

    def __init__(self, axis):
        self.axis = axis

    def forward(self, x):
        return _xp(x).cumprod(x, axis=self.axis)

    def backward(self, gy):
        from deepgrad.ops.elementwise import where
        from deepgrad.ops.shape import movedim, unsqueeze

        x = self.inputs[0]
        xp = _xp(x.data)
        if not bool((x.data == 0).any()):
            return ReverseCumsum(self.axis)(gy * self.outputs[0]()) / x
        xm, gm = movedim(x, self.axis, -1), movedim(gy, self.axis, -1)
        n = xm.shape[-1]
        rows = where(_const(xp.eye(n, dtype=bool)), 1.0, unsqueeze(xm, -2))  # row i: x with x_i = 1
        later = _const(xp.triu(xp.ones((n, n), dtype=gy.dtype)))  # [i, j] = 1 where j >= i
        g = sum(cumprod(rows, -1) * later * unsqueeze(gm, -2), dim=-1)
        return movedim(g, -1, self.axis)


def cumprod(x, dim=None, *, axis=None, dtype=None):
    """Running product along ``dim`` (None flattens first, as NumPy); exact gradients at zeros."""
    return _running(Cumprod, "cumprod", x, dim, axis, dtype)


# -- sum and mean helpers -------------------------------------------------------------------------------
def sum(x, dim=None, keepdim=False, *, axis=None, keepdims=None, dtype=None):  # noqa: A001
    """Sum over ``dim`` (None, int or tuple)."""
    if dtype is not None:
        x = x.type(dtype)
    return Sum(_axis(x, axis_arg(dim, axis), "sum"), keep_arg(keepdim, keepdims))(x)


def mean(x, dim=None, keepdim=False, *, axis=None, keepdims=None, dtype=None):
    """Arithmetic mean over ``dim`` (None, int or tuple)."""
    if dtype is not None:
        x = x.type(dtype)
    return Mean(_axis(x, axis_arg(dim, axis), "mean"), keep_arg(keepdim, keepdims))(x)


__all__ = ["sum", "mean", "max", "min", "amax", "amin", "argmax", "argmin", "all", "any", "prod", "logsumexp",
           "var", "std", "var_mean", "std_mean", "norm", "cumsum", "cumprod"]
