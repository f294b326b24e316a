"""Elementwise math: exp, log (log1p, log2, log10), sqrt, rsqrt, square, reciprocal, abs, sign,
sin, cos, tan and their inverses and hyperbolic kin, atan2, hypot, logaddexp, logit, clamp/clip,
maximum, minimum, where, rounding (zero gradient), nan_to_num (and erf from ``special``).

Each op is one ``Function`` with its forward (raw arrays) and backward (deepgrad ops, so that
``create_graph=True`` differentiates it again) side by side, and a lowercase helper.
Masks that only select (relu-like kinks, clamp bounds) enter backward as constant tensors.
"""
from __future__ import annotations

import math

import numpy as np

from deepgrad.autograd import Function
from deepgrad.backend import get_array_module
from deepgrad.errors import op_error
from deepgrad.ops.special import erf
from deepgrad.tensor import Tensor, as_tensor


def _xp(a):
    return get_array_module(a)


def _const(array):
    """A constant (non-differentiable) tensor around ``array``."""
    return Tensor._make(array)


def _unbroadcast(g, shape):
    from deepgrad.ops.arith import _unbroadcast as unb

    return unb(g, shape)


def fill_operand(x, value):
    """``value`` as the second operand of maximum/minimum against ``x``, in a form NumPy vectorises.

    NumPy 2's maximum/minimum against a broadcast Python scalar take a slow strided loop: 3-8x
    slower than against an array for (100, 500) to (1000, 1000) float32 (measured on this
    project's 2-core AVX2 machines).  A contiguous row of the trailing length (or a full array when
    rows are short) restores the vector loop.  Small arrays and CuPy keep the plain scalar."""
    if x.size < 4096 or get_array_module(x) is not np:
        return value
    if not x.flags.c_contiguous:  # e.g. conv activations kept as (C, H, W, N) views: keep that layout
        return np.full_like(x, value)
    shape = x.shape[-1:] if x.shape[-1] >= 128 else x.shape
    key = (shape, x.dtype, value)
    operand = _fill_cache.get(key)
    if operand is None:  # small operands are kept (read-only): np.full costs as much as the maximum
        operand = np.full(shape, value, dtype=x.dtype)
        if operand.size <= 65536:
            operand.flags.writeable = False
            if len(_fill_cache) >= 64:
                _fill_cache.clear()
            _fill_cache[key] = operand
    return operand


_fill_cache = {}


def _promote(a, b):
    from deepgrad.ops.arith import _promote as promote

    return promote(a, b)


def _float(x):
    """Integer and boolean arrays become the default float dtype (as torch's float-only ops)."""
    if x.dtype.kind in "fc":
        return x
    from deepgrad.dtypes import get_default_dtype

    return x.astype(get_default_dtype())


# -- exponentials and logarithms -----------------------------------------------------------
class Exp(Function):
    def forward(self, x):
        return _xp(x).exp(_float(x))

    def backward(self, gy):
        return gy * self.outputs[0]()


class Expm1(Function):
    """exp(x) - 1, accurate near 0."""

    def forward(self, x):
        return _xp(x).expm1(_float(x))

    def backward(self, gy):
        return gy * (self.outputs[0]() + 1.0)


class Log(Function):
    def forward(self, x):
        return _xp(x).log(_float(x))

    def backward(self, gy):
        return gy / self.inputs[0]


class Log1p(Function):
    """log(1 + x), accurate near 0."""

    def forward(self, x):
        return _xp(x).log1p(_float(x))

    def backward(self, gy):
        return gy / (self.inputs[0] + 1.0)


class LogBase(Function):
    """log2 / log10: log(x) / log(base)."""

    def __init__(self, base):
        self.base = base

    def forward(self, x):
        xp, x = _xp(x), _float(x)
        return xp.log2(x) if self.base == 2 else xp.log10(x)

    def backward(self, gy):
        return gy / (self.inputs[0] * math.log(self.base))


