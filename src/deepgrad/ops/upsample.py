"""Resizing: ``interpolate`` (nearest, nearest-exact, linear, bilinear, bicubic, trilinear) and
``pixel_shuffle`` / ``pixel_unshuffle``, with PyTorch's index rules.

Every mode is separable: each spatial axis in turn is resampled by an (out, in) matrix of
weights built on the host (PyTorch's source-index formula, ``align_corners`` and the
``scale_factor`` rule included), so forward, backward and double backward are plain matmuls.
Nearest modes pick rows with ``index_select`` instead (exact, and inf stays inf).
"""
from __future__ import annotations

import math

import numpy as np

from deepgrad.backend import get_array_module
from deepgrad.errors import op_error
from deepgrad.ops.arith import matmul
from deepgrad.ops.shape import index_select, movedim, permute, reshape
from deepgrad.tensor import Tensor, as_tensor

_MODES = {"nearest": None, "nearest-exact": None, "area": None, "linear": 3, "bilinear": 4, "bicubic": 4,
          "trilinear": 5}


def _source_scale(n, m, align_corners, scale_factor):
    """PyTorch's area_pixel_compute_scale: how far apart output cells sample the input."""
    if align_corners:
        return (n - 1) / (m - 1) if m > 1 else 0.0
    return 1.0 / scale_factor if scale_factor is not None else n / m


def _nearest_index(n, m, scale, exact, shortcuts):
    """Source row of each output row (float32 arithmetic, as PyTorch's kernels).  ``shortcuts``: PyTorch's
    2-D 'nearest' kernel copies when m == n and takes dst // 2 when m == 2n, whatever the scale_factor."""
    if shortcuts and m == n:
        return np.arange(m)
    if shortcuts and m == 2 * n:
        return np.arange(m) // 2
    dst = np.arange(m, dtype=np.float32)
    src = (dst + np.float32(0.5 if exact else 0.0)) * np.float32(scale)
    return np.minimum(np.floor(src).astype(np.int64), n - 1)


def _linear_matrix(n, m, scale, align_corners):
    if m == n:  # PyTorch's linear kernels copy an axis whose size does not change, whatever the scale
        return np.eye(n)
    src = np.arange(m) * scale if align_corners else np.maximum((np.arange(m) + 0.5) * scale - 0.5, 0.0)
    i0 = np.minimum(np.floor(src).astype(np.int64), n - 1)
    i1 = np.minimum(i0 + 1, n - 1)
    lam = src - i0
    mat = np.zeros((m, n))
    np.add.at(mat, (np.arange(m), i0), 1.0 - lam)
    np.add.at(mat, (np.arange(m), i1), lam)
    return mat


def _cubic_matrix(n, m, scale, align_corners, a=-0.75):
    src = np.arange(m) * scale if align_corners else (np.arange(m) + 0.5) * scale - 0.5
    i0 = np.floor(src).astype(np.int64)
    t = src - i0

    def near(x):  # |x| <= 1
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def far(x):  # 1 < |x| < 2
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a

    mat = np.zeros((m, n))
    for off, w in ((-1, far(t + 1)), (0, near(t)), (1, near(1 - t)), (2, far(2 - t))):
        np.add.at(mat, (np.arange(m), np.clip(i0 + off, 0, n - 1)), w)
    return mat


