"""Normalization ops: ``batch_norm``, ``layer_norm``, ``group_norm``, ``instance_norm``, each one fused
Function, and ``rms_norm`` / ``local_response_norm`` composed from ops.

The fused ones standardize x over some axes (xhat = (x - mean) / sqrt(var + eps), biased variance) and
then apply a per-feature affine map gamma * xhat + beta.  The backward is the closed form

    gx = inv_std * (g - mean(g) - xhat * mean(g * xhat)),   g = gy * gamma,

with the means over the normalized axes, so no graph of small ops is kept for it.
"""
from __future__ import annotations

import math

import numpy as np

from deepgrad.autograd import Function, config
from deepgrad.errors import op_error
from deepgrad.ops.reduction import sum as _sum
from deepgrad.ops.shape import reshape, sum_to
from deepgrad.tensor import Tensor


class _Normalize(Function):
    """Standardize over ``axes`` then scale and shift by gamma and beta shaped ``pshape``."""

    def __init__(self, axes, eps, pshape):
        self.axes = axes
        self.eps = eps
        self.pshape = pshape

    def forward(self, x, gamma, beta):
        xp = _xp(x)
        mean = x.mean(axis=self.axes, keepdims=True)
        xc = x - mean
        var = (xc * xc).mean(axis=self.axes, keepdims=True)
        inv_std = 1.0 / xp.sqrt(var + self.eps)
        xhat = xc * inv_std
        self.mean, self.var = mean, var
        self.xhat, self.inv_std = xhat, inv_std
        self.count = x.size // mean.size
        return xhat * gamma.reshape(self.pshape) + beta.reshape(self.pshape)

    def _stats(self, x):
        """(xhat, inv_std) as Tensors: the saved arrays, or recomputed with ops under create_graph."""
        if not config.grad_enabled:
            return Tensor._make(self.xhat), Tensor._make(self.inv_std)
        inv_n = 1.0 / self.count
        mean = _sum(x, self.axes, True) * inv_n
        xc = x - mean
        var = _sum(xc * xc, self.axes, True) * inv_n
        inv_std = (var + self.eps) ** -0.5
        return xc * inv_std, inv_std

    def backward(self, gy):
        x, gamma, beta = self.inputs
        xhat, inv_std = self._stats(x)
        gx = ggamma = gbeta = None
        if beta.requires_grad:
            gbeta = reshape(sum_to(gy, self.pshape), beta.shape)
        if gamma.requires_grad:
            ggamma = reshape(sum_to(gy * xhat, self.pshape), gamma.shape)
        if x.requires_grad:
            g = gy * reshape(gamma, self.pshape)
            inv_n = 1.0 / self.count
            mg = _sum(g, self.axes, True) * inv_n
            mgx = _sum(g * xhat, self.axes, True) * inv_n
            gx = (g - mg - xhat * mgx) * inv_std
        return gx, ggamma, gbeta


class BatchNorm(_Normalize):
    """Per-channel normalization over the batch (and spatial) axes."""


class LayerNorm(_Normalize):
    """Per-sample normalization over the trailing axes."""


class GroupNorm(_Normalize):
    """Per-sample, per-group normalization (the affine map per channel comes after)."""


class InstanceNorm(_Normalize):
    """Per-sample, per-channel normalization over the positions."""


def _check_float(op, x):
    if x.dtype.kind not in "fc":
        raise op_error(TypeError, f"{op}: expected a floating point input, got {x.dtype} (convert it with .float())")


def _affine_params(x, weight, bias, shape):
    xp = _xp(x.data)
    if weight is None:
        weight = Tensor._make(xp.ones(shape, dtype=x.dtype))
    if bias is None:
        bias = Tensor._make(xp.zeros(shape, dtype=x.dtype))
    return weight, bias


