"""Inverted dropout: active only in training, survivors scaled by 1 / (1 - p)."""
from __future__ import annotations

from deepgrad.autograd import Function
from deepgrad.backend import get_array_module as _xp
from deepgrad.errors import op_error
from deepgrad.random import generator
from deepgrad.tensor import Tensor, as_tensor


class Dropout(Function):
    """y = x * mask, mask = (u >= p) / (1 - p) with u uniform from deepgrad's seeded generator.

    The mask is kept for backward: gx = gy * mask (the same units are dropped)."""

    def __init__(self, p):
        self.p = p

    def forward(self, x):
        xp = _xp(x)
        if self.p == 1.0:
            self.mask = xp.zeros(x.shape, dtype=x.dtype)
        else:
            u = generator(xp).random(x.shape, dtype=xp.float64 if x.dtype == xp.float64 else xp.float32)
            self.mask = (u >= self.p).astype(x.dtype)
            self.mask *= xp.asarray(1.0 / (1.0 - self.p), dtype=x.dtype)
        return x * self.mask

    def backward(self, gy):
        return gy * Tensor._make(self.mask)


def dropout(input, p=0.5, training=True, inplace=False):  # noqa: A002 - PyTorch's names
    """Zero each element with probability ``p`` and scale the rest by 1 / (1 - p) while
    ``training``; the identity otherwise (or when p == 0).  ``inplace`` is accepted for
    PyTorch compatibility and ignored (the result is always a new tensor)."""
    if not 0.0 <= p <= 1.0:
        raise op_error(ValueError, f"dropout: probability p must be between 0 and 1, got {p}")
    input = as_tensor(input)
    if not training or p == 0.0:
        return input
    return Dropout(float(p))(input)


def _feature_dropout(op, input, p, training, nd):  # noqa: A002
    """Zero whole channels: one draw per (N, C) of (N, C, *spatial) (per C of an unbatched input)."""
    if not 0.0 <= p <= 1.0:
        raise op_error(ValueError, f"{op}: probability p must be between 0 and 1, got {p}")
    x = as_tensor(input)
    if x.ndim not in (nd + 1, nd + 2):
        raise op_error(ValueError, f"{op}: expected a {nd + 1}-D (unbatched) or {nd + 2}-D input, got shape {x.shape}")
    if not training or p == 0.0:
        return x
    xp = _xp(x.data)
    if p == 1.0:
        return x * Tensor._make(xp.zeros((), dtype=x.dtype))
    shape = x.shape[:x.ndim - nd] + (1,) * nd
    keep = generator(xp).random(shape, dtype=xp.float64 if x.dtype == xp.float64 else xp.float32) >= p
    return x * Tensor._make(keep.astype(x.dtype) * xp.asarray(1.0 / (1.0 - p), dtype=x.dtype))


def dropout1d(input, p=0.5, training=True, inplace=False):  # noqa: A002
    """Zero whole channels of (N, C, L) or (C, L) with probability ``p``, scale the rest by 1 / (1 - p)."""
    return _feature_dropout("dropout1d", input, p, training, 1)


def dropout2d(input, p=0.5, training=True, inplace=False):  # noqa: A002
    """Zero whole channels of (N, C, H, W) with probability ``p``; a 3-D input is taken as (N, C, L)
    (channel-wise 1-D dropout), as PyTorch does."""
    x = as_tensor(input)
    return _feature_dropout("dropout2d", x, p, training, 1 if x.ndim == 3 else 2)


def dropout3d(input, p=0.5, training=True, inplace=False):  # noqa: A002
    """Zero whole channels of (N, C, D, H, W) or (C, D, H, W) with probability ``p``."""
    return _feature_dropout("dropout3d", input, p, training, 3)


_SELU_ALPHA_PRIME = -1.7580993408473766  # -scale * alpha of SELU: where SELU saturates


def _alpha_dropout(op, input, p, training, feature):  # noqa: A002
    """Drop to SELU's saturation value and restore mean 0 / variance 1 (Klambauer et al. 2017)."""
    if not 0.0 <= p <= 1.0:
        raise op_error(ValueError, f"{op}: probability p must be between 0 and 1, got {p}")
    x = as_tensor(input)
    if not training or p == 0.0 or x.size == 0:
        return x
    xp = _xp(x.data)
    if p == 1.0:
        return x * Tensor._make(xp.zeros((), dtype=x.dtype))
    if feature and x.ndim < 2:
        raise op_error(ValueError, f"{op}: expected an input with a channel dim (N, C, *), got shape {x.shape}")
    shape = x.shape[:2] + (1,) * (x.ndim - 2) if feature else x.shape
    keep = (generator(xp).random(shape, dtype=xp.float64 if x.dtype == xp.float64 else xp.float32) >= p)
    keep = keep.astype(x.dtype)
    a = ((1.0 - p) * (1.0 + p * _SELU_ALPHA_PRIME ** 2)) ** -0.5
    b = Tensor._make(((1.0 - keep) * (a * _SELU_ALPHA_PRIME) - a * _SELU_ALPHA_PRIME * p).astype(x.dtype))
    return x * Tensor._make((keep * a).astype(x.dtype)) + b


def alpha_dropout(input, p=0.5, training=False, inplace=False):  # noqa: A002
    """Dropout for SELU networks: dropped units take SELU's negative saturation value, then an affine
    map keeps the mean and variance; the identity unless ``training`` (PyTorch's default False)."""
    return _alpha_dropout("alpha_dropout", input, p, training, feature=False)


def feature_alpha_dropout(input, p=0.5, training=False, inplace=False):  # noqa: A002
    """``alpha_dropout`` of whole channels of (N, C, *)."""
    return _alpha_dropout("feature_alpha_dropout", input, p, training, feature=True)


__all__ = ["dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout", "feature_alpha_dropout"]