# -- powers -------------------------------------------------------------------------------
class Sqrt(Function):
    def forward(self, x):
        return _xp(x).sqrt(_float(x))

    def backward(self, gy):
        return gy / (self.outputs[0]() * 2.0)


class Rsqrt(Function):
    """1 / sqrt(x)."""

    def forward(self, x):
        xp = _xp(x)
        return xp.reciprocal(xp.sqrt(_float(x)))

    def backward(self, gy):
        y = self.outputs[0]()
        return gy * (y * y * y) * -0.5


class Square(Function):
    def forward(self, x):
        return x * x

    def backward(self, gy):
        return gy * (self.inputs[0] * 2.0)


class Reciprocal(Function):
    def forward(self, x):
        return _xp(x).reciprocal(_float(x))

    def backward(self, gy):
        y = self.outputs[0]()
        return -(gy * (y * y))


# -- sign and magnitude -------------------------------------------------------------------
class Abs(Function):
    def forward(self, x):
        return _xp(x).abs(x)

    def backward(self, gy):
        x = self.inputs[0].data
        return gy * _const(_xp(x).sign(x).astype(gy.dtype, copy=False))  # 0 at 0, as torch


class Sign(Function):
    """-1, 0 or 1; the gradient is zero everywhere (as torch)."""

    def forward(self, x):
        return _xp(x).sign(x)

    def backward(self, gy):
        return _const(_xp(gy.data).zeros(self.inputs[0].shape, dtype=gy.dtype))


# -- trigonometry -------------------------------------------------------------------------
class Sin(Function):
    def forward(self, x):
        return _xp(x).sin(_float(x))

    def backward(self, gy):
        return gy * cos(self.inputs[0])


class Cos(Function):
    def forward(self, x):
        return _xp(x).cos(_float(x))

    def backward(self, gy):
        return -(gy * sin(self.inputs[0]))


class Tan(Function):
    def forward(self, x):
        return _xp(x).tan(_float(x))

    def backward(self, gy):
        y = self.outputs[0]()
        return gy * (y * y + 1.0)


# -- clamp, maximum, minimum --------------------------------------------------------------
class ClampScalar(Function):
    """clamp(x, lo, hi) with Python-number bounds (either may be None).

    The gradient passes where lo <= x <= hi (bounds included), as in torch.clamp."""

    def __init__(self, lo, hi):
        self.lo, self.hi = lo, hi

    def forward(self, x):
        xp = _xp(x)
        if x.dtype.kind in "iub" and (isinstance(self.lo, float) or isinstance(self.hi, float)):
            x = _float(x)  # an int tensor clamped to a float bound is a float tensor (torch)
        if self.hi is None:
            return xp.maximum(x, fill_operand(x, self.lo))
        if self.lo is None:
            return xp.minimum(x, fill_operand(x, self.hi))
        y = xp.maximum(x, fill_operand(x, self.lo))
        return xp.minimum(y, fill_operand(y, self.hi))

    def backward(self, gy):
        x = self.inputs[0].data
        if self.hi is None:
            keep = x >= self.lo
        elif self.lo is None:
            keep = x <= self.hi
        else:
            keep = (x >= self.lo) & (x <= self.hi)
        return gy * _const(keep.astype(gy.dtype))