def _sizes(op, x, size, scale_factor, recompute_scale_factor):
    """Output sizes and the per-axis scale factor PyTorch samples with (None: use in/out)."""
    nd = x.ndim - 2
    if (size is None) == (scale_factor is None):
        raise op_error(ValueError, f"{op}: exactly one of size or scale_factor must be given, got "
                                   f"size={size!r}, scale_factor={scale_factor!r}")
    if size is not None:
        out = tuple(size) if isinstance(size, (tuple, list)) else (size,) * nd
        if len(out) != nd:
            raise op_error(ValueError, f"{op}: size {size!r} must have {nd} entries for input of shape {x.shape}")
        return tuple(int(s) for s in out), (None,) * nd
    sf = tuple(scale_factor) if isinstance(scale_factor, (tuple, list)) else (scale_factor,) * nd
    if len(sf) != nd:
        raise op_error(ValueError, f"{op}: scale_factor {scale_factor!r} must have {nd} entries for input of "
                                   f"shape {x.shape}")
    out = tuple(int(math.floor(float(n) * float(s))) for n, s in zip(x.shape[2:], sf))
    return out, ((None,) * nd if recompute_scale_factor else tuple(float(s) for s in sf))


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,  # noqa: A002
                recompute_scale_factor=None, antialias=False):
    """``F.interpolate``: resize the spatial dims of (N, C, L), (N, C, H, W) or (N, C, D, H, W) to
    ``size`` or by ``scale_factor``; mode 'nearest', 'nearest-exact', 'area' (adaptive average pooling),
    'linear' (3-D), 'bilinear' and 'bicubic' (4-D), 'trilinear' (5-D); ``align_corners`` as PyTorch
    (interpolating modes only)."""
    op = "interpolate"
    x = as_tensor(input)
    if mode not in _MODES:
        raise op_error(ValueError, f"{op}: mode must be one of {', '.join(map(repr, _MODES))}, got {mode!r}")
    if antialias:
        raise op_error(NotImplementedError, f"{op}: antialias=True is not supported")
    if x.ndim not in (3, 4, 5):
        raise op_error(ValueError, f"{op}: expected a 3-D, 4-D or 5-D input (N, C, *spatial), got shape {x.shape}")
    if _MODES[mode] is not None and x.ndim != _MODES[mode]:
        raise op_error(ValueError, f"{op}: mode {mode!r} needs a {_MODES[mode]}-D input, got shape {x.shape}")
    if _MODES[mode] is None and align_corners is not None:
        raise op_error(ValueError, f"{op}: align_corners can only be set with the interpolating modes "
                                   f"(linear, bilinear, bicubic, trilinear), not {mode!r}")
    out, sf = _sizes(op, x, size, scale_factor, recompute_scale_factor)
    if min(out) < 1:
        raise op_error(ValueError, f"{op}: output size {out} must be positive (input shape {x.shape})")
    if mode == "area":  # PyTorch: adaptive average pooling to the output size
        from deepgrad.ops.pool import adaptive_avg_pool1d, adaptive_avg_pool2d

        if x.ndim == 5:
            raise op_error(NotImplementedError, f"{op}: mode 'area' supports 3-D and 4-D inputs, got shape {x.shape}")
        return adaptive_avg_pool1d(x, out[0]) if x.ndim == 3 else adaptive_avg_pool2d(x, out)
    xp = get_array_module(x.data)
    y = x
    for axis, (n, m, s) in enumerate(zip(x.shape[2:], out, sf), start=2):
        if _MODES[mode] is None:
            scale = 1.0 / s if s is not None else np.float32(n) / np.float32(m)
            idx = _nearest_index(n, m, scale, mode == "nearest-exact", mode == "nearest" and x.ndim == 4)
            if m != n or not np.array_equal(idx, np.arange(n)):
                y = index_select(y, axis, xp.asarray(idx))
            continue
        scale = _source_scale(n, m, bool(align_corners), s)
        mat = (_cubic_matrix if mode == "bicubic" else _linear_matrix)(n, m, scale, bool(align_corners))
        mt = Tensor._make(xp.asarray(mat.T.astype(x.dtype)))
        y = movedim(matmul(movedim(y, axis, -1), mt), -1, axis)
    return y


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):  # noqa: A002
    """``F.upsample`` (deprecated in PyTorch): ``interpolate``."""
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):  # noqa: A002
    """``F.upsample_nearest``: ``interpolate(mode='nearest')``."""
    return interpolate(input, size, scale_factor, "nearest")


def upsample_bilinear(input, size=None, scale_factor=None):  # noqa: A002
    """``F.upsample_bilinear``: ``interpolate(mode='bilinear', align_corners=True)``."""
    return interpolate(input, size, scale_factor, "bilinear", align_corners=True)


def pixel_shuffle(input, upscale_factor):  # noqa: A002
    """(*, C*r*r, H, W) -> (*, C, H*r, W*r): sub-pixel convolution's rearrangement."""
    x, r = as_tensor(input), int(upscale_factor)
    if x.ndim < 3 or r < 1 or x.shape[-3] % (r * r):
        raise op_error(ValueError, f"pixel_shuffle: expected input (*, C*{r}*{r}, H, W) with channels divisible "
                                   f"by upscale_factor**2 = {r * r}, got shape {x.shape}")
    *lead, c, h, w = x.shape
    k = len(lead)
    y = reshape(x, (*lead, c // (r * r), r, r, h, w))
    y = permute(y, *range(k), k, k + 3, k + 1, k + 4, k + 2)
    return reshape(y, (*lead, c // (r * r), h * r, w * r))


def pixel_unshuffle(input, downscale_factor):  # noqa: A002
    """(*, C, H*r, W*r) -> (*, C*r*r, H, W): the inverse of ``pixel_shuffle``."""
    x, r = as_tensor(input), int(downscale_factor)
    if x.ndim < 3 or r < 1 or x.shape[-1] % r or x.shape[-2] % r:
        raise op_error(ValueError, f"pixel_unshuffle: expected input (*, C, H, W) with H and W divisible by "
                                   f"downscale_factor {r}, got shape {x.shape}")
    *lead, c, h, w = x.shape
    k = len(lead)
    y = reshape(x, (*lead, c, h // r, r, w // r, r))
    y = permute(y, *range(k), k, k + 2, k + 4, k + 1, k + 3)
    return reshape(y, (*lead, c * r * r, h // r, w // r))


__all__ = ["interpolate", "upsample", "upsample_nearest", "upsample_bilinear", "pixel_shuffle", "pixel_unshuffle"]