def _data(t):
    return t.data if isinstance(t, Tensor) else t


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False,  # noqa: A002
               momentum=0.1, eps=1e-5, *, unbiased_running_var=True):
    """``F.batch_norm`` for inputs (N, C) or (N, C, *): normalize each channel over the batch
    (and spatial) axes.  In training the batch statistics are used and the running ones updated
    in place (running_var with the unbiased variance, as PyTorch; ``unbiased_running_var=False``
    takes the biased one, as Keras); otherwise the running statistics are used."""
    x = input
    _check_float("batch_norm", x)
    if x.ndim < 2:
        raise op_error(ValueError, f"batch_norm: expected input of shape (N, C) or (N, C, *), got shape {x.shape}")
    C = x.shape[1]
    for name, t in (("running_mean", running_mean), ("running_var", running_var), ("weight", weight),
                    ("bias", bias)):
        if t is not None and tuple(t.shape) != (C,):
            raise op_error(ValueError, f"batch_norm: {name} has shape {tuple(t.shape)}, expected ({C},) "
                                       f"for input of shape {x.shape}")
    axes = (0,) + tuple(range(2, x.ndim))
    pshape = (1, C) + (1,) * (x.ndim - 2)
    use_batch = training or running_mean is None or running_var is None
    if use_batch:
        count = x.data.size // C
        if count <= 1:
            raise op_error(ValueError, f"batch_norm: expected more than 1 value per channel when training, "
                                       f"got input of shape {x.shape}")
        w, b = _affine_params(x, weight, bias, (C,))
        fn = BatchNorm(axes, eps, pshape)
        y = fn(x, w, b)
        if training and running_mean is not None and running_var is not None:
            m = float(momentum)
            rm, rv = _data(running_mean), _data(running_var)
            mean = fn.mean.reshape(C).astype(rm.dtype, copy=False)
            var = fn.var.reshape(C) * (count / (count - 1)) if unbiased_running_var else fn.var.reshape(C)
            var = var.astype(rv.dtype, copy=False)
            rm *= 1.0 - m
            rm += m * mean
            rv *= 1.0 - m
            rv += m * var
        return y
    xp = _xp(x.data)
    inv = Tensor._make((1.0 / xp.sqrt(_data(running_var) + eps)).astype(x.dtype, copy=False))
    rm = Tensor._make(_data(running_mean).astype(x.dtype, copy=False))
    scale = inv if weight is None else weight * inv
    shift = -(rm * scale) if bias is None else bias - rm * scale
    return x * reshape(scale, pshape) + reshape(shift, pshape)


def _last_dims(op, x, normalized_shape, params):
    """(shape, axes) of ``normalized_shape`` over the last dims of ``x``, checked against ``x`` and each
    (name, tensor) of ``params``."""
    _check_float(op, x)
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    k = len(shape)
    if k == 0 or x.ndim < k or tuple(x.shape[x.ndim - k:]) != shape:
        raise op_error(ValueError, f"{op}: normalized_shape {shape} does not match the last dimensions "
                                   f"of input of shape {x.shape} (expected shape (*, {', '.join(map(str, shape))}))")
    for name, t in params:
        if t is not None and tuple(t.shape) != shape:
            raise op_error(ValueError, f"{op}: {name} has shape {tuple(t.shape)}, expected {shape}")
    return shape, tuple(range(x.ndim - k, x.ndim))


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):  # noqa: A002
    """``F.layer_norm``: normalize over the last ``len(normalized_shape)`` axes, then
    weight * xhat + bias (weight and bias shaped ``normalized_shape``)."""
    x = input
    shape, axes = _last_dims("layer_norm", x, normalized_shape, (("weight", weight), ("bias", bias)))
    w, b = _affine_params(x, weight, bias, shape)
    return LayerNorm(axes, eps, shape)(x, w, b)


def _channel_affine(y, weight, bias, ndim):
    """y * weight + bias with (C,) parameters broadcast over dim 1 of an ``ndim``-d tensor."""
    pshape = (1, -1) + (1,) * (ndim - 2)
    if weight is not None:
        y = y * reshape(weight, pshape)
    if bias is not None:
        y = y + reshape(bias, pshape)
    return y


def _check_channel_params(op, x, names_params):
    c = x.shape[1]
    for name, t in names_params:
        if t is not None and tuple(t.shape) != (c,):
            raise op_error(ValueError, f"{op}: {name} has shape {tuple(t.shape)}, expected ({c},) "
                                       f"for input of shape {x.shape}")


