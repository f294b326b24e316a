"""Keras 3's image augmentation layers: ``RandomFlip``, ``RandomTranslation``, ``RandomRotation``,
``RandomZoom``, ``RandomContrast`` and ``RandomBrightness``.

Active in training only (a direct eager call counts as training, as in Keras; ``predict`` does not).
Each draws one transformation per image (on the host), with Keras's ranges, and applies it as Keras's
torch backend does: affine layers sample the input at ``(a0 x + a1 y + a2, b0 x + b1 y + b2)`` with
bilinear or nearest interpolation and the 'reflect', 'wrap', 'constant' or 'nearest' fill.  The
outputs are differentiable with respect to the images.
"""
from __future__ import annotations

import math

import numpy as np

from deepgrad.keras.layers._conv_utils import check_data_format
from deepgrad.keras.layers.layer import Layer
from deepgrad.ops.elementwise import clip, where
from deepgrad.random import generator
from deepgrad.tensor import Tensor

_FILL_MODES = ("reflect", "wrap", "constant", "nearest")
_INTERPOLATIONS = ("nearest", "bilinear")


def _reflect(index, size, xp):
    """Keras's 'reflect' index fixer (d c b a | a b c d | d c b a)."""
    def mirror(i, n):
        s = n - 1
        return xp.abs((i + s) % (2 * s) - s)

    return (mirror(2 * index + 1, 2 * size + 1) - 1) // 2


def _fix(index, size, mode, xp):
    if mode == "reflect":
        return _reflect(index, size, xp)
    if mode == "wrap":
        return index % size
    return xp.clip(index, 0, size - 1)


def affine_transform(x, transform, interpolation="bilinear", fill_mode="reflect", fill_value=0.0):
    """``x`` (B, H, W, C) Tensor, ``transform`` (B, 8) host array: Keras's ``ops.image.affine_transform``."""
    xp = x.xp
    b, h, w, c = x.shape
    t = xp.asarray(np.asarray(transform, dtype=np.float32))
    ys, xs = xp.meshgrid(xp.arange(h, dtype=np.float32), xp.arange(w, dtype=np.float32), indexing="ij")
    a0, a1, a2, b0, b1, b2 = (t[:, k][:, None, None] for k in range(6))
    coords = (b0 * xs + b1 * ys + b2, a0 * xs + a1 * ys + a2)  # (row, column) read in the input, (B, H, W)
    nodes = []
    for coord in coords:
        if interpolation == "nearest":
            nodes.append([(xp.round(coord).astype(np.int64), None)])
        else:
            lower = xp.floor(coord)
            upper_w = coord - lower
            nodes.append([(lower.astype(np.int64), 1.0 - upper_w), (lower.astype(np.int64) + 1, upper_w)])
    flat = x.reshape(b * h * w, c)
    base = (xp.arange(b) * (h * w))[:, None, None]
    out = None
    for ri, rw in nodes[0]:
        for ci, cw in nodes[1]:
            idx = base + _fix(ri, h, fill_mode, xp) * w + _fix(ci, w, fill_mode, xp)
            part = flat[idx]  # (B, H, W, C)
            if fill_mode == "constant":
                valid = (ri >= 0) & (ri < h) & (ci >= 0) & (ci < w)
                part = where(Tensor._make(valid[..., None]), part, float(fill_value))
            if rw is not None:
                part = part * Tensor._make((rw * cw)[..., None].astype(np.float32))
            out = part if out is None else out + part
    return out


