"""Pooling over channels-last sequences (N, steps, C): ``MaxPooling1D``, ``AveragePooling1D``,
``GlobalAveragePooling1D``, ``GlobalMaxPooling1D``.

The windowed pools permute to (N, C, steps) around ``F.max_pool1d`` / ``F.avg_pool1d``; 'same'
padding follows Keras as the 2-D pools do (padding never wins a max; an even padding is not counted
in a mean, an uneven one repeats the edge steps, as Keras 3 on PyTorch).
"""
from __future__ import annotations

from deepgrad.keras.layers._conv_utils import check_data_format, check_padding, out_size, same_pads, single
from deepgrad.keras.layers.layer import Layer
from deepgrad.nn import functional as F
from deepgrad.tensor import Tensor


class _Pooling1D(Layer):
    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.pool_size = single(pool_size, "pool_size", self)
        self.strides = self.pool_size if strides is None else single(strides, "strides", self)
        self.padding = check_padding(padding, self)
        self.data_format = check_data_format(data_format, self)

    def call(self, x, training=False):
        if x.ndim != 3:
            raise ValueError(f"{type(self).__name__} '{self.name}': expected a 3-D input (batch, steps, channels), "
                             f"got shape {tuple(x.shape)}")
        if self.data_format == "channels_last":
            x = x.permute(0, 2, 1)
        k, s = self.pool_size[0], self.strides[0]
        pads = same_pads(x.shape[2], k, s) if self.padding == "same" else (0, 0)
        y = self._pool(x, k, s, pads)
        return y.permute(0, 2, 1) if self.data_format == "channels_last" else y

    def compute_output_shape(self, input_shape):
        if len(input_shape) != 3:
            raise ValueError(f"{type(self).__name__} '{self.name}': expected a 3-D input, got {tuple(input_shape)}")
        if self.data_format == "channels_last":
            n, steps, c = input_shape
            return (n, out_size(steps, self.pool_size[0], self.strides[0], self.padding), c)
        n, c, steps = input_shape
        return (n, c, out_size(steps, self.pool_size[0], self.strides[0], self.padding))

    def get_config(self):
        return {**super().get_config(), "pool_size": list(self.pool_size), "strides": list(self.strides),
                "padding": self.padding, "data_format": self.data_format}


class MaxPooling1D(_Pooling1D):
    """Max over windows of pool_size steps (default 2, stride = pool_size)."""

    def _pool(self, x, k, s, pads):
        if pads != (0, 0):
            x = F.pad(x, pads, value=float("-inf"))
        return F.max_pool1d(x, k, s)


class AveragePooling1D(_Pooling1D):
    """Mean over windows of pool_size steps; with 'same' padding the padded steps are not counted."""

    def _pool(self, x, k, s, pads):
        if pads == (0, 0):
            return F.avg_pool1d(x, k, s)
        if pads[0] == pads[1]:
            return F.avg_pool1d(x, k, s, padding=pads[0], count_include_pad=False)
        return F.avg_pool1d(F.pad(x, pads, mode="replicate"), k, s)  # as Keras 3's PyTorch backend


class _GlobalPooling1D(Layer):
    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        self.data_format = check_data_format(data_format, self)
        self.keepdims = bool(keepdims)

    def _axis(self):
        return 1 if self.data_format == "channels_last" else 2

    def _check(self, shape):
        if len(shape) != 3:
            raise ValueError(f"{type(self).__name__} '{self.name}': expected a 3-D input (batch, steps, channels), "
                             f"got {tuple(shape)}")

    def compute_output_shape(self, input_shape):
        self._check(input_shape)
        ax = self._axis()
        if self.keepdims:
            return tuple(1 if i == ax else d for i, d in enumerate(input_shape))
        return tuple(d for i, d in enumerate(input_shape) if i != ax)

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format, "keepdims": self.keepdims}


class GlobalAveragePooling1D(_GlobalPooling1D):
    """Mean over the steps: (N, steps, C) -> (N, C); with a (N, steps) mask, over the unmasked steps only."""

    def call(self, x, training=False, mask=None):
        self._check(x.shape)
        if mask is None:
            return x.mean(axis=self._axis(), keepdims=self.keepdims)
        keep = x.xp.asarray(mask.data if isinstance(mask, Tensor) else mask).astype(x.dtype)
        keep = Tensor._make(keep[:, :, None] if self._axis() == 1 else keep[:, None, :])
        return (x * keep).sum(axis=self._axis(), keepdims=self.keepdims) / keep.sum(axis=self._axis(),
                                                                                   keepdims=self.keepdims)

    def compute_mask(self, x, mask=None):
        return None


class GlobalMaxPooling1D(_GlobalPooling1D):
    """Max over the steps: (N, steps, C) -> (N, C)."""

    def call(self, x, training=False):
        self._check(x.shape)
        return x.amax(axis=self._axis(), keepdims=self.keepdims)


__all__ = ["MaxPooling1D", "AveragePooling1D", "GlobalAveragePooling1D", "GlobalMaxPooling1D"]
