"""``DepthwiseConv2D`` (one filter per input channel, ``depth_multiplier`` of them) and
``SeparableConv2D`` (depthwise, then a 1x1 convolution mixing the channels), over ``F.conv2d``
with ``groups`` = input channels.

The depthwise kernel is kept in Keras's layout (kh, kw, in, depth_multiplier) and rearranged
into PyTorch's grouped (in * multiplier, 1, kh, kw) at each call (a view and a reshape, both
differentiable), so ``get_weights``/``set_weights`` exchange Keras's arrays directly.
"""
from __future__ import annotations

from deepgrad.keras import activations, initializers, regularizers
from deepgrad.keras.layers._conv_utils import (
    check_data_format,
    check_padding,
    conv2d_keras,
    conv2d_output_shape,
    pair,
    to_nchw,
    to_nhwc,
)
from deepgrad.keras.layers.dense import WithActivation, _no_constraint
from deepgrad.keras.layers.layer import init_param
from deepgrad.nn._util import empty_parameter


class DepthwiseConv2D(WithActivation):
    """``DepthwiseConv2D(kernel_size, strides=(1, 1), padding='valid', depth_multiplier=1, ...)``."""

    def __init__(self, kernel_size, strides=(1, 1), padding="valid", depth_multiplier=1, data_format=None,
                 dilation_rate=(1, 1), activation=None, use_bias=True, depthwise_initializer="glorot_uniform",
                 bias_initializer="zeros", depthwise_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, depthwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(**kwargs)
        _no_constraint(self, depthwise_constraint=depthwise_constraint, bias_constraint=bias_constraint)
        self.kernel_size = pair(kernel_size, "kernel_size", self)
        self.strides = pair(strides, "strides", self)
        self.padding = check_padding(padding, self)
        self.depth_multiplier = int(depth_multiplier)
        self.data_format = check_data_format(data_format, self)
        self.dilation_rate = pair(dilation_rate, "dilation_rate", self)
        self.use_bias = bool(use_bias)
        self.depthwise_initializer = initializers.get(depthwise_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.depthwise_regularizer = regularizers.get(depthwise_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self._setup_activation(activation, activity_regularizer)

    def _in_channels(self, input_shape):
        if len(input_shape) != 4:
            raise ValueError(f"{type(self).__name__} '{self.name}': expected a 4-D input (batch, height, width, "
                             f"channels), got shape {tuple(input_shape)}")
        cin = input_shape[-1] if self.data_format == "channels_last" else input_shape[1]
        if cin is None:
            raise ValueError(f"{type(self).__name__} '{self.name}': the number of input channels must be known")
        return cin

    def _build_depthwise(self, cin):
        kh, kw = self.kernel_size
        self.depthwise_kernel = empty_parameter((kh, kw, cin, self.depth_multiplier))
        init_param(self.depthwise_kernel, self.depthwise_initializer, (kh, kw, cin, self.depth_multiplier))
        self._add_weight("depthwise_kernel", lambda: self.depthwise_kernel)

    def _build_bias(self, n):
        self.bias = None
        if self.use_bias:
            self.bias = empty_parameter((n,))
            init_param(self.bias, self.bias_initializer, (n,))
            self._add_weight("bias", lambda: self.bias)

    def build(self, input_shape):
        cin = self._in_channels(input_shape)
        self._build_depthwise(cin)
        self._build_bias(cin * self.depth_multiplier)

    def _depthwise(self, x, bias):
        kh, kw, cin, m = self.depthwise_kernel.shape
        weight = self.depthwise_kernel.permute(2, 3, 0, 1).reshape(cin * m, 1, kh, kw)  # out channel c * m + j
        return conv2d_keras(x, weight, bias, self.strides, self.padding, self.dilation_rate, groups=cin)

    def _pre_activation(self, x, training):
        self._in_channels(x.shape)
        if self.data_format == "channels_last":
            x = to_nchw(x)
        y = self._depthwise(x, self.bias)
        return to_nhwc(y) if self.data_format == "channels_last" else y

    def _out_channels(self, cin):
        return cin * self.depth_multiplier

    def compute_output_shape(self, input_shape):
        return conv2d_output_shape(self, input_shape, self._out_channels(self._in_channels(input_shape)))

    @property
    def losses(self):
        if not self.built:
            return []
        return self._penalties([(self.depthwise_regularizer, self.depthwise_kernel),
                                (self.bias_regularizer, self.bias)])

    def _common_config(self):
        return {"kernel_size": list(self.kernel_size), "strides": list(self.strides), "padding": self.padding,
                "depth_multiplier": self.depth_multiplier, "data_format": self.data_format,
                "dilation_rate": list(self.dilation_rate), "activation": activations.serialize(self.activation),
                "use_bias": self.use_bias, "depthwise_initializer": initializers.serialize(self.depthwise_initializer),
                "bias_initializer": initializers.serialize(self.bias_initializer),
                "depthwise_regularizer": regularizers.serialize(self.depthwise_regularizer),
                "bias_regularizer": regularizers.serialize(self.bias_regularizer),
                "activity_regularizer": regularizers.serialize(self.activity_regularizer)}

    def get_config(self):
        return {**super().get_config(), **self._common_config()}


class SeparableConv2D(DepthwiseConv2D):
    """``SeparableConv2D(filters, kernel_size, ...)``: depthwise (no bias), then a 1x1 convolution to ``filters``."""

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", data_format=None,
                 dilation_rate=(1, 1), depth_multiplier=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", pointwise_initializer="glorot_uniform",
                 bias_initializer="zeros", depthwise_regularizer=None, pointwise_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, depthwise_constraint=None,
                 pointwise_constraint=None, bias_constraint=None, **kwargs):
        _no_constraint(f"SeparableConv2D({filters})", pointwise_constraint=pointwise_constraint)
        super().__init__(kernel_size, strides=strides, padding=padding, depth_multiplier=depth_multiplier,
                         data_format=data_format, dilation_rate=dilation_rate, activation=activation,
                         use_bias=use_bias, depthwise_initializer=depthwise_initializer,
                         bias_initializer=bias_initializer, depthwise_regularizer=depthwise_regularizer,
                         bias_regularizer=bias_regularizer, activity_regularizer=activity_regularizer,
                         depthwise_constraint=depthwise_constraint, bias_constraint=bias_constraint, **kwargs)
        self.filters = int(filters)
        self.pointwise_initializer = initializers.get(pointwise_initializer)
        self.pointwise_regularizer = regularizers.get(pointwise_regularizer)

    def build(self, input_shape):
        cin = self._in_channels(input_shape)
        self._build_depthwise(cin)
        mid = cin * self.depth_multiplier
        self.pointwise_kernel = empty_parameter((1, 1, mid, self.filters))
        init_param(self.pointwise_kernel, self.pointwise_initializer, (1, 1, mid, self.filters))
        self._add_weight("pointwise_kernel", lambda: self.pointwise_kernel)
        self._build_bias(self.filters)

    def _pre_activation(self, x, training):
        self._in_channels(x.shape)
        if self.data_format == "channels_last":
            x = to_nchw(x)
        y = self._depthwise(x, None)
        pointwise = self.pointwise_kernel.permute(3, 2, 0, 1)  # (filters, mid, 1, 1)
        y = conv2d_keras(y, pointwise, self.bias, (1, 1), "valid")
        return to_nhwc(y) if self.data_format == "channels_last" else y

    def _out_channels(self, cin):
        return self.filters

    @property
    def losses(self):
        if not self.built:
            return []
        return self._penalties([(self.depthwise_regularizer, self.depthwise_kernel),
                                (self.pointwise_regularizer, self.pointwise_kernel),
                                (self.bias_regularizer, self.bias)])

    def get_config(self):
        return {**super().get_config(), "filters": self.filters,
                "pointwise_initializer": initializers.serialize(self.pointwise_initializer),
                "pointwise_regularizer": regularizers.serialize(self.pointwise_regularizer)}


__all__ = ["DepthwiseConv2D", "SeparableConv2D"]
