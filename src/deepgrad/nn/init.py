"""Weight initializers, in place, with PyTorch's names and formulas (``torch.nn.init``).

Every random draw comes from ``deepgrad.random.generator``, so ``deepgrad.manual_seed`` fixes
them.  Fans: for a weight shaped (out, in, *kernel), fan_in = in * prod(kernel) and
fan_out = out * prod(kernel).
"""
from __future__ import annotations

import math

import numpy as np

from deepgrad.backend import get_array_module
from deepgrad.random import generator


def calculate_gain(nonlinearity, param=None):
    """The recommended gain for an activation (PyTorch's table): tanh 5/3, relu sqrt(2), ..."""
    linear_fns = ["linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
                  "conv_transpose3d", "identity"]
    if nonlinearity in linear_fns or nonlinearity == "sigmoid":
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif not isinstance(param, bool) and isinstance(param, (int, float)):
            slope = param
        else:
            raise ValueError(f"calculate_gain: negative_slope {param!r} is not a valid number")
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"calculate_gain: unsupported nonlinearity {nonlinearity!r}")


def _calculate_fan_in_and_fan_out(tensor):
    if tensor.ndim < 2:
        raise ValueError(f"fan in and fan out can not be computed for a tensor with fewer than 2 dimensions "
                         f"(got shape {tensor.shape})")
    receptive = 1
    for s in tensor.shape[2:]:
        receptive *= s
    return tensor.shape[1] * receptive, tensor.shape[0] * receptive


def _fan(tensor, mode):
    mode = mode.lower()
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"init: mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def _fill(tensor, array):
    tensor.data[...] = array.astype(tensor.data.dtype, copy=False)
    return tensor


def _rng(tensor):
    return generator(get_array_module(tensor.data))


def _work_dtype(tensor):
    dt = tensor.data.dtype
    return dt if dt in (np.float32, np.float64) else np.float32


def uniform_(tensor, a=0.0, b=1.0, generator=None):
    """Fill with U(a, b)."""
    rng = generator or _rng(tensor)
    u = rng.random(tensor.shape, dtype=_work_dtype(tensor))
    return _fill(tensor, u * (b - a) + a)


def normal_(tensor, mean=0.0, std=1.0, generator=None):
    """Fill with N(mean, std^2)."""
    rng = generator or _rng(tensor)
    z = rng.standard_normal(tensor.shape, dtype=_work_dtype(tensor))
    return _fill(tensor, z * std + mean)


def trunc_normal_(tensor, mean=0.0, std=1.0, a=-2.0, b=2.0, generator=None):
    """Fill with N(mean, std^2) truncated to [a, b] (redrawing values outside)."""
    rng = generator or _rng(tensor)
    xp = get_array_module(tensor.data)
    out = rng.standard_normal(tensor.shape, dtype=np.float64) * std + mean
    bad = (out < a) | (out > b)
    while bool(bad.any()):
        redraw = rng.standard_normal(tensor.shape, dtype=np.float64) * std + mean
        out = xp.where(bad, redraw, out)
        bad = (out < a) | (out > b)
    return _fill(tensor, out)


def constant_(tensor, val):
    """Fill with ``val``."""
    tensor.data[...] = val
    return tensor


def zeros_(tensor):
    """Fill with 0."""
    return constant_(tensor, 0)


def ones_(tensor):
    """Fill with 1."""
    return constant_(tensor, 1)


def eye_(tensor):
    """The identity matrix (a 2-D tensor; rectangular ones get ones on the diagonal)."""
    if tensor.ndim != 2:
        raise ValueError(f"eye_: only 2-D tensors are supported, got shape {tensor.shape}")
    xp = get_array_module(tensor.data)
    return _fill(tensor, xp.eye(*tensor.shape, dtype=tensor.data.dtype))


