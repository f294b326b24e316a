"""Elementwise math: exp, log, log1p, sqrt, abs, sign, sin, cos, clamp, maximum, minimum, where."""
from __future__ import annotations

from deepgrad.autograd import Function
from deepgrad.tensor import Tensor, as_tensor


class Exp(Function):
    def forward(self, x):
        return _xp(x).exp(x)

    def backward(self, gy):
        return gy * self.outputs[0]()


class Log(Function):
    def forward(self, x):
        return _xp(x).log(x)

    def backward(self, gy):
        return gy / self.inputs[0]


class Where(Function):
    """where(cond, a, b): a where cond holds, b elsewhere; cond gets no gradient."""

    def forward(self, cond, a, b):
        self.cond = cond
        return _xp(a).where(cond, a, b)

    def backward(self, gy):
        from deepgrad.ops.arith import _unbroadcast

        _, a, b = self.inputs
        cond = Tensor._make(self.cond)
        zero = as_tensor(0.0, like=gy)
        ga = _unbroadcast(where(cond, gy, zero), a.shape) if a.requires_grad else None
        gb = _unbroadcast(where(cond, zero, gy), b.shape) if b.requires_grad else None
        return None, ga, gb


def exp(x):
    return Exp()(x)


def log(x):
    return Log()(x)


def where(condition, input, other):  # noqa: A002 - PyTorch's names
    cond = condition.data if isinstance(condition, Tensor) else condition
    ref = input if isinstance(input, Tensor) else other if isinstance(other, Tensor) else None
    if ref is None:
        ref = as_tensor(input)
    return Where()(Tensor._make(_xp(ref.data).asarray(cond, dtype=bool)), as_tensor(input, like=ref), as_tensor(other, like=ref))


def _xp(a):
    from deepgrad.backend import get_array_module

    return get_array_module(a)


__all__ = ["exp", "log", "where"]
