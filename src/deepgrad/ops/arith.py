"""Arithmetic: add, sub, mul, div, neg, pow, matmul (broadcasting differentiated)."""
from __future__ import annotations

import numpy as np

from deepgrad.autograd import Function
from deepgrad.ops.shape import reshape, sum_to, swap_last
from deepgrad.tensor import Tensor, as_tensor


def _unbroadcast(g, shape):
    return g if g.shape == shape else sum_to(g, shape)


_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}


def result_dtype(a, b):
    """PyTorch's result type of two arrays: the higher category (bool < int < float < complex)
    wins; within one category a dimensioned operand wins over a 0-d one (float32 tensor + float64
    0-d tensor is float32), otherwise the usual promotion (int32 + int64 is int64)."""
    da, db = a.dtype, b.dtype
    if da == db:
        return da
    ca, cb = _CATEGORY.get(da.kind, 2), _CATEGORY.get(db.kind, 2)
    if ca != cb:
        return da if ca > cb else db
    if a.ndim == 0 and b.ndim > 0:
        return db
    if b.ndim == 0 and a.ndim > 0:
        return da
    import numpy as np

    return np.promote_types(da, db)


def _promote(a, b):
    """Both arrays in their PyTorch result type (NumPy would give float64 for int64 with a
    float32 0-d array, or for float32 with a float64 0-d array)."""
    if a.dtype == b.dtype:
        return a, b
    dt = result_dtype(a, b)
    return (a if a.dtype == dt else a.astype(dt)), (b if b.dtype == dt else b.astype(dt))


class Add(Function):
    def forward(self, a, b):
        if a.dtype is not b.dtype:
            a, b = _promote(a, b)
        return a + b

    def backward(self, gy):
        a, b = self.inputs
        return (_unbroadcast(gy, a.shape) if a.requires_grad else None,
                _unbroadcast(gy, b.shape) if b.requires_grad else None)


class Sub(Function):
    def forward(self, a, b):
        if a.dtype is not b.dtype:
            a, b = _promote(a, b)
        return a - b

    def backward(self, gy):
        a, b = self.inputs
        return (_unbroadcast(gy, a.shape) if a.requires_grad else None,
                _unbroadcast(-gy, b.shape) if b.requires_grad else None)


class Mul(Function):
    def forward(self, a, b):
        if a.dtype is not b.dtype:
            a, b = _promote(a, b)
        return a * b

    def backward(self, gy):
        a, b = self.inputs
        return (_unbroadcast(gy * b, a.shape) if a.requires_grad else None,
                _unbroadcast(gy * a, b.shape) if b.requires_grad else None)


class Div(Function):
    def forward(self, a, b):
        if a.dtype is not b.dtype:
            a, b = _promote(a, b)
        if a.dtype.kind in "iub":  # true division of integers gives the default float dtype
            from deepgrad.dtypes import get_default_dtype

            a, b = a.astype(get_default_dtype()), b.astype(get_default_dtype())
        return a / b

    def backward(self, gy):
        a, b = self.inputs
        ga = _unbroadcast(gy / b, a.shape) if a.requires_grad else None
        gb = _unbroadcast(-gy * a / (b * b), b.shape) if b.requires_grad else None
        return ga, gb


class Neg(Function):
    def forward(self, x):
        return -x

    def backward(self, gy):
        return -gy


class PowScalar(Function):
    """x ** c for a constant exponent c."""

    def __init__(self, c):
        self.c = c

    def forward(self, x):
        c = self.c
        if x.dtype.kind in "iub":
            if isinstance(c, float):  # int tensor ** 0.5 is a float tensor of the default dtype
                from deepgrad.dtypes import get_default_dtype

                x = x.astype(get_default_dtype())
            elif c < 0:
                raise ValueError(f"pow: integers to negative integer powers are not allowed (exponent {c})")
        return x ** c

    def backward(self, gy):
        (x,) = self.inputs
        c = self.c
        if c == 0:  # torch: zero gradient, also at x == 0 (where c * x**(c-1) would be nan)
            return gy * 0.0
        if c == 2:
            return gy * (x * 2.0)
        return gy * (x ** (c - 1)) * float(c)


