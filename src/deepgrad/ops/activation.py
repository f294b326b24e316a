"""Activations with PyTorch's names and defaults: sigmoid, logistic, tanh, relu, relu6, leaky_relu,
prelu, elu, selu, gelu, softplus, logsigmoid, silu, hardtanh, identity.

Forward works on raw arrays and stays finite (no overflow warnings) at +-1e4; backward is
written with deepgrad ops so ``create_graph=True`` gives second derivatives.
"""
from __future__ import annotations

import math

import numpy as np

from deepgrad import kernels
from deepgrad.autograd import Function, config
from deepgrad.backend import get_array_module
from deepgrad.errors import op_error
from deepgrad.kernels._compile import use_kernels
from deepgrad.ops.elementwise import exp, fill_operand, where
from deepgrad.ops.special import erf, erf_array
from deepgrad.tensor import Tensor


def _xp(a):
    return get_array_module(a)


def _const(array):
    return Tensor._make(array)


def _float(x):
    if x.dtype.kind in "fc":
        return x
    from deepgrad.dtypes import get_default_dtype

    return x.astype(get_default_dtype())


def sigmoid_array(x):
    """1 / (1 + exp(-x)) on an array, in its dtype; exp(-x) may overflow to inf (giving exactly 0)
    and that is silenced, so the result keeps full relative precision for very negative x."""
    xp = _xp(x)
    x = _float(x)
    y = xp.empty_like(x)
    with np.errstate(over="ignore"):
        xp.negative(x, out=y)
        xp.exp(y, out=y)
    y += 1.0
    xp.reciprocal(y, out=y)
    return y


class Sigmoid(Function):
    """sigma(x) = 1 / (1 + e^-x); d sigma = sigma (1 - sigma)."""

    def forward(self, x):
        if use_kernels(x) and x.dtype.kind == "f":  # a CUDA GPU: one launch (deepgrad.kernels)
            return kernels.sigmoid_forward(x)
        return sigmoid_array(x)

    def backward(self, gy):
        y = self.outputs[0]()
        if not config.grad_enabled and use_kernels(gy.data):
            return Tensor._make(kernels.sigmoid_backward(y.data, gy.data))
        return gy * (y * (1.0 - y))


class Tanh(Function):
    """tanh(x); d tanh = 1 - tanh^2."""

    def forward(self, x):
        return _xp(x).tanh(_float(x))

    def backward(self, gy):
        y = self.outputs[0]()
        return gy * (1.0 - y * y)


class ReLU(Function):
    """max(x, 0); the gradient at 0 is 0 (as torch)."""

    def forward(self, x):
        return _xp(x).maximum(x, fill_operand(x, 0))

    def backward(self, gy):
        if not config.grad_enabled and use_kernels(gy.data):  # a CUDA GPU: one launch
            return Tensor._make(kernels.relu_backward(self.inputs[0].data, gy.data))
        return gy * _const((self.inputs[0].data > 0).astype(gy.dtype))


class LeakyReLU(Function):
    """x for x > 0, negative_slope * x otherwise."""

    def __init__(self, negative_slope):
        self.slope = float(negative_slope)

    def forward(self, x):
        xp = _xp(x)  # max(x, s x) for s <= 1, min(x, s x) above: exact, and no slow where on a random mask
        return (xp.maximum if self.slope <= 1.0 else xp.minimum)(x, x * self.slope)

    def backward(self, gy):
        x = self.inputs[0].data
        slope = (x > 0).astype(gy.dtype)
        slope *= 1.0 - self.slope
        slope += self.slope  # 1 where x > 0, negative_slope elsewhere
        return gy * _const(slope)


