"""Keras activation names mapped onto deepgrad.nn.functional (no second implementation).

``get('relu')`` returns the function; ``Dense(10, activation='softmax')`` uses it.  Softmax
and log-softmax act on the last axis, as in Keras.
"""
from __future__ import annotations

from deepgrad.keras.object_registry import get_custom_object
from deepgrad.nn import functional as F


def linear(x):
    """Identity (Keras's ``activation=None``)."""
    return x


def relu(x, negative_slope=0.0, max_value=None, threshold=0.0):
    """max(x, 0); with Keras's optional ``negative_slope``, ``max_value`` and ``threshold``."""
    if negative_slope == 0.0 and max_value is None and threshold == 0.0:
        return F.relu(x)
    if threshold == 0.0:
        y = F.leaky_relu(x, negative_slope) if negative_slope else F.relu(x)
        return y if max_value is None else y.clamp(max=float(max_value))
    # Keras's rule: x where x > threshold else 0, clipped to [0, max_value] when max_value is
    # given, minus negative_slope * relu(threshold - x)
    y = F.where(x > float(threshold), x, x * 0.0)
    if max_value is not None:
        y = y.clamp(min=0.0, max=float(max_value))
    if negative_slope:
        y = y - F.relu(float(threshold) - x) * float(negative_slope)
    return y


def sigmoid(x):
    """1 / (1 + e^-x)."""
    return F.sigmoid(x)


def tanh(x):
    return F.tanh(x)


def softmax(x, axis=-1):
    """exp(x) / sum(exp(x)) along ``axis`` (the last one by default)."""
    return F.softmax(x, dim=axis)


def log_softmax(x, axis=-1):
    return F.log_softmax(x, dim=axis)


def elu(x, alpha=1.0):
    return F.elu(x, alpha)


def selu(x):
    return F.selu(x)


def gelu(x, approximate=False):
    """Keras's default is the exact (erf) GELU."""
    return F.gelu(x, approximate="tanh" if approximate else "none")


def silu(x):
    """x * sigmoid(x), also called swish."""
    return F.silu(x)


swish = silu


def softplus(x):
    return F.softplus(x)


def softsign(x):
    return F.softsign(x)


def leaky_relu(x, negative_slope=0.2):
    """Keras's ``activations.leaky_relu`` default slope is 0.2 (the LeakyReLU layer's is 0.3)."""
    return F.leaky_relu(x, negative_slope)


def relu6(x):
    return F.relu6(x)


def hard_sigmoid(x):
    """relu6(x + 3) / 6, as Keras 3 and PyTorch define it."""
    return F.relu6(x + 3.0) * (1.0 / 6.0)


def exponential(x):
    return x.exp()


def mish(x):
    """x * tanh(softplus(x))."""
    return x * F.tanh(F.softplus(x))


def hard_silu(x):
    """x * hard_sigmoid(x) (also called hard_swish)."""
    return x * hard_sigmoid(x)


hard_swish = hard_silu


def celu(x, alpha=1.0):
    """max(x, 0) + min(alpha * (exp(x / alpha) - 1), 0)."""
    a = float(alpha)
    return F.relu(x) - F.relu(-(((x * (1.0 / a)).clamp(max=0.0).exp() - 1.0) * a))


def log_sigmoid(x):
    """log(sigmoid(x)) = -softplus(-x)."""
    return F.logsigmoid(x)


def hard_tanh(x):
    """x clipped to [-1, 1]."""
    return F.hardtanh(x)


def tanh_shrink(x):
    """x - tanh(x)."""
    return x - F.tanh(x)


def soft_shrink(x, threshold=0.5):
    """x - threshold above threshold, x + threshold below -threshold, 0 between."""
    t = float(threshold)
    return F.relu(x - t) - F.relu(-x - t)


def hard_shrink(x, threshold=0.5):
    """x where |x| > threshold, else 0."""
    return F.where(x.abs() > float(threshold), x, x * 0.0)


def squareplus(x, b=4):
    """(x + sqrt(x^2 + b)) / 2."""
    return (x + (x * x + float(b)).sqrt()) * 0.5


def sparse_plus(x):
    """0 for x <= -1, (x + 1)^2 / 4 for -1 < x < 1, x for x >= 1."""
    mid = (x.clamp(min=-1.0, max=1.0) + 1.0)
    return F.where(x >= 1.0, x, mid * mid * 0.25)


def glu(x, axis=-1):
    """a * sigmoid(b) with a, b the two halves of ``x`` along ``axis``."""
    n = x.shape[axis]
    if n % 2:
        raise ValueError(f"glu: the size of axis {axis} must be even, got shape {tuple(x.shape)}")
    a, b = F.split(x, n // 2, dim=axis)
    return a * F.sigmoid(b)


_ACTIVATIONS = {fn.__name__: fn for fn in (linear, relu, sigmoid, tanh, softmax, log_softmax, elu, selu, gelu,
                                             silu, softplus, softsign, leaky_relu, relu6, hard_sigmoid,
                                             exponential, mish, hard_silu, celu, log_sigmoid, hard_tanh,
                                             tanh_shrink, soft_shrink, hard_shrink, squareplus, sparse_plus, glu)}
_ACTIVATIONS["swish"] = silu
_ACTIVATIONS["hard_swish"] = hard_silu


def get(identifier):
    """The activation function for a name, a function, or None (identity)."""
    if identifier is None:
        return linear
    if isinstance(identifier, str):
        fn = _ACTIVATIONS.get(identifier.lower()) or get_custom_object(identifier)
        if fn is None:
            raise ValueError(f"Unknown activation {identifier!r}; known: {sorted(_ACTIVATIONS)}")
        return fn
    if callable(identifier):
        return identifier
    raise TypeError(f"activation: expected a name or a function, got {type(identifier).__name__}")


def serialize(fn) -> str:
    """The name ``get`` maps back to ``fn`` (a custom function is saved by its ``__name__``)."""
    for name, f in _ACTIVATIONS.items():
        if f is fn:
            return name
    return getattr(fn, "__name__", type(fn).__name__)


__all__ = sorted(_ACTIVATIONS) + ["get", "serialize"]
