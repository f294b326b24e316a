"""``Conv1D``: 1-D convolution over channels-last sequences (N, steps, C), through ``F.conv1d`` (NCL).

The kernel lives in PyTorch layout (filters, in, k) and ``get_weights`` shows Keras's
(k, in, filters).  ``padding`` is 'valid', 'same' (Keras's: the odd pixel at the end) or
'causal' (all the padding on the left, so step t only sees steps <= t).
"""
from __future__ import annotations

from deepgrad.keras.layers._conv_utils import out_size, same_pads
from deepgrad.keras.layers.base_conv import BaseConv
from deepgrad.nn import functional as F


class Conv1D(BaseConv):
    """``Conv1D(filters, kernel_size, strides=1, padding='valid', activation=None, ...)``."""

    rank = 1

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1,
                 groups=1, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(filters, kernel_size, strides, padding, data_format, dilation_rate, activation, use_bias,
                         kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer,
                         activity_regularizer, kernel_constraint, bias_constraint, groups=groups, **kwargs)

    def _check_padding(self, padding):
        value = str(padding).lower()
        if value not in ("valid", "same", "causal"):
            raise ValueError(f"{self}: padding must be 'valid', 'same' or 'causal', got {padding!r}")
        return value

    def build(self, input_shape):
        if len(input_shape) != 3:
            raise ValueError(f"Conv1D '{self.name}': expected a 3-D input (batch, steps, channels), "
                             f"got shape {tuple(input_shape)}")
        cin = input_shape[-1] if self.data_format == "channels_last" else input_shape[1]
        if cin is None or cin % self.groups or self.filters % self.groups:
            raise ValueError(f"Conv1D '{self.name}': input channels {cin} and filters {self.filters} must be known "
                             f"and divisible by groups={self.groups}")
        k = self.kernel_size[0]
        self._build_kernel((self.filters, cin // self.groups, k), (k, cin // self.groups, self.filters), "conv1d")

    def _pre_activation(self, x, training):
        if x.ndim != 3:
            raise ValueError(f"Conv1D '{self.name}': expected a 3-D input (batch, steps, channels), "
                             f"got shape {tuple(x.shape)}")
        if self.data_format == "channels_last":
            x = x.permute(0, 2, 1)
        k, s, d = self.kernel_size[0], self.strides[0], self.dilation_rate[0]
        if self.padding == "causal":
            x = F.pad(x, (d * (k - 1), 0))
        elif self.padding == "same":
            left, right = same_pads(x.shape[2], k, s, d)
            if left or right:
                x = F.pad(x, (left, right))
        y = F.conv1d(x, self.kernel, self.bias, stride=s, dilation=d, groups=self.groups)
        return y.permute(0, 2, 1) if self.data_format == "channels_last" else y

    def compute_output_shape(self, input_shape):
        n, steps = input_shape[0], (input_shape[1] if self.data_format == "channels_last" else input_shape[2])
        k, s, d = self.kernel_size[0], self.strides[0], self.dilation_rate[0]
        if self.padding == "causal":
            o = None if steps is None else (steps - 1) // s + 1
        else:
            o = out_size(steps, k, s, self.padding, d)
        return (n, o, self.filters) if self.data_format == "channels_last" else (n, self.filters, o)


__all__ = ["Conv1D"]