class Pow(Function):
    """x ** y with a tensor exponent."""

    def forward(self, a, b):
        if a.dtype is not b.dtype:
            a, b = _promote(a, b)
        if a.dtype.kind in "iu" and bool((b < 0).any()):
            raise ValueError("pow: integers to negative integer powers are not allowed")
        return a ** b

    def backward(self, gy):
        from deepgrad.ops.elementwise import log, where

        a, b = self.inputs
        ga = _unbroadcast(gy * b * a ** (b - 1.0), a.shape) if a.requires_grad else None
        gb = None
        if b.requires_grad:
            safe = where(a > 0, a, 1.0)  # d/db a**b = a**b log a; 0 where a <= 0 (as torch for a == 0)
            gb = _unbroadcast(gy * a ** b * log(safe), b.shape)
        return ga, gb


class MatMul(Function):
    """a @ b for 1-D, 2-D, batched and broadcast operands (NumPy's matmul rules)."""

    def forward(self, a, b):
        if a.ndim == 0 or b.ndim == 0:
            raise ValueError("matmul: both operands need at least one dimension")
        k_a = a.shape[-1]
        k_b = b.shape[0] if b.ndim == 1 else b.shape[-2]
        if k_a != k_b:
            raise ValueError(f"matmul: shapes {tuple(a.shape)} and {tuple(b.shape)} cannot be multiplied "
                             f"({k_a} != {k_b})")
        if a.dtype is not b.dtype:
            a, b = _promote(a, b)
        return a @ b

    def backward(self, gy):
        a, b = self.inputs
        if a.ndim == 2 and b.ndim == 2:
            return (gy @ b.T if a.requires_grad else None, a.T @ gy if b.requires_grad else None)
        a2 = reshape(a, (1,) + a.shape) if a.ndim == 1 else a
        b2 = reshape(b, b.shape + (1,)) if b.ndim == 1 else b
        g = gy
        if a.ndim == 1:
            g = reshape(g, g.shape[:-1] + (1,) + g.shape[-1:]) if b.ndim > 1 else reshape(g, g.shape + (1,))
        if b.ndim == 1:
            g = reshape(g, g.shape + (1,))
        ga = gb = None
        if a.requires_grad:
            ga = reshape(_unbroadcast(g @ swap_last(b2), a2.shape), a.shape)
        if b.requires_grad:
            gb = reshape(_unbroadcast(swap_last(a2) @ g, b2.shape), b.shape)
        return ga, gb


def add(a, b, *, alpha=None):
    """a + alpha * b (alpha defaults to 1, as torch.add)."""
    if alpha is not None and alpha != 1:
        b = mul(b, alpha)
    return Add()(a, b)


def sub(a, b, *, alpha=None):
    """a - alpha * b (alpha defaults to 1, as torch.sub)."""
    if alpha is not None and alpha != 1:
        b = mul(b, alpha)
    return Sub()(a, b)


def mul(a, b):
    return Mul()(a, b)


class IntegerDivisionByZero(RuntimeError, ZeroDivisionError):
    """torch's ``RuntimeError: ZeroDivisionError`` for an integer divisor of 0 (a ZeroDivisionError too)."""


def _no_integer_zero(op, x, y):
    """Integer division by 0 raises, as torch on the CPU (NumPy would warn and give 0); on a GPU it
    is not checked (it would cost a sync; torch's CUDA kernels do not check either)."""
    if y.dtype.kind in "iub" and x.dtype.kind in "iub" and _xp(y) is np and (y == 0).any():
        err = IntegerDivisionByZero(f"{op}: integer division by zero (ZeroDivisionError)")
        err._deepgrad = True
        raise err


def div(a, b, *, rounding_mode=None):
    """a / b (true division; integers give the default float dtype); ``rounding_mode='floor'`` or
    ``'trunc'`` rounds the quotient (not differentiable; integers stay integers), as torch.div."""
    if rounding_mode is None:
        return Div()(a, b)
    if rounding_mode not in ("floor", "trunc"):
        raise ValueError(f"div: rounding_mode must be None, 'floor' or 'trunc', got {rounding_mode!r}")
    if rounding_mode == "floor":
        return floor_divide(a, b)
    a_t = a if isinstance(a, Tensor) else as_tensor(a, like=b)
    b_t = b if isinstance(b, Tensor) else as_tensor(b, like=a_t)
    x, y = _promote(a_t.data, b_t.data)
    xp = _xp(x)
    _no_integer_zero("div", x, y)
    if x.dtype.kind in "iu":
        q = xp.floor_divide(x, y)
        q = q + ((q < 0) & (q * y != x))  # floor rounds negative quotients down; trunc rounds toward 0
        return Tensor._make(q.astype(x.dtype))
    with np.errstate(divide="ignore", invalid="ignore"):
        return Tensor._make(xp.trunc(x / y))


