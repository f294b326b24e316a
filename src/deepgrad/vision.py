"""Image helpers from the lectures: Gaussian kernels and applying a fixed kernel to an image.

    k = gaussian_kernel(7, 1.0, normalize='density')   # seed 002's first 7x7 table
    blurred = filter2d(image, gaussian_kernel(7, 10.0))  # HxW or HxWxC image, same size out
"""
from __future__ import annotations

import numpy as np

from deepgrad.ops.conv import conv2d
from deepgrad.tensor import Tensor


def gaussian_kernel(size, sigma, normalize="sum", dtype=np.float32):
    """A ``size`` x ``size`` Gaussian centred on the middle cell, as a Tensor.

    ``normalize='density'``: the 2-D normal density e^(-r^2 / 2 sigma^2) / (2 pi sigma^2) sampled at
    integer offsets r from the centre; ``'sum'``: the same shape scaled to sum to 1 (a blur that keeps
    brightness); ``None``: the bare e^(-r^2 / 2 sigma^2).
    """
    if not isinstance(size, (int, np.integer)) or size < 1:
        raise ValueError(f"gaussian_kernel: size must be a positive int, got {size!r}")
    if not sigma > 0:
        raise ValueError(f"gaussian_kernel: sigma must be > 0, got {sigma!r}")
    offsets = np.arange(size, dtype=np.float64) - (size - 1) / 2.0
    r2 = offsets[:, None] ** 2 + offsets[None, :] ** 2
    k = np.exp(-r2 / (2.0 * sigma * sigma))
    if normalize == "density":
        k = k / (2.0 * np.pi * sigma * sigma)
    elif normalize == "sum":
        k = k / k.sum()
    elif normalize is not None:
        raise ValueError(f"gaussian_kernel: normalize must be 'sum', 'density' or None, got {normalize!r}")
    return Tensor(k.astype(dtype))


def filter2d(image, kernel):
    """Apply a fixed 2-D ``kernel`` (kh, kw) to every channel of ``image`` (H, W) or (H, W, C).

    Cross-correlation (as OpenCV's filter2D and conv2d) with zero padding so that the output has
    the image's size ('same'). A numpy image gives a float32 numpy array; a Tensor gives a
    Tensor, differentiable in the image and the kernel.
    """
    as_numpy = not isinstance(image, Tensor)
    img = Tensor(np.asarray(image, dtype=np.float32)) if as_numpy else image
    ker = kernel if isinstance(kernel, Tensor) else Tensor(np.asarray(kernel, dtype=img.dtype))
    if ker.ndim != 2:
        raise ValueError(f"filter2d: kernel must be 2-D (kh, kw), got shape {tuple(ker.shape)}")
    if ker.dtype != img.dtype:
        ker = ker.type(img.dtype)
    if img.ndim == 2:
        x = img.reshape(1, 1, *img.shape)
        channels = 1
    elif img.ndim == 3:
        channels = img.shape[2]
        x = img.permute(2, 0, 1).reshape(1, channels, img.shape[0], img.shape[1])
    else:
        raise ValueError(f"filter2d: image must be (H, W) or (H, W, C), got shape {tuple(img.shape)}")
    w = ker.reshape(1, 1, *ker.shape)
    if channels > 1:
        w = w.expand(channels, 1, *ker.shape)
    y = conv2d(x, w, padding="same", groups=channels)[0]  # (C, H, W)
    y = y[0] if img.ndim == 2 else y.permute(1, 2, 0)
    return y.numpy().copy() if as_numpy else y


__all__ = ["gaussian_kernel", "filter2d"]
