"""Normalization layers: ``BatchNorm1d/2d/3d`` (running statistics as PyTorch), ``LayerNorm``,
``GroupNorm``, ``InstanceNorm1d/2d/3d``, ``RMSNorm`` and ``LocalResponseNorm``."""
from __future__ import annotations

import numpy as np

from deepgrad.nn import init
from deepgrad.nn._util import empty_array, empty_parameter
from deepgrad.nn.module import Module
from deepgrad.ops.normalization import batch_norm, group_norm, instance_norm, layer_norm, local_response_norm, rms_norm
from deepgrad.ops.shape import reshape
from deepgrad.tensor import Tensor


def _affine_parameters(module, shape, affine, bias, device, dtype):
    """Register ``weight`` (and ``bias``, when ``bias``) of ``shape`` when ``affine``, else None for both."""
    module.register_parameter("weight", empty_parameter(shape, device, dtype) if affine else None)
    module.register_parameter("bias", empty_parameter(shape, device, dtype) if affine and bias else None)


class _BatchNorm(Module):
    """Normalize each channel with the batch statistics in training (updating running_mean and
    the unbiased running_var by ``momentum``, or their cumulative average when momentum is None)
    and with the running statistics in eval; then the learned affine map weight * xhat + bias."""

    _expected = ""

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True,
                 device=None, dtype=None, *, bias=True):
        super().__init__()
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        self.use_bias = bool(bias and affine)
        _affine_parameters(self, (num_features,), affine, bias, device, dtype)
        if track_running_stats:
            self.register_buffer("running_mean", Tensor(empty_array((num_features,), device, dtype)))
            self.register_buffer("running_var", Tensor(empty_array((num_features,), device, dtype)))
            xp = self.running_mean.xp
            self.register_buffer("num_batches_tracked", Tensor(xp.zeros((), dtype=np.int64)))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)
        self.reset_parameters()

    def reset_running_stats(self):
        """running_mean = 0, running_var = 1, num_batches_tracked = 0."""
        if self.track_running_stats:
            self.running_mean.data[...] = 0
            self.running_var.data[...] = 1
            self.num_batches_tracked.data[...] = 0

    def reset_parameters(self):
        self.reset_running_stats()
        if self.affine:
            init.ones_(self.weight)
            if self.bias is not None:
                init.zeros_(self.bias)

    def _check_input(self, input):  # noqa: A002
        raise NotImplementedError

    def forward(self, input):  # noqa: A002
        self._check_input(input)
        if input.shape[1] != self.num_features:
            raise ValueError(f"{self!r}: expected input of shape {self._expected} with C={self.num_features}, "
                             f"got shape {input.shape}")
        momentum = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked.data += 1
            if self.momentum is None:  # cumulative moving average
                momentum = 1.0 / float(self.num_batches_tracked.data)
        use_batch_stats = self.training or self.running_mean is None
        track = not self.training or self.track_running_stats
        return batch_norm(input, self.running_mean if track else None, self.running_var if track else None,
                          self.weight, self.bias, use_batch_stats, momentum, self.eps)

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"bias={self.use_bias}, track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Batch normalization of (N, C) or (N, C, L) inputs."""

    _expected = "(N, C) or (N, C, L)"

    def _check_input(self, input):  # noqa: A002
        if input.ndim not in (2, 3):
            raise ValueError(f"{self!r}: expected 2D or 3D input of shape {self._expected}, got shape {input.shape}")


class BatchNorm2d(_BatchNorm):
    """Batch normalization of (N, C, H, W) inputs (one statistic per channel)."""

    _expected = "(N, C, H, W)"

    def _check_input(self, input):  # noqa: A002
        if input.ndim != 4:
            raise ValueError(f"{self!r}: expected 4D input of shape {self._expected}, got shape {input.shape}")


class BatchNorm3d(_BatchNorm):
    """Batch normalization of (N, C, D, H, W) inputs."""

    _expected = "(N, C, D, H, W)"

    def _check_input(self, input):  # noqa: A002
        if input.ndim != 5:
            raise ValueError(f"{self!r}: expected 5D input of shape {self._expected}, got shape {input.shape}")


class LayerNorm(Module):
    """Normalize over the last dims ``normalized_shape`` of each sample, then weight * xhat + bias."""

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True, device=None, dtype=None):
        super().__init__()
        if isinstance(normalized_shape, int):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        self.use_bias = bool(bias and elementwise_affine)
        _affine_parameters(self, self.normalized_shape, elementwise_affine, bias, device, dtype)
        self.reset_parameters()

    def reset_parameters(self):
        if self.weight is not None:
            init.ones_(self.weight)
        if self.bias is not None:
            init.zeros_(self.bias)

    def forward(self, input):  # noqa: A002
        k = len(self.normalized_shape)
        if input.ndim < k or input.shape[input.ndim - k:] != self.normalized_shape:
            raise ValueError(f"{self!r}: expected input of shape (*, {', '.join(map(str, self.normalized_shape))}), "
                             f"got shape {input.shape}")
        return layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}, "
                f"bias={self.use_bias}")