class PReLU(Function):
    """x for x > 0, a * x otherwise, with a learned slope ``a`` (one, or one per channel on dim 1)."""

    def forward(self, x, w):
        if w.ndim != 1 or (w.size != 1 and (x.ndim < 2 or w.size != x.shape[1])):
            channels = x.shape[1] if x.ndim >= 2 else 1
            raise op_error(ValueError, f"prelu: weight must have shape (1,) or ({channels},) (channels on dim 1 "
                                       f"of the input of shape {tuple(x.shape)}), got {tuple(w.shape)}")
        self.w_shape = (1,) * min(x.ndim, 1) if w.size == 1 else (w.size,) + (1,) * (x.ndim - 2)
        wb = w.reshape(self.w_shape)
        xp = _xp(x)
        return xp.maximum(x, fill_operand(x, 0)) + xp.minimum(x, fill_operand(x, 0)) * wb  # exact

    def backward(self, gy):
        from deepgrad.ops.arith import _unbroadcast
        from deepgrad.ops.shape import reshape

        x, w = self.inputs
        pos = x.data > 0
        gx = gw = None
        if x.requires_grad:
            gx = where(pos, gy, gy * reshape(w, self.w_shape))
        if w.requires_grad:
            gw = reshape(_unbroadcast(where(pos, 0.0, gy * x), self.w_shape), w.shape)
        return gx, gw


class ELU(Function):
    """scale * x for x > 0, scale * alpha * (e^x - 1) otherwise (elu: scale 1; selu: fixed constants)."""

    def __init__(self, alpha, scale=1.0):
        self.alpha, self.scale = float(alpha), float(scale)

    def forward(self, x):
        xp = _xp(x)
        zero = fill_operand(x, 0)
        neg = xp.expm1(xp.minimum(x, zero)) * (self.alpha * self.scale)  # no exp of large positives
        pos = xp.maximum(x, zero)
        if self.scale != 1.0:
            pos *= self.scale
        return pos + neg  # one of the two is exactly 0 (a where on a random mask is slow in numpy)

    def backward(self, gy):
        y = self.outputs[0]()
        pos = self.inputs[0].data > 0
        return where(pos, gy * self.scale, gy * (y + self.alpha * self.scale))  # e^x sa = y + sa for x <= 0


_SQRT1_2 = 1.0 / math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_K_TANH = math.sqrt(2.0 / math.pi)
_C_TANH = 0.044715


class GELU(Function):
    """x * Phi(x) (Phi the standard normal CDF); ``approximate='tanh'`` uses
    0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))."""

    def __init__(self, approximate="none"):
        if approximate not in ("none", "tanh"):
            raise op_error(ValueError, f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, x):
        xp = _xp(x)
        if self.approximate == "tanh":
            inner = (x + x * x * x * _C_TANH) * _K_TANH
            return x * (xp.tanh(inner) + 1.0) * 0.5
        return x * (erf_array(x * _SQRT1_2) + 1.0) * 0.5

    def backward(self, gy):
        (x,) = self.inputs
        if self.approximate == "tanh":
            x2 = x * x
            t = tanh((x + x2 * x * _C_TANH) * _K_TANH)
            d = (t + 1.0) * 0.5 + x * (1.0 - t * t) * (x2 * (3.0 * _C_TANH) + 1.0) * (0.5 * _K_TANH)
            return gy * d
        cdf = (erf(x * _SQRT1_2) + 1.0) * 0.5
        pdf = exp(x * x * -0.5) * _INV_SQRT_2PI
        return gy * (cdf + x * pdf)


class Softplus(Function):
    """log(1 + e^(beta x)) / beta, and x itself where beta x > threshold (as torch)."""

    def __init__(self, beta=1.0, threshold=20.0):
        self.beta, self.threshold = float(beta), float(threshold)

    def forward(self, x):
        xp = _xp(x)
        bx = x * self.beta if self.beta != 1.0 else x
        soft = xp.log1p(xp.exp(xp.minimum(bx, fill_operand(bx, self.threshold))))
        if self.beta != 1.0:
            soft = soft / self.beta
        return xp.where(bx > self.threshold, x, soft)

    def backward(self, gy):
        (x,) = self.inputs
        lin = x.data * self.beta > self.threshold
        bx = x * self.beta if self.beta != 1.0 else x
        return where(lin, gy, gy * sigmoid(bx))


class LogSigmoid(Function):
    """log(sigmoid(x)) = min(x, 0) - log(1 + e^-|x|), finite for any x."""

    def forward(self, x):
        xp = _xp(x)
        return xp.minimum(x, 0) - xp.log1p(xp.exp(-xp.abs(x)))

    def backward(self, gy):
        return gy * sigmoid(-self.inputs[0])


