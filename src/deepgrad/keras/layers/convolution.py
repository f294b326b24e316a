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

from deepgrad.keras import activations, initializers, regularizers
from deepgrad.keras.layers._conv_utils import (
    check_data_format,
    check_padding,
    out_size,
    pair,
    same_pads,
    to_nchw,
    to_nhwc,
)
from deepgrad.keras.layers.dense import WithActivation, _no_constraint
from deepgrad.keras.layers.layer import init_param
from deepgrad.nn import functional as F
from deepgrad.nn._util import empty_parameter


class Conv2D(WithActivation):
    """``Conv2D(filters, kernel_size, strides=(1, 1), padding='valid', activation=None, ...)``."""

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", data_format=None,
                 dilation_rate=(1, 1), groups=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros", kernel_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, kernel_constraint=None, bias_constraint=None,
                 **kwargs):
        super().__init__(**kwargs)
        _no_constraint(self, kernel_constraint=kernel_constraint, bias_constraint=bias_constraint)
        self.filters = int(filters)
        self.kernel_size = pair(kernel_size, "kernel_size", self)
        self.strides = pair(strides, "strides", self)
        self.padding = check_padding(padding, self)
        self.data_format = check_data_format(data_format, self)
        self.dilation_rate = pair(dilation_rate, "dilation_rate", self)
        self.groups = int(groups)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self._setup_activation(activation, activity_regularizer)

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
        keras_shape = (kh, kw, cin // self.groups, self.filters)
        self.kernel = empty_parameter((self.filters, cin // self.groups, kh, kw))
        init_param(self.kernel, self.kernel_initializer, keras_shape, "conv2d")
        self._add_weight("kernel", lambda: self.kernel, "conv2d")
        self.bias = None
        if self.use_bias:
            self.bias = empty_parameter((self.filters,))
            init_param(self.bias, self.bias_initializer, (self.filters,))
            self._add_weight("bias", lambda: self.bias)

    def _pre_activation(self, x, training):
        if self.data_format == "channels_last":
            x = to_nchw(x)
        padding = 0
        if self.padding == "same":
            (top, bottom), (left, right) = (same_pads(s, k, st, d) for s, k, st, d in
                                            zip(x.shape[2:], self.kernel_size, self.strides, self.dilation_rate))
            if top == bottom and left == right:
                padding = (top, left)
            else:
                x = F.pad(x, (left, right, top, bottom))
        y = F.conv2d(x, self.kernel, self.bias, stride=self.strides, padding=padding, dilation=self.dilation_rate,
                     groups=self.groups)
        return to_nhwc(y) if self.data_format == "channels_last" else y

    def compute_output_shape(self, input_shape):
        if self.data_format == "channels_last":
            n, h, w, _ = input_shape
        else:
            n, _, h, w = input_shape
        oh, ow = (out_size(s, k, st, self.padding, d) for s, k, st, d in
                  zip((h, w), self.kernel_size, self.strides, self.dilation_rate))
        return (n, oh, ow, self.filters) if self.data_format == "channels_last" else (n, self.filters, oh, ow)

    @property
    def losses(self):
        if not self.built:
            return []
        return self._penalties([(self.kernel_regularizer, self.kernel), (self.bias_regularizer, self.bias)])

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "kernel_size": list(self.kernel_size),
                "strides": list(self.strides), "padding": self.padding, "data_format": self.data_format,
                "dilation_rate": list(self.dilation_rate), "groups": self.groups,
                "activation": activations.serialize(self.activation), "use_bias": self.use_bias,
                "kernel_initializer": initializers.serialize(self.kernel_initializer),
                "bias_initializer": initializers.serialize(self.bias_initializer),
                "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
                "bias_regularizer": regularizers.serialize(self.bias_regularizer),
                "activity_regularizer": regularizers.serialize(self.activity_regularizer)}


__all__ = ["Conv2D"]