class ClampTensor(Function):
    """clamp(x, lo, hi) with tensor bounds (broadcast); inputs are x, then lo and/or hi.

    Gradients follow torch: x where lo <= x <= hi; lo where x < lo (and lo < hi);
    hi where x > hi (or hi < lo, since hi then wins)."""

    def __init__(self, has_lo, has_hi):
        self.has_lo, self.has_hi = has_lo, has_hi

    def forward(self, x, *bounds):
        xp = _xp(x)
        lo = bounds[0] if self.has_lo else None
        hi = bounds[-1] if self.has_hi else None
        if lo is not None and lo.dtype != x.dtype:
            x, lo = _promote(x, lo)
        if hi is not None and hi.dtype != x.dtype:
            x, hi = _promote(x, hi)
            if lo is not None and lo.dtype != x.dtype:
                lo = lo.astype(x.dtype)
        y = x if lo is None else xp.maximum(x, lo)
        return y if hi is None else xp.minimum(y, hi)

    def backward(self, gy):
        x = self.inputs[0]
        lo = self.inputs[1] if self.has_lo else None
        hi = self.inputs[-1] if self.has_hi else None
        xd = x.data
        dt = gy.dtype
        if lo is not None and hi is not None:
            keep_x = (xd >= lo.data) & (xd <= hi.data)
            keep_lo = (xd < lo.data) & (lo.data < hi.data)
            keep_hi = (xd > hi.data) | (hi.data < lo.data)
        elif lo is not None:
            keep_x, keep_lo, keep_hi = xd >= lo.data, xd < lo.data, None
        else:
            keep_x, keep_lo, keep_hi = xd <= hi.data, None, xd > hi.data
        grads = [_unbroadcast(gy * _const(keep_x.astype(dt)), x.shape) if x.requires_grad else None]
        if lo is not None:
            grads.append(_unbroadcast(gy * _const(keep_lo.astype(dt)), lo.shape) if lo.requires_grad else None)
        if hi is not None:
            grads.append(_unbroadcast(gy * _const(keep_hi.astype(dt)), hi.shape) if hi.requires_grad else None)
        return tuple(grads)


class Maximum(Function):
    """Elementwise max of two tensors (broadcast); a tie sends half the gradient to each (torch)."""

    def forward(self, a, b):
        if a.dtype is not b.dtype:
            a, b = _promote(a, b)
        return _xp(a).maximum(a, b)

    def backward(self, gy):
        return _split_grad(self, gy, bigger=True)


class Minimum(Function):
    """Elementwise min of two tensors (broadcast); a tie sends half the gradient to each (torch)."""

    def forward(self, a, b):
        if a.dtype is not b.dtype:
            a, b = _promote(a, b)
        return _xp(a).minimum(a, b)

    def backward(self, gy):
        return _split_grad(self, gy, bigger=False)


def _split_grad(fn, gy, bigger):
    a, b = fn.inputs
    wins = (a.data > b.data) if bigger else (a.data < b.data)
    share = wins.astype(gy.dtype) + (a.data == b.data).astype(gy.dtype) * 0.5  # a's share of the gradient
    ga = _unbroadcast(gy * _const(share), a.shape) if a.requires_grad else None
    gb = _unbroadcast(gy * _const(1.0 - share), b.shape) if b.requires_grad else None
    return ga, gb


# -- selection ----------------------------------------------------------------------------
class Where(Function):
    """where(cond, a, b): a where cond holds, b elsewhere; cond gets no gradient."""

    def forward(self, cond, a, b):
        self.cond = cond
        if a.dtype is not b.dtype:
            a, b = _promote(a, b)
        return _xp(a).where(cond, a, b)

    def backward(self, gy):
        _, a, b = self.inputs
        cond = Tensor._make(self.cond)
        zero = as_tensor(0.0, like=gy)
        ga = _unbroadcast(where(cond, gy, zero), a.shape) if a.requires_grad else None
        gb = _unbroadcast(where(cond, zero, gy), b.shape) if b.requires_grad else None
        return None, ga, gb


# -- helpers --------------------------------------------------------------------------------
def exp(x):
    """e ** x, elementwise."""
    return Exp()(x)


def expm1(x):
    """exp(x) - 1, elementwise, accurate for small x."""
    return Expm1()(x)


def log(x):
    """Natural logarithm, elementwise."""
    return Log()(x)


def log1p(x):
    """log(1 + x), elementwise, accurate for small x."""
    return Log1p()(x)


def log2(x):
    """Base-2 logarithm, elementwise."""
    return LogBase(2)(x)


def log10(x):
    """Base-10 logarithm, elementwise."""
    return LogBase(10)(x)


def sqrt(x):
    """Square root, elementwise (gradient 1 / (2 sqrt(x)))."""
    return Sqrt()(x)