class GroupNorm(Module):
    """Normalize each group of ``num_channels // num_groups`` channels of each sample (over the group's
    channels and positions), then a per-channel weight * xhat + bias."""

    def __init__(self, num_groups, num_channels, eps=1e-5, affine=True, device=None, dtype=None, *, bias=True):
        super().__init__()
        if num_groups < 1 or num_channels % num_groups:
            raise ValueError(f"GroupNorm: num_channels ({num_channels}) must be divisible by num_groups "
                             f"({num_groups})")
        self.num_groups, self.num_channels, self.eps, self.affine = num_groups, num_channels, eps, affine
        self.use_bias = bool(bias and affine)
        _affine_parameters(self, (num_channels,), affine, bias, device, dtype)
        self.reset_parameters()

    def reset_parameters(self):
        if self.affine:
            init.ones_(self.weight)
            if self.bias is not None:
                init.zeros_(self.bias)

    def forward(self, input):  # noqa: A002
        if input.ndim < 2 or input.shape[1] != self.num_channels:
            raise ValueError(f"{self!r}: expected input of shape (N, {self.num_channels}, *), got shape {input.shape}")
        return group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, bias={self.use_bias}"


class _InstanceNorm(_BatchNorm):
    """Normalize each channel of each sample over its positions (PyTorch's defaults: no affine map,
    no running statistics); an unbatched (C, *) input is accepted."""

    _nd = 2

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=False, track_running_stats=False,
                 device=None, dtype=None, *, bias=True):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype, bias=bias)

    def forward(self, input):  # noqa: A002
        nd = self._nd
        if input.ndim not in (nd + 1, nd + 2):
            raise ValueError(f"{self!r}: expected {nd + 1}D (unbatched) or {nd + 2}D input of shape {self._expected}, "
                             f"got shape {input.shape}")
        unbatched = input.ndim == nd + 1
        x = reshape(input, (1,) + input.shape) if unbatched else input
        if x.shape[1] != self.num_features and (self.affine or self.track_running_stats):
            raise ValueError(f"{self!r}: expected input of shape {self._expected} with C={self.num_features}, "
                             f"got shape {input.shape}")
        momentum = 0.0 if self.momentum is None else self.momentum
        y = instance_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                          self.training or not self.track_running_stats, momentum, self.eps)
        return reshape(y, input.shape) if unbatched else y

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"bias={self.use_bias}, track_running_stats={self.track_running_stats}")


class InstanceNorm1d(_InstanceNorm):
    """Instance normalization of (N, C, L) or (C, L) inputs."""

    _nd = 1
    _expected = "(N, C, L) or (C, L)"


class InstanceNorm2d(_InstanceNorm):
    """Instance normalization of (N, C, H, W) or (C, H, W) inputs (style transfer, GANs)."""

    _nd = 2
    _expected = "(N, C, H, W) or (C, H, W)"


class InstanceNorm3d(_InstanceNorm):
    """Instance normalization of (N, C, D, H, W) or (C, D, H, W) inputs."""

    _nd = 3
    _expected = "(N, C, D, H, W) or (C, D, H, W)"


class RMSNorm(Module):
    """x / sqrt(mean(x**2 over the last dims) + eps) * weight (no centering, no bias); ``eps=None`` is the
    machine epsilon of the input's dtype."""

    def __init__(self, normalized_shape, eps=None, elementwise_affine=True, device=None, dtype=None):
        super().__init__()
        if isinstance(normalized_shape, int):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        if elementwise_affine:
            self.weight = empty_parameter(self.normalized_shape, device, dtype)
        else:
            self.register_parameter("weight", None)
        self.reset_parameters()

    def reset_parameters(self):
        if self.weight is not None:
            init.ones_(self.weight)

    def forward(self, x):
        k = len(self.normalized_shape)
        if x.ndim < k or x.shape[x.ndim - k:] != self.normalized_shape:
            raise ValueError(f"{self!r}: expected input of shape (*, {', '.join(map(str, self.normalized_shape))}), "
                             f"got shape {x.shape}")
        return rms_norm(x, self.normalized_shape, self.weight, self.eps)

    def extra_repr(self):
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"


class LocalResponseNorm(Module):
    """AlexNet's normalization across ``size`` neighbouring channels: x / (k + alpha * mean(x**2)) ** beta."""

    def __init__(self, size, alpha=1e-4, beta=0.75, k=1.0):
        super().__init__()
        self.size, self.alpha, self.beta, self.k = size, alpha, beta, k

    def forward(self, input):  # noqa: A002
        return local_response_norm(input, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self):
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"


__all__ = ["BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "LayerNorm", "GroupNorm", "InstanceNorm1d", "InstanceNorm2d",
           "InstanceNorm3d", "RMSNorm", "LocalResponseNorm"]
