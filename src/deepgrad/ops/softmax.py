"""softmax, log_softmax (both subtract the max first: finite at logits of +-1e4) and one_hot."""
from __future__ import annotations

from deepgrad.autograd import Function
from deepgrad.backend import get_array_module as _xp
from deepgrad.errors import op_error
from deepgrad.ops._util import axis_arg
from deepgrad.ops.reduction import sum as sum_
from deepgrad.tensor import Tensor


class Softmax(Function):
    """y = exp(x - max) / sum(exp(x - max)) along ``axis``.  dy/dx: gx = y * (gy - sum(gy * y))."""

    def __init__(self, axis):
        self.axis = axis

    def forward(self, x):
        xp = _xp(x)
        e = xp.exp(x - x.max(axis=self.axis, keepdims=True))
        e /= e.sum(axis=self.axis, keepdims=True)
        return e

    def backward(self, gy):
        y = self.outputs[0]()
        gyy = gy * y
        return gyy - y * sum_(gyy, axis=self.axis, keepdims=True)


class LogSoftmax(Function):
    """y = x - max - log(sum(exp(x - max))) along ``axis``.  gx = gy - exp(y) * sum(gy)."""

    def __init__(self, axis):
        self.axis = axis

    def forward(self, x):
        xp = _xp(x)
        z = x - x.max(axis=self.axis, keepdims=True)
        z -= xp.log(xp.exp(z).sum(axis=self.axis, keepdims=True))
        return z

    def backward(self, gy):
        from deepgrad.ops.elementwise import exp

        y = self.outputs[0]()
        return gy - exp(y) * sum_(gy, axis=self.axis, keepdims=True)


def _softmax_dim(x, dim, axis, op):
    d = axis_arg(dim, axis)
    if d is None:  # PyTorch's implicit choice is deprecated; we take the last dim, as Keras does
        d = -1
    n = max(x.ndim, 1)
    if not -n <= d < n:
        raise op_error(IndexError, f"{op}: dim {d} is out of range for a tensor of shape {x.shape}")
    return d % n if x.ndim else None


def softmax(x, dim=-1, *, axis=None, dtype=None):
    """Probabilities along ``dim`` (default the last): exp(x) / sum(exp(x)), computed stably."""
    if dtype is not None:
        x = x.type(dtype)
    return Softmax(_softmax_dim(x, dim if axis is None else None, axis, "softmax"))(x)


def log_softmax(x, dim=-1, *, axis=None, dtype=None):
    """log(softmax(x)) along ``dim`` without forming softmax: x - max - log(sum(exp(x - max)))."""
    if dtype is not None:
        x = x.type(dtype)
    return LogSoftmax(_softmax_dim(x, dim if axis is None else None, axis, "log_softmax"))(x)


def one_hot(labels, num_classes=-1):
    """int64 one-hot rows: shape ``labels.shape + (num_classes,)``; ``num_classes=-1`` means
    ``max(labels) + 1``.  Not differentiable.  Labels outside [0, num_classes) raise ValueError."""
    a = labels.data if isinstance(labels, Tensor) else labels
    if not hasattr(a, "dtype"):
        import numpy as np

        a = np.asarray(a)
    if a.dtype.kind not in "iu":
        raise op_error(TypeError, f"one_hot: labels must be integers, got dtype {a.dtype}")
    xp = _xp(a)
    if num_classes == -1:
        if a.size == 0:
            raise op_error(ValueError, "one_hot: cannot infer num_classes from empty labels; pass num_classes")
        num_classes = int(a.max()) + 1
    if a.size:
        low, high = int(a.min()), int(a.max())
        if low < 0 or high >= num_classes:
            bad = low if low < 0 else high
            raise op_error(ValueError, f"one_hot: label {bad} is out of range for num_classes={num_classes} "
                                       f"(expected 0 <= label < {num_classes})")
    return Tensor._make((a[..., None] == xp.arange(num_classes)).astype(xp.int64))


__all__ = ["softmax", "log_softmax", "one_hot"]