def _standardize(cls, x, axes, eps):
    """(x - mean) / sqrt(var + eps) over ``axes`` (the fused Function with unit scale); returns the Function too."""
    xp = _xp(x.data)
    one = Tensor._make(xp.ones((1,), dtype=x.dtype))
    zero = Tensor._make(xp.zeros((1,), dtype=x.dtype))
    fn = cls(axes, eps, (1,))
    return fn(x, one, zero), fn


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):  # noqa: A002
    """``F.group_norm``: split the C channels of (N, C, *) into ``num_groups`` groups, normalize each
    group of each sample over its channels and positions, then weight * xhat + bias per channel."""
    x = input
    _check_float("group_norm", x)
    if x.ndim < 2:
        raise op_error(ValueError, f"group_norm: expected input of shape (N, C, *), got shape {x.shape}")
    n, c = x.shape[:2]
    if num_groups < 1 or c % num_groups:
        raise op_error(ValueError, f"group_norm: expected the number of channels {c} to be divisible by "
                                   f"num_groups, got num_groups={num_groups} (input shape {x.shape})")
    _check_channel_params("group_norm", x, (("weight", weight), ("bias", bias)))
    y, _ = _standardize(GroupNorm, reshape(x, (n, num_groups, -1)), (2,), eps)
    return _channel_affine(reshape(y, x.shape), weight, bias, x.ndim)


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None,  # noqa: A002
                  use_input_stats=True, momentum=0.1, eps=1e-5):
    """``F.instance_norm``: normalize each channel of each sample of (N, C, *) over its positions.

    With ``use_input_stats`` the sample statistics are used (and running_mean/running_var, when
    given, move towards their batch averages by ``momentum``, the variance unbiased, as PyTorch);
    otherwise the running statistics are used."""
    x = input
    _check_float("instance_norm", x)
    if x.ndim < 3:
        raise op_error(ValueError, f"instance_norm: expected input of shape (N, C, L) or (N, C, H, W), "
                                   f"got shape {x.shape}")
    _check_channel_params("instance_norm", x, (("running_mean", running_mean), ("running_var", running_var),
                                               ("weight", weight), ("bias", bias)))
    if not use_input_stats:
        if running_mean is None or running_var is None:
            raise op_error(ValueError, "instance_norm: expected running_mean and running_var when "
                                       "use_input_stats=False")
        return batch_norm(x, running_mean, running_var, weight, bias, False, momentum, eps)
    count = x.data.size // (x.shape[0] * x.shape[1])
    if count <= 1:
        raise op_error(ValueError, f"instance_norm: expected more than 1 spatial element when training, "
                                   f"got input of shape {x.shape}")
    y, fn = _standardize(InstanceNorm, x, tuple(range(2, x.ndim)), eps)
    for run, stat, unbias in ((running_mean, fn.mean, 1.0), (running_var, fn.var, count / (count - 1))):
        if run is not None:
            r = _data(run)
            batch = stat.reshape(x.shape[:2]).mean(axis=0) * unbias
            r *= 1.0 - momentum
            r += (momentum * batch).astype(r.dtype, copy=False)
    return _channel_affine(y, weight, bias, x.ndim)


def rms_norm(input, normalized_shape, weight=None, eps=None):  # noqa: A002
    """``F.rms_norm``: x / sqrt(mean(x**2 over the last dims ``normalized_shape``) + eps) * weight;
    ``eps=None`` is the machine epsilon of the input's dtype, as PyTorch."""
    x = input
    shape, axes = _last_dims("rms_norm", x, normalized_shape, (("weight", weight),))
    eps = float(np.finfo(x.dtype).eps) if eps is None else eps
    ms = _sum(x * x, axes, True) * (1.0 / max(1, math.prod(shape)))
    y = x * (ms + eps) ** -0.5
    return y if weight is None else y * weight


def local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0):  # noqa: A002
    """``F.local_response_norm`` (AlexNet): x / (k + alpha * mean of x**2 over ``size`` neighbouring
    channels) ** beta, the window zero-padded as PyTorch's (size // 2 before, (size - 1) // 2 after)."""
    from deepgrad.ops.pool import avg_pool2d
    from deepgrad.ops.shape import pad

    x = input
    if x.ndim < 3:
        raise op_error(ValueError, f"local_response_norm: expected input of shape (N, C, *) with at least 3 "
                                   f"dims, got shape {x.shape}")
    n, c = x.shape[:2]
    sq = reshape(x * x, (n, 1, c, -1))
    sq = pad(sq, (0, 0, size // 2, (size - 1) // 2))
    div = reshape(avg_pool2d(sq, (size, 1), stride=1), x.shape)
    return x / (div * alpha + k) ** beta


def _xp(a):
    from deepgrad.backend import get_array_module

    return get_array_module(a)


__all__ = ["batch_norm", "layer_norm", "group_norm", "instance_norm", "local_response_norm", "rms_norm"]
