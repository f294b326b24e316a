"""Pooling over channels-last images: ``MaxPooling2D``, ``AveragePooling2D``, ``GlobalAveragePooling2D``,
``GlobalMaxPooling2D``.

The windowed pools permute to NCHW around ``F.max_pool2d`` / ``F.avg_pool2d`` (views, as in
Conv2D).  'same' padding follows Keras: padded positions never win a max (padding with -inf)
and are not counted in an average when the padding is even; an uneven 'same' padding repeats
the edge pixels, which then count, as Keras 3 does on its PyTorch backend.  The global pools
reduce the spatial axes directly.
"""
from __future__ import annotations

from deepgrad.keras.layers._conv_utils import (
    check_data_format,
    check_padding,
    out_size,
    pair,
    same_pads,
    to_nchw,
    to_nhwc,
)
from deepgrad.keras.layers.layer import Layer
from deepgrad.nn import functional as F


class _Pooling2D(Layer):
    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.pool_size = pair(pool_size, "pool_size", self)
        self.strides = self.pool_size if strides is None else pair(strides, "strides", self)
        self.padding = check_padding(padding, self)
        self.data_format = check_data_format(data_format, self)

    def _pool(self, x, pads):  # pragma: no cover - abstract
        raise NotImplementedError

    def call(self, x, training=False):
        if x.ndim != 4:
            raise ValueError(f"{type(self).__name__} '{self.name}': expected a 4-D input, got shape {x.shape}")
        if self.data_format == "channels_last":
            x = to_nchw(x)
        pads = None
        if self.padding == "same":
            pads = [same_pads(s, k, st) for s, k, st in zip(x.shape[2:], self.pool_size, self.strides)]
        y = self._pool(x, pads)
        return to_nhwc(y) if self.data_format == "channels_last" else y

    def compute_output_shape(self, input_shape):
        if len(input_shape) != 4:
            raise ValueError(f"{type(self).__name__} '{self.name}': expected a 4-D input, got {tuple(input_shape)}")
        if self.data_format == "channels_last":
            n, h, w, c = input_shape
        else:
            n, c, h, w = input_shape
        oh, ow = (out_size(s, k, st, self.padding) for s, k, st in zip((h, w), self.pool_size, self.strides))
        return (n, oh, ow, c) if self.data_format == "channels_last" else (n, c, oh, ow)

    def get_config(self):
        return {**super().get_config(), "pool_size": list(self.pool_size), "strides": list(self.strides),
                "padding": self.padding, "data_format": self.data_format}


class MaxPooling2D(_Pooling2D):
    """Max over pool_size windows (default 2x2, stride = pool_size)."""

    def _pool(self, x, pads):
        if pads is not None and any(p != (0, 0) for p in pads):
            (top, bottom), (left, right) = pads
            x = F.pad(x, (left, right, top, bottom), value=float("-inf"))
        return F.max_pool2d(x, self.pool_size, self.strides)


class AveragePooling2D(_Pooling2D):
    """Mean over pool_size windows; with 'same' padding the padded positions are not counted."""

    def _pool(self, x, pads):
        if pads is None or all(p == (0, 0) for p in pads):
            return F.avg_pool2d(x, self.pool_size, self.strides)
        (top, bottom), (left, right) = pads
        if top == bottom and left == right:
            return F.avg_pool2d(x, self.pool_size, self.strides, padding=(top, left), count_include_pad=False)
        # uneven padding: Keras 3 (PyTorch backend) pads by repeating the edge pixels, which are then counted
        return F.avg_pool2d(F.pad(x, (left, right, top, bottom), mode="replicate"), self.pool_size, self.strides)


class _GlobalPooling2D(Layer):
    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        self.data_format = check_data_format(data_format, self)
        self.keepdims = bool(keepdims)

    def _axes(self):
        return (1, 2) if self.data_format == "channels_last" else (2, 3)

    def compute_output_shape(self, input_shape):
        if len(input_shape) != 4:
            raise ValueError(f"{type(self).__name__} '{self.name}': expected a 4-D input, got {tuple(input_shape)}")
        axes = self._axes()
        if self.keepdims:
            return tuple(1 if i in axes else d for i, d in enumerate(input_shape))
        return tuple(d for i, d in enumerate(input_shape) if i not in axes)

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format, "keepdims": self.keepdims}


class GlobalAveragePooling2D(_GlobalPooling2D):
    """Mean over height and width: (N, H, W, C) -> (N, C)."""

    def call(self, x, training=False):
        return x.mean(axis=self._axes(), keepdims=self.keepdims)


class GlobalMaxPooling2D(_GlobalPooling2D):
    """Max over height and width: (N, H, W, C) -> (N, C)."""

    def call(self, x, training=False):
        return x.amax(axis=self._axes(), keepdims=self.keepdims)


__all__ = ["MaxPooling2D", "AveragePooling2D", "GlobalAveragePooling2D", "GlobalMaxPooling2D"]