class SiLU(Function):
    """x * sigmoid(x) (also called swish); derivative s (1 + x (1 - s))."""

    def forward(self, x):
        return x * sigmoid_array(x)

    def backward(self, gy):
        (x,) = self.inputs
        s = sigmoid(x)
        return gy * (s * (x * (1.0 - s) + 1.0))


class Hardtanh(Function):
    """clamp(x, min_val, max_val) whose gradient passes only strictly inside (as torch)."""

    def __init__(self, min_val, max_val):
        self.lo, self.hi = float(min_val), float(max_val)

    def forward(self, x):
        xp = _xp(x)
        y = xp.maximum(x, fill_operand(x, self.lo))
        return xp.minimum(y, fill_operand(y, self.hi))

    def backward(self, gy):
        x = self.inputs[0].data
        return gy * _const(((x > self.lo) & (x < self.hi)).astype(gy.dtype))


# -- helpers --------------------------------------------------------------------------------
def sigmoid(x):
    """The logistic sigmoid 1 / (1 + e^-x), without overflow warnings for large |x|."""
    return Sigmoid()(x)


def logistic(x, L=1.0, k=1.0, x0=0.0):  # noqa: N803 - the lecture's names
    """The general logistic function L / (1 + e^(-k (x - x0))) of the lectures (seed 000);
    sigmoid is L = k = 1, x0 = 0.  L, k and x0 may be numbers or tensors (then they get gradients)."""
    L, k, x0 = _number(L), _number(k), _number(x0)
    z = x if (isinstance(x0, (int, float)) and x0 == 0) else x - x0
    if not (isinstance(k, (int, float)) and k == 1):
        z = z * k
    y = sigmoid(z)
    if not (isinstance(L, (int, float)) and L == 1):
        y = y * L
    return y


def _number(v):
    """Python float for numpy scalars and 0-d arrays (a float64 scalar would promote float32 math)."""
    if isinstance(v, np.generic) or (isinstance(v, np.ndarray) and v.ndim == 0):
        return v.item()
    return v


def tanh(x):
    """Hyperbolic tangent."""
    return Tanh()(x)


def relu(x, inplace=False):
    """max(x, 0) (``inplace`` is accepted for PyTorch compatibility and ignored)."""
    return ReLU()(x)


def relu6(x, inplace=False):
    """min(max(x, 0), 6)."""
    return Hardtanh(0.0, 6.0)(x)


def hardtanh(x, min_val=-1.0, max_val=1.0, inplace=False):
    """clamp(x, min_val, max_val) with PyTorch's hardtanh gradient (zero at the bounds)."""
    return Hardtanh(min_val, max_val)(x)


def leaky_relu(x, negative_slope=0.01, inplace=False):
    """x for x > 0, negative_slope * x otherwise."""
    return LeakyReLU(negative_slope)(x)


def prelu(x, weight):
    """Parametric ReLU: x for x > 0, weight * x otherwise; ``weight`` has shape (1,) or (C,) with
    C = x.shape[1] (the channel dimension), as torch.nn.functional.prelu."""
    return PReLU()(x, weight)


def elu(x, alpha=1.0, inplace=False):
    """x for x > 0, alpha * (e^x - 1) otherwise."""
    return ELU(alpha)(x)


SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def selu(x, inplace=False):
    """scale * elu(x, alpha) with the self-normalising constants of Klambauer et al. (2017)."""
    return ELU(SELU_ALPHA, SELU_SCALE)(x)


def gelu(x, approximate="none"):
    """x * Phi(x) with the exact normal CDF (``approximate='none'``) or the tanh approximation."""
    return GELU(approximate)(x)


def softplus(x, beta=1.0, threshold=20.0):
    """log(1 + e^(beta x)) / beta, linear where beta x > threshold; never overflows."""
    return Softplus(beta, threshold)(x)


def logsigmoid(x):
    """log(sigmoid(x)), finite for any x."""
    return LogSigmoid()(x)


def silu(x, inplace=False):
    """x * sigmoid(x)."""
    return SiLU()(x)


swish = silu


def identity(x):
    """x itself (the identity activation of the lectures)."""
    return x


__all__ = ["sigmoid", "logistic", "tanh", "relu", "relu6", "hardtanh", "leaky_relu", "prelu", "elu", "selu",
           "gelu", "softplus", "logsigmoid", "silu", "swish", "identity"]