def dirac_(tensor, groups=1):
    """Convolution weights (out, in, *k) that pass the input channels through unchanged."""
    if tensor.ndim not in (3, 4, 5):
        raise ValueError(f"dirac_: only 3, 4 or 5-D tensors are supported, got shape {tensor.shape}")
    out_per_group = tensor.shape[0] // groups
    min_dim = min(out_per_group, tensor.shape[1])
    tensor.data[...] = 0
    centre = tuple(s // 2 for s in tensor.shape[2:])
    for g in range(groups):
        for d in range(min_dim):
            tensor.data[(g * out_per_group + d, d) + centre] = 1
    return tensor


def xavier_uniform_(tensor, gain=1.0, generator=None):
    """Glorot: U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    a = math.sqrt(3.0) * std
    return uniform_(tensor, -a, a, generator)


def xavier_normal_(tensor, gain=1.0, generator=None):
    """Glorot: N(0, std^2) with std = gain * sqrt(2 / (fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return normal_(tensor, 0.0, std, generator)


def kaiming_uniform_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """He: U(-bound, bound) with bound = gain * sqrt(3 / fan), gain = calculate_gain(nonlinearity, a)."""
    if 0 in tensor.shape:
        return tensor
    fan = _fan(tensor, mode)
    std = calculate_gain(nonlinearity, a) / math.sqrt(fan)
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """He: N(0, std^2) with std = gain / sqrt(fan)."""
    if 0 in tensor.shape:
        return tensor
    fan = _fan(tensor, mode)
    std = calculate_gain(nonlinearity, a) / math.sqrt(fan)
    return normal_(tensor, 0.0, std, generator)


def lecun_normal_(tensor, generator=None):
    """LeCun (SELU networks, Keras's lecun_normal): variance 1 / fan_in, a normal truncated at
    two standard deviations and rescaled so the variance stays 1 / fan_in."""
    fan_in, _ = _calculate_fan_in_and_fan_out(tensor)
    std = math.sqrt(1.0 / fan_in) / 0.87962566103423978
    return trunc_normal_(tensor, 0.0, std, -2.0 * std, 2.0 * std, generator)


def lecun_uniform_(tensor, generator=None):
    """LeCun uniform: U(-a, a) with a = sqrt(3 / fan_in)."""
    fan_in, _ = _calculate_fan_in_and_fan_out(tensor)
    a = math.sqrt(3.0 / fan_in)
    return uniform_(tensor, -a, a, generator)


def orthogonal_(tensor, gain=1.0, generator=None):
    """A (semi-)orthogonal matrix from the QR decomposition of a Gaussian one (rows flattened)."""
    if tensor.ndim < 2:
        raise ValueError(f"orthogonal_: only tensors with 2 or more dimensions are supported, got {tensor.shape}")
    if tensor.numel() == 0:
        return tensor
    rows = tensor.shape[0]
    cols = tensor.numel() // rows
    rng = generator or _rng(tensor)
    xp = get_array_module(tensor.data)
    flat = rng.standard_normal((rows, cols), dtype=np.float64)
    if rows < cols:
        flat = flat.T
    q, r = xp.linalg.qr(flat)
    q = q * xp.sign(xp.diag(r))
    if rows < cols:
        q = q.T
    return _fill(tensor, (gain * q).reshape(tensor.shape))


def sparse_(tensor, sparsity, std=0.01, generator=None):
    """A 2-D matrix with a fraction ``sparsity`` of each column zero, the rest N(0, std^2)."""
    if tensor.ndim != 2:
        raise ValueError(f"sparse_: only 2-D tensors are supported, got shape {tensor.shape}")
    rows, cols = tensor.shape
    num_zeros = int(math.ceil(sparsity * rows))
    normal_(tensor, 0.0, std, generator)
    rng = generator or _rng(tensor)
    for c in range(cols):
        idx = rng.permutation(rows)[:num_zeros]
        tensor.data[idx, c] = 0
    return tensor


__all__ = ["calculate_gain", "uniform_", "normal_", "trunc_normal_", "constant_", "zeros_", "ones_", "eye_",
           "dirac_", "xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_", "lecun_normal_",
           "lecun_uniform_", "orthogonal_", "sparse_"]