def rsqrt(x):
    """1 / sqrt(x), elementwise."""
    return Rsqrt()(x)


def square(x):
    """x * x, elementwise."""
    return Square()(x)


def reciprocal(x):
    """1 / x, elementwise."""
    return Reciprocal()(x)


def abs(x):  # noqa: A001 - PyTorch's name
    """|x|, elementwise; the gradient at 0 is 0 (as torch)."""
    return Abs()(x)


absolute = abs


def sign(x):
    """-1, 0 or +1, elementwise; zero gradient."""
    return Sign()(x)


def sin(x):
    """Sine, elementwise."""
    return Sin()(x)


def cos(x):
    """Cosine, elementwise."""
    return Cos()(x)


def tan(x):
    """Tangent, elementwise."""
    return Tan()(x)


def clamp(x, min=None, max=None, *, a_min=None, a_max=None):  # noqa: A002 - PyTorch's names
    """Limit ``x`` to [min, max] (either bound may be None, a number or a tensor that broadcasts).

    ``clip`` is the same op; NumPy's ``a_min=``/``a_max=`` spellings are accepted too."""
    lo = a_min if min is None else min
    hi = a_max if max is None else max
    if lo is None and hi is None:
        raise op_error(ValueError, "clamp: at least one of 'min' or 'max' must not be None")
    if not isinstance(x, Tensor):
        x = as_tensor(x)
    if not isinstance(lo, Tensor) and not isinstance(hi, Tensor):
        if _is_array(lo) or _is_array(hi):
            lo = None if lo is None else as_tensor(lo, like=x)
            hi = None if hi is None else as_tensor(hi, like=x)
        else:
            return ClampScalar(_number(lo), _number(hi))(x)
    bounds = [as_tensor(b, like=x) for b in (lo, hi) if b is not None]
    return ClampTensor(lo is not None, hi is not None)(x, *bounds)


def _number(v):
    """A Python number for a numpy scalar or 0-d array bound (a float64 scalar would promote float32)."""
    return v.item() if hasattr(v, "item") else v


def _is_array(v):
    return v is not None and hasattr(v, "shape") and hasattr(v, "dtype") and v.ndim > 0


def clip(x, min=None, max=None, *, a_min=None, a_max=None):  # noqa: A002
    """Alias of ``clamp`` (torch.clip; numpy.clip's ``a_min``/``a_max`` accepted)."""
    return clamp(x, min, max, a_min=a_min, a_max=a_max)


def maximum(a, b):
    """Elementwise maximum of two tensors (broadcast); ties split the gradient in half."""
    return Maximum()(a, b)


def minimum(a, b):
    """Elementwise minimum of two tensors (broadcast); ties split the gradient in half."""
    return Minimum()(a, b)


def where(condition, input=None, other=None):  # noqa: A002 - PyTorch's names
    """``input`` where ``condition`` holds, ``other`` elsewhere (all three broadcast);
    ``where(condition)`` alone is ``nonzero(condition, as_tuple=True)``."""
    if input is None and other is None:
        from deepgrad.ops.compare import nonzero

        return nonzero(condition if isinstance(condition, Tensor) else as_tensor(condition), as_tuple=True)
    if input is None or other is None:
        raise op_error(TypeError, "where: expected where(condition) or where(condition, input, other)")
    cond = condition.data if isinstance(condition, Tensor) else condition
    ref = input if isinstance(input, Tensor) else other if isinstance(other, Tensor) else None
    if ref is None:  # two scalars: on the condition's device (a bool condition gives float/int64/bool)
        ref = as_tensor(input, like=condition) if isinstance(condition, Tensor) else as_tensor(input)
    return Where()(Tensor._make(_xp(ref.data).asarray(cond, dtype=bool)), as_tensor(input, like=ref),
                   as_tensor(other, like=ref))