class _Augmentation(Layer):
    """Shared: channels-last handling, unbatched (H, W, C) images, training-only application."""

    def __init__(self, data_format=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = check_data_format(data_format, self)
        self.seed = seed
        self._rng = np.random.default_rng(seed) if seed is not None else None

    def _uniform(self, low, high, size):
        return (self._rng or generator(np)).uniform(low, high, size)

    def call(self, x, training=True):  # Keras: a call that does not say (model(x)) augments
        if x.ndim not in (3, 4):
            raise ValueError(f"{type(self).__name__} '{self.name}': expected images of rank 3 (height, width, "
                             f"channels) or 4 (batch, height, width, channels), got shape {tuple(x.shape)}")
        if not training:
            return x
        unbatched = x.ndim == 3
        if unbatched:
            x = x.unsqueeze(0)
        if self.data_format == "channels_first":
            x = x.permute(0, 2, 3, 1)
        y = self._apply(x, self._draw(x.shape[0], x.shape[1], x.shape[2]))
        if self.data_format == "channels_first":
            y = y.permute(0, 3, 1, 2)
        return y[0] if unbatched else y

    def get_config(self):
        return {**super().get_config(), "seed": self.seed, "data_format": self.data_format}


def _factor_pair(layer, factor, name, bounds=(-1.0, 1.0), open_low=False):
    """``(lower, upper)`` from a number f (-f, f) or a pair, each in ``bounds``."""
    def check(v):
        if not isinstance(v, (int, float)) or v > bounds[1] or v < bounds[0] or (open_low and v <= bounds[0]):
            raise ValueError(f"{type(layer).__name__}: {name} must be a number or a pair of numbers in "
                             f"{'(' if open_low else '['}{bounds[0]}, {bounds[1]}], got {name}={factor!r}")

    if isinstance(factor, (tuple, list)):
        if len(factor) != 2:
            raise ValueError(f"{type(layer).__name__}: {name} must be a number or a pair of numbers, got "
                             f"{name}={factor!r}")
        check(factor[0])
        check(factor[1])
        return tuple(float(v) for v in sorted(factor))
    check(factor)
    return -abs(float(factor)), abs(float(factor))


def _base_factor(layer, factor, bounds):
    """Keras's ``BaseImagePreprocessingLayer._set_factor``: a number f in ``bounds`` gives
    ``(max(-|f|, low), |f|)``; a pair is sorted (only its first value may not exceed ``high``
    and its second not be below ``low``)."""
    low, high = bounds
    if isinstance(factor, (tuple, list)) and len(factor) == 2 and all(isinstance(v, (int, float)) for v in factor) \
            and not (factor[0] > high or factor[1] < low):
        return tuple(float(v) for v in sorted(factor))
    if isinstance(factor, (int, float)) and not isinstance(factor, bool) and low <= factor <= high:
        return max(-abs(float(factor)), float(low)), abs(float(factor))
    raise ValueError(f"{type(layer).__name__}: factor must be a number or a pair of numbers in [{low}, {high}], "
                     f"got factor={factor!r}")


def _check_modes(layer, fill_mode, interpolation):
    if fill_mode not in _FILL_MODES:
        raise NotImplementedError(f"{type(layer).__name__}: unknown fill_mode {fill_mode!r}; expected one of "
                                  f"{_FILL_MODES}")
    if interpolation not in _INTERPOLATIONS:
        raise NotImplementedError(f"{type(layer).__name__}: unknown interpolation {interpolation!r}; expected one of "
                                  f"{_INTERPOLATIONS}")


class RandomFlip(_Augmentation):
    """``RandomFlip(mode='horizontal_and_vertical')``: each image is flipped with probability 1/2 (both ways
    at once for 'horizontal_and_vertical', as Keras does)."""

    def __init__(self, mode="horizontal_and_vertical", seed=None, data_format=None, **kwargs):
        super().__init__(data_format=data_format, seed=seed, **kwargs)
        if mode not in ("horizontal", "vertical", "horizontal_and_vertical"):
            raise ValueError(f"RandomFlip: mode must be 'horizontal', 'vertical' or 'horizontal_and_vertical', "
                             f"got {mode!r}")
        self.mode = mode

    def _draw(self, n, h, w):
        return {"flips": self._uniform(0.0, 1.0, (n, 1, 1, 1)) <= 0.5}

    def _apply(self, x, params):
        keep = Tensor._make(x.xp.asarray(params["flips"]))
        if self.mode in ("horizontal", "horizontal_and_vertical"):
            x = where(keep, x.flip(2), x)
        if self.mode in ("vertical", "horizontal_and_vertical"):
            x = where(keep, x.flip(1), x)
        return x

    def get_config(self):
        return {**super().get_config(), "mode": self.mode}


class RandomContrast(_Augmentation):
    """``RandomContrast(factor, value_range=(0, 255))``: ``(x - mean) * f + mean`` per image and channel with f
    drawn as Keras does (in ``[1 - lower, 1 + upper]``, lower 0 for a single number), clipped to ``value_range``."""

    def __init__(self, factor, value_range=(0, 255), seed=None, data_format=None, **kwargs):
        super().__init__(data_format=data_format, seed=seed, **kwargs)
        self.factor = _base_factor(self, factor, (0, 1))
        if len(value_range) != 2:
            raise ValueError(f"RandomContrast: value_range must be (min, max), got {value_range!r}")
        self.value_range = tuple(float(v) for v in value_range)

    def _draw(self, n, h, w):
        return {"contrast_factor": self._uniform(1.0 - self.factor[0], 1.0 + self.factor[1], (n, 1, 1, 1))}

    def _apply(self, x, params):
        f = Tensor._make(x.xp.asarray(params["contrast_factor"], dtype=np.float32))
        mean = x.mean(dim=1, keepdim=True).mean(dim=2, keepdim=True)
        return clip((x - mean) * f + mean, self.value_range[0], self.value_range[1])

    def get_config(self):
        config = super().get_config()
        return {**config, "factor": list(self.factor), "value_range": list(self.value_range)}


class RandomBrightness(_Augmentation):
    """``RandomBrightness(factor, value_range=(0, 255))``: add ``f * (max - min)`` to each image (f drawn in the
    factor's range, in [-1, 1]) and clip to ``value_range``."""

    def __init__(self, factor, value_range=(0, 255), seed=None, data_format=None, **kwargs):
        super().__init__(data_format=data_format, seed=seed, **kwargs)
        self.factor = _base_factor(self, factor, (-1, 1))
        if not isinstance(value_range, (tuple, list)) or len(value_range) != 2:
            raise ValueError(f"RandomBrightness: value_range must be a list of two numbers, got {value_range!r}")
        self.value_range = tuple(float(v) for v in sorted(value_range))

    def _draw(self, n, h, w):
        delta = self._uniform(self.factor[0], self.factor[1], (n, 1, 1, 1))
        return {"rgb_delta": delta * (self.value_range[1] - self.value_range[0])}

    def _apply(self, x, params):
        delta = Tensor._make(x.xp.asarray(params["rgb_delta"], dtype=np.float32))
        return clip(x + delta, self.value_range[0], self.value_range[1])

    def get_config(self):
        return {**super().get_config(), "factor": list(self.factor), "value_range": list(self.value_range)}


class _Affine(_Augmentation):
    def __init__(self, fill_mode, interpolation, seed, fill_value, data_format, **kwargs):
        super().__init__(data_format=data_format, seed=seed, **kwargs)
        _check_modes(self, fill_mode, interpolation)
        self.fill_mode, self.interpolation, self.fill_value = fill_mode, interpolation, float(fill_value)

    def _apply(self, x, params):
        return affine_transform(x, self._matrix(params, x.shape[1], x.shape[2]), self.interpolation,
                                self.fill_mode, self.fill_value)

    def get_config(self):
        return {**super().get_config(), "fill_mode": self.fill_mode, "interpolation": self.interpolation,
                "fill_value": self.fill_value}


class RandomRotation(_Affine):
    """``RandomRotation(factor, fill_mode='reflect', interpolation='bilinear', fill_value=0.0)``: rotate each image
    by an angle drawn in ``[lower, upper] * 360`` degrees about its center."""

    def __init__(self, factor, fill_mode="reflect", interpolation="bilinear", seed=None, fill_value=0.0,
                 data_format=None, **kwargs):
        super().__init__(fill_mode, interpolation, seed, fill_value, data_format, **kwargs)
        self.factor = _base_factor(self, factor, (-1, 1))

    def _draw(self, n, h, w):
        return {"angle": self._uniform(self.factor[0] * 360.0, self.factor[1] * 360.0, (n,))}

    def _matrix(self, params, h, w):
        angle = np.asarray(params["angle"], np.float32) * np.float32(math.pi / 180.0)
        cx, cy = 0.5 * (w - 1), 0.5 * (h - 1)
        cos, sin = np.cos(angle), np.sin(angle)
        zero = np.zeros_like(angle)
        return np.stack([cos, -sin, cx - cx * cos + cy * sin, sin, cos, cy - cx * sin - cy * cos, zero, zero], 1)

    def get_config(self):
        return {**super().get_config(), "factor": list(self.factor)}


class RandomZoom(_Affine):
    """``RandomZoom(height_factor, width_factor=None, ...)``: zoom each image by ``1 + f`` (f drawn in the factor's
    range; a positive f zooms out, as in Keras); ``width_factor=None`` keeps the aspect ratio."""

    def __init__(self, height_factor, width_factor=None, fill_mode="reflect", interpolation="bilinear", seed=None,
                 fill_value=0.0, data_format=None, **kwargs):
        super().__init__(fill_mode, interpolation, seed, fill_value, data_format, **kwargs)
        self.height_factor, self.width_factor = height_factor, width_factor
        self._height = _factor_pair(self, height_factor, "height_factor", open_low=True)
        self._width = None if width_factor is None else _factor_pair(self, width_factor, "width_factor",
                                                                     open_low=True)

    def _draw(self, n, h, w):
        hz = self._uniform(1.0 + self._height[0], 1.0 + self._height[1], (n, 1))
        wz = hz if self._width is None else self._uniform(1.0 + self._width[0], 1.0 + self._width[1], (n, 1))
        return {"height_zoom": hz, "width_zoom": wz}

    def _matrix(self, params, h, w):
        wz = np.asarray(params["width_zoom"], np.float32)[:, 0]
        hz = np.asarray(params["height_zoom"], np.float32)[:, 0]
        zero = np.zeros_like(wz)
        return np.stack([wz, zero, (w - 1.0) / 2.0 * (1.0 - wz), zero, hz, (h - 1.0) / 2.0 * (1.0 - hz), zero,
                         zero], 1)

    def get_config(self):
        return {**super().get_config(), "height_factor": self.height_factor, "width_factor": self.width_factor}


class RandomTranslation(_Affine):
    """``RandomTranslation(height_factor, width_factor, ...)``: shift each image by a fraction of its height and
    width drawn in the factors' ranges."""

    def __init__(self, height_factor, width_factor, fill_mode="reflect", interpolation="bilinear", seed=None,
                 fill_value=0.0, data_format=None, **kwargs):
        super().__init__(fill_mode, interpolation, seed, fill_value, data_format, **kwargs)
        self.height_factor, self.width_factor = height_factor, width_factor
        self._height = _factor_pair(self, height_factor, "height_factor")
        self._width = _factor_pair(self, width_factor, "width_factor")

    def _draw(self, n, h, w):
        dy = self._uniform(self._height[0], self._height[1], (n, 1)) * h
        dx = self._uniform(self._width[0], self._width[1], (n, 1)) * w
        return {"translations": np.concatenate([dx, dy], 1).astype(np.float32)}

    def _matrix(self, params, h, w):
        t = np.asarray(params["translations"], np.float32)
        one, zero = np.ones(len(t), np.float32), np.zeros(len(t), np.float32)
        return np.stack([one, zero, -t[:, 0], zero, one, -t[:, 1], zero, zero], 1)

    def get_config(self):
        return {**super().get_config(), "height_factor": self.height_factor, "width_factor": self.width_factor}


__all__ = ["RandomBrightness", "RandomContrast", "RandomFlip", "RandomRotation", "RandomTranslation", "RandomZoom"]
