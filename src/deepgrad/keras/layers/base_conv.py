"""``BaseConv``: what Conv1D, Conv2D and Conv2DTranspose share (as Keras's ``BaseConv``): the
constructor arguments, building the kernel and bias, the penalties and ``get_config``."""
from __future__ import annotations

from deepgrad.keras.layers._conv_utils import check_data_format, check_padding, pair, single
from deepgrad.keras.layers.dense import WithKernel, _no_constraint
from deepgrad.keras.layers.layer import init_param
from deepgrad.nn._util import empty_parameter


class BaseConv(WithKernel):
    """A convolution of ``rank`` spatial dimensions with ``filters`` output channels."""

    rank = 2

    def __init__(self, filters, kernel_size, strides, padding, data_format, dilation_rate, activation, use_bias,
                 kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer, activity_regularizer,
                 kernel_constraint, bias_constraint, groups=None, **kwargs):
        """``groups=None``: the layer takes no ``groups`` argument (Conv2DTranspose) and has no such attribute."""
        super().__init__(**kwargs)
        _no_constraint(self, kernel_constraint=kernel_constraint, bias_constraint=bias_constraint)
        self.filters = int(filters)
        self.kernel_size = self._sizes(kernel_size, "kernel_size")
        self.strides = self._sizes(strides, "strides")
        self.padding = self._check_padding(padding)
        self.data_format = check_data_format(data_format, self)
        self.dilation_rate = self._sizes(dilation_rate, "dilation_rate")
        if groups is not None:
            self.groups = int(groups)
        self._setup_kernel(use_bias, kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer,
                           activation, activity_regularizer)

    def _sizes(self, value, name):
        return (single if self.rank == 1 else pair)(value, name, self)

    def _check_padding(self, padding):
        return check_padding(padding, self)

    def _build_kernel(self, shape, keras_shape, kind):
        """The kernel in PyTorch layout ``shape`` (initialized as Keras's ``keras_shape``), then the bias."""
        self.kernel = empty_parameter(shape)
        init_param(self.kernel, self.kernel_initializer, keras_shape, kind)
        self._add_weight("kernel", lambda: self.kernel, kind)
        self.bias = None
        if self.use_bias:
            self.bias = empty_parameter((self.filters,))
            init_param(self.bias, self.bias_initializer, (self.filters,))
            self._add_weight("bias", lambda: self.bias)

    def _conv_config(self):
        """The config keys between ``padding`` and ``activation``."""
        return {"data_format": self.data_format, "dilation_rate": list(self.dilation_rate), "groups": self.groups}

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "kernel_size": list(self.kernel_size),
                "strides": list(self.strides), "padding": self.padding, **self._conv_config(),
                **self._kernel_config()}


__all__ = ["BaseConv"]