# -- inverse trigonometric and hyperbolic ---------------------------------------------------------
class _Unary(Function):
    """One elementwise float op: ``forward`` applies ``xp.<ufunc>``, ``backward`` multiplies by
    ``derivative(x, y)`` (written with deepgrad ops, so it differentiates again)."""

    ufunc = ""

    def forward(self, x):
        return getattr(_xp(x), self.ufunc)(_float(x))

    def backward(self, gy):
        return gy * self.derivative(self.inputs[0], self.outputs[0]())


class Asin(_Unary):
    ufunc = "arcsin"

    def derivative(self, x, y):
        return rsqrt(1.0 - x * x)


class Acos(_Unary):
    ufunc = "arccos"

    def derivative(self, x, y):
        return -rsqrt(1.0 - x * x)


class Atan(_Unary):
    ufunc = "arctan"

    def derivative(self, x, y):
        return reciprocal(x * x + 1.0)


class Sinh(_Unary):
    ufunc = "sinh"

    def derivative(self, x, y):
        return cosh(x)


class Cosh(_Unary):
    ufunc = "cosh"

    def derivative(self, x, y):
        return sinh(x)


class Asinh(_Unary):
    ufunc = "arcsinh"

    def derivative(self, x, y):
        return rsqrt(x * x + 1.0)


class Acosh(_Unary):
    ufunc = "arccosh"

    def derivative(self, x, y):
        return rsqrt(x * x - 1.0)


class Atanh(_Unary):
    ufunc = "arctanh"

    def derivative(self, x, y):
        return reciprocal(1.0 - x * x)


def asin(x):
    """Inverse sine, elementwise."""
    return Asin()(x)


def acos(x):
    """Inverse cosine, elementwise."""
    return Acos()(x)


def atan(x):
    """Inverse tangent, elementwise."""
    return Atan()(x)


def sinh(x):
    """Hyperbolic sine, elementwise."""
    return Sinh()(x)


def cosh(x):
    """Hyperbolic cosine, elementwise."""
    return Cosh()(x)


def asinh(x):
    """Inverse hyperbolic sine, elementwise."""
    return Asinh()(x)


def acosh(x):
    """Inverse hyperbolic cosine, elementwise."""
    return Acosh()(x)


def atanh(x):
    """Inverse hyperbolic tangent, elementwise."""
    return Atanh()(x)


arcsin, arccos, arctan, arcsinh, arccosh, arctanh = asin, acos, atan, asinh, acosh, atanh


# -- binary: atan2, hypot, logaddexp --------------------------------------------------------------
class Atan2(Function):
    """atan2(a, b), the angle of the point (b, a); the gradient at (0, 0) is 0 (torch)."""

    def forward(self, a, b):
        a, b = _promote(_float(a), _float(b))
        return _xp(a).arctan2(a, b)

    def backward(self, gy):
        a, b = self.inputs
        r2 = a * a + b * b
        at_origin = _const(r2.data == 0)
        recip = where(at_origin, 0.0, 1.0 / where(at_origin, 1.0, r2))
        ga = _unbroadcast(gy * b * recip, a.shape) if a.requires_grad else None
        gb = _unbroadcast(-(gy * a * recip), b.shape) if b.requires_grad else None
        return ga, gb


class Hypot(Function):
    """sqrt(a**2 + b**2) without overflow."""

    def forward(self, a, b):
        a, b = _promote(_float(a), _float(b))
        return _xp(a).hypot(a, b)

    def backward(self, gy):
        a, b = self.inputs
        y = self.outputs[0]()
        ga = _unbroadcast(gy * a / y, a.shape) if a.requires_grad else None
        gb = _unbroadcast(gy * b / y, b.shape) if b.requires_grad else None
        return ga, gb


class LogAddExp(Function):
    """log(exp(a) + exp(b)) computed stably."""

    def forward(self, a, b):
        a, b = _promote(_float(a), _float(b))
        return _xp(a).logaddexp(a, b)

    def backward(self, gy):
        from deepgrad.ops.activation import sigmoid

        a, b = self.inputs
        share = sigmoid(a - b)  # exp(a) / (exp(a) + exp(b)), exact also where a - y would round
        ga = _unbroadcast(gy * share, a.shape) if a.requires_grad else None
        gb = _unbroadcast(gy * (1.0 - share), b.shape) if b.requires_grad else None
        return ga, gb


