"""``Conv1D``: 1-D convolution over channels-last sequences (N, steps, C), through ``F.conv1d`` (NCL).

The kernel lives in PyTorch layout (filters, in, k) and ``get_weights`` shows Keras's
(k, in, filters).  ``padding`` is 'valid', 'same' (Keras's: the odd pixel at the end) or
'causal' (all the padding on the left, so step t only sees steps <= t).
"""
from __future__ import annotations

from deepgrad.keras import activations, initializers, regularizers
from deepgrad.keras.layers._conv_utils import check_data_format, out_size, same_pads, single
from deepgrad.keras.layers.dense import WithActivation, _no_constraint
from deepgrad.keras.layers.layer import init_param
from deepgrad.nn import functional as F
from deepgrad.nn._util import empty_parameter


class Conv1D(WithActivation):
    """``Conv1D(filters, kernel_size, strides=1, padding='valid', activation=None, ...)``."""

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1,
                 groups=1, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(**kwargs)
        _no_constraint(self, kernel_constraint=kernel_constraint, bias_constraint=bias_constraint)
        self.filters = int(filters)
        self.kernel_size = single(kernel_size, "kernel_size", self)
        self.strides = single(strides, "strides", self)
        self.padding = str(padding).lower()
        if self.padding not in ("valid", "same", "causal"):
            raise ValueError(f"{self}: padding must be 'valid', 'same' or 'causal', got {padding!r}")
        self.data_format = check_data_format(data_format, self)
        self.dilation_rate = single(dilation_rate, "dilation_rate", self)
        self.groups = int(groups)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self._setup_activation(activation, activity_regularizer)

    def build(self, input_shape):
        if len(input_shape) != 3:
            raise ValueError(f"Conv1D '{self.name}': expected a 3-D input (batch, steps, channels), "
                             f"got shape {tuple(input_shape)}")
        cin = input_shape[-1] if self.data_format == "channels_last" else input_shape[1]
        if cin is None or cin % self.groups or self.filters % self.groups:
            raise ValueError(f"Conv1D '{self.name}': input channels {cin} and filters {self.filters} must be known "
                             f"and divisible by groups={self.groups}")
        k = self.kernel_size[0]
        self.kernel = empty_parameter((self.filters, cin // self.groups, k))
        init_param(self.kernel, self.kernel_initializer, (k, cin // self.groups, self.filters), "conv1d")
        self._add_weight("kernel", lambda: self.kernel, "conv1d")
        self.bias = None
        if self.use_bias:
            self.bias = empty_parameter((self.filters,))
            init_param(self.bias, self.bias_initializer, (self.filters,))
            self._add_weight("bias", lambda: self.bias)

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


__all__ = ["Conv1D"]