true_divide = divide = div
multiply = mul
subtract = sub


def neg(x):
    return Neg()(x)


negative = neg


def pow(x, exponent):  # noqa: A001 - PyTorch's name
    if isinstance(exponent, Tensor):
        return Pow()(x, exponent)
    if not isinstance(exponent, (int, float)):  # an array (or numpy scalar) exponent
        return Pow()(x, as_tensor(exponent, like=x if isinstance(x, Tensor) else None))  # on x's device
    if not isinstance(x, Tensor):  # scalar ** tensor
        return Pow()(as_tensor(x, like=exponent), exponent)
    return PowScalar(exponent)(x)


def matmul(a, b):
    return MatMul()(a, b)


class _QuotientRemainder(Function):
    """a - quot * b for a rounded quotient ``quot`` (saved by forward): gradients gy and -gy * quot."""

    def backward(self, gy):
        a, b = self.inputs
        ga = _unbroadcast(gy, a.shape) if a.requires_grad else None
        gb = _unbroadcast(-gy * Tensor._make(self.quot), b.shape) if b.requires_grad else None
        return ga, gb


class Remainder(_QuotientRemainder):
    """a mod b with the sign of b (Python's and PyTorch's ``%``)."""

    def forward(self, a, b):
        if a.dtype is not b.dtype:
            a, b = _promote(a, b)
        _no_integer_zero("remainder", a, b)
        with np.errstate(divide="ignore", invalid="ignore"):
            self.quot = _xp(a).floor_divide(a, b)
            return a - self.quot * b


def remainder(a, b):
    return Remainder()(a, b)


class Fmod(_QuotientRemainder):
    """C's fmod: a - trunc(a / b) * b, with the sign of a (torch.fmod)."""

    def forward(self, a, b):
        if a.dtype is not b.dtype:
            a, b = _promote(a, b)
        _no_integer_zero("fmod", a, b)
        xp = _xp(a)
        with np.errstate(divide="ignore", invalid="ignore"):
            self.quot = xp.trunc(a / b) if a.dtype.kind == "f" else None
            return xp.fmod(a, b)


def fmod(a, b):
    """Remainder with the sign of the dividend ``a`` (torch.fmod; ``%`` follows the divisor)."""
    return Fmod()(a, b)


def floor_divide(a, b):
    """a // b, rounded toward minus infinity; not differentiable (its gradient is zero almost everywhere)."""
    a_t = a if isinstance(a, Tensor) else as_tensor(a, like=b)
    b_t = b if isinstance(b, Tensor) else as_tensor(b, like=a_t)
    x, y = _promote(a_t.data, b_t.data)
    _no_integer_zero("floor_divide", x, y)
    with np.errstate(divide="ignore", invalid="ignore"):  # float x // 0 is +-inf or nan, quietly (torch)
        return Tensor._make(_xp(x).floor_divide(x, y))


def _xp(a):
    from deepgrad.backend import get_array_module

    return get_array_module(a)


def mm(a, b):
    if a.ndim != 2 or b.ndim != 2:
        raise ValueError(f"mm: expected 2-D tensors, got shapes {a.shape} and {b.shape}")
    return MatMul()(a, b)


def dot(a, b):
    if a.ndim != 1 or b.ndim != 1:
        raise ValueError(f"dot: expected 1-D tensors, got shapes {a.shape} and {b.shape}")
    return MatMul()(a, b)


def bmm(a, b):
    """Batched matrix product of (B, n, m) and (B, m, p) tensors."""
    if a.ndim != 3 or b.ndim != 3 or a.shape[0] != b.shape[0]:
        raise ValueError(f"bmm: expected 3-D tensors with the same batch size, got shapes {a.shape} and {b.shape}")
    return MatMul()(a, b)


def outer(a, b):
    """Outer product of two 1-D tensors: shape (len(a), len(b))."""
    if a.ndim != 1 or b.ndim != 1:
        raise ValueError(f"outer: expected 1-D tensors, got shapes {a.shape} and {b.shape}")
    return mul(reshape(a, (-1, 1)), reshape(b, (1, -1)))


ger = outer

__all__ = ["add", "sub", "mul", "div", "neg", "pow", "matmul", "remainder", "floor_divide", "mm", "dot", "true_divide",
           "divide", "multiply", "subtract", "negative", "bmm", "outer", "ger", "fmod"]