def atan2(input, other):  # noqa: A002 - PyTorch's names
    """Elementwise angle of (other, input) in (-pi, pi]: atan2(y, x)."""
    return Atan2()(input, other)


arctan2 = atan2


def hypot(input, other):  # noqa: A002
    """sqrt(input**2 + other**2), elementwise."""
    return Hypot()(input, other)


def logaddexp(input, other):  # noqa: A002
    """log(exp(input) + exp(other)), elementwise and stable."""
    return LogAddExp()(input, other)


# -- rounding (zero gradient) and the repairs nan_to_num / clamp_min / clamp_max -------------------
class Rounding(Function):
    """floor / ceil / round / trunc; integer tensors come back unchanged; the gradient is 0 (torch)."""

    def __init__(self, ufunc, decimals=0):
        self.ufunc, self.decimals = ufunc, decimals

    def forward(self, x):
        if x.dtype.kind in "iub":
            return x.copy()
        xp = _xp(x)
        if self.decimals:
            return xp.round(x, self.decimals)
        return getattr(xp, self.ufunc)(x)

    def backward(self, gy):
        return gy * 0.0


def floor(x):
    """Largest integer <= x, elementwise (zero gradient)."""
    return Rounding("floor")(x)


def ceil(x):
    """Smallest integer >= x, elementwise (zero gradient)."""
    return Rounding("ceil")(x)


def round(x, decimals=0):  # noqa: A001 - PyTorch's name
    """Nearest integer (halves to even, as torch), or to ``decimals`` places; zero gradient."""
    return Rounding("rint", decimals)(x)


def trunc(x):
    """x rounded toward zero, elementwise (zero gradient)."""
    return Rounding("trunc")(x)


fix = trunc


def frac(x):
    """x - trunc(x), elementwise (gradient 1)."""
    return x - trunc(x)


class NanToNum(Function):
    """NaN -> ``nan``, +inf -> ``posinf``, -inf -> ``neginf`` (the dtype's extremes by default);
    the gradient passes only where x is finite (torch)."""

    def __init__(self, nan, posinf, neginf):
        self.nan, self.posinf, self.neginf = nan, posinf, neginf

    def forward(self, x):
        return _xp(x).nan_to_num(x, nan=self.nan, posinf=self.posinf, neginf=self.neginf)

    def backward(self, gy):
        x = self.inputs[0].data
        return gy * _const(_xp(x).isfinite(x).astype(gy.dtype))


def nan_to_num(x, nan=0.0, posinf=None, neginf=None):
    """Replace NaN and infinities with finite numbers (torch.nan_to_num)."""
    return NanToNum(nan, posinf, neginf)(x)


def logit(x, eps=None):
    """log(x / (1 - x)), the inverse of sigmoid; with ``eps`` x is first clamped to [eps, 1 - eps]."""
    if eps is not None:
        x = clamp(x, eps, 1.0 - eps)
    return log(x) - log1p(-x)


def clamp_min(x, min):  # noqa: A002 - PyTorch's name
    """clamp(x, min=min)."""
    return clamp(x, min=min)


def clamp_max(x, max):  # noqa: A002
    """clamp(x, max=max)."""
    return clamp(x, max=max)


__all__ = ["exp", "expm1", "log", "log1p", "log2", "log10", "sqrt", "rsqrt", "square", "reciprocal", "abs",
           "absolute", "sign", "sin", "cos", "tan", "clamp", "clip", "maximum", "minimum", "where", "erf",
           "asin", "acos", "atan", "sinh", "cosh", "asinh", "acosh", "atanh", "arcsin", "arccos", "arctan",
           "arcsinh", "arccosh", "arctanh", "atan2", "arctan2", "hypot", "logaddexp", "floor", "ceil", "round",
           "trunc", "fix", "frac", "nan_to_num", "clamp_min", "clamp_max", "logit"]
