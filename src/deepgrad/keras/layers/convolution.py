"""``Conv2D``: 2-D convolution over channels-last (N, H, W, C) images, through ``F.conv2d`` (NCHW).

Keras images are channels-last; deepgrad's convolution works on (N, C, H, W).  The layer
permutes in and out around ``F.conv2d``; both permutes are NumPy views, so the only copy is
the one the convolution makes anyway when it unfolds its input, and elementwise ops that
follow keep the strides.  ``data_format='channels_first'`` skips the permutes.

The kernel lives in PyTorch layout (filters, in, kh, kw) and ``get_weights`` shows Keras's
(kh, kw, in, filters).  ``padding='same'`` follows Keras (the extra pixel of an even total
padding goes at the bottom/right), for any stride.
"""
from __future__ import annotations

from deepgrad.keras.layers._conv_utils import conv2d_keras, conv2d_output_shape, to_nchw, to_nhwc
from deepgrad.keras.layers.base_conv import BaseConv


class Conv2D(BaseConv):
    """``Conv2D(filters, kernel_size, strides=(1, 1), padding='valid', activation=None, ...)``."""

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", data_format=None,
                 dilation_rate=(1, 1), groups=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros", kernel_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, kernel_constraint=None, bias_constraint=None,
                 **kwargs):
        super().__init__(filters, kernel_size, strides, padding, data_format, dilation_rate, activation, use_bias,
                         kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer,
                         activity_regularizer, kernel_constraint, bias_constraint, groups=groups, **kwargs)

    def _channels(self, shape):
        return shape[-1] if self.data_format == "channels_last" else shape[1]

    def build(self, input_shape):
        if len(input_shape) != 4:
            raise ValueError(f"Conv2D '{self.name}': expected a 4-D input (batch, height, width, channels), "
                             f"got shape {tuple(input_shape)}")
        cin = self._channels(input_shape)
        if cin is None or cin % self.groups or self.filters % self.groups:
            raise ValueError(f"Conv2D '{self.name}': input channels {cin} and filters {self.filters} must be known "
                             f"and divisible by groups={self.groups}")
        kh, kw = self.kernel_size
        self._build_kernel((self.filters, cin // self.groups, kh, kw), (kh, kw, cin // self.groups, self.filters),
                           "conv2d")

    def _pre_activation(self, x, training):
        if self.data_format == "channels_last":
            x = to_nchw(x)
        y = conv2d_keras(x, self.kernel, self.bias, self.strides, self.padding, self.dilation_rate, self.groups)
        return to_nhwc(y) if self.data_format == "channels_last" else y

    def compute_output_shape(self, input_shape):
        return conv2d_output_shape(self, input_shape, self.filters)


__all__ = ["Conv2D"]
