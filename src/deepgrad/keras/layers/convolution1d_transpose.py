"""``Conv1DTranspose``: the transposed convolution of (N, steps, C) sequences, with Keras 3's output sizes
(see ``convolution_transpose.py``: the full transposed convolution, then cropped or zero-padded).  The
kernel is shown as Keras's (k, filters, in) and stored as PyTorch's (in, filters, k)."""
from __future__ import annotations

from deepgrad.keras.layers.base_conv import BaseConv
from deepgrad.keras.layers.convolution_transpose import transpose_crop
from deepgrad.nn import functional as F


class Conv1DTranspose(BaseConv):
    """``Conv1DTranspose(filters, kernel_size, strides=1, padding='valid', output_padding=None, ...)``."""

    rank = 1

    def __init__(self, filters, kernel_size, strides=1, padding="valid", output_padding=None, data_format=None,
                 dilation_rate=1, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(filters, kernel_size, strides, padding, data_format, dilation_rate, activation, use_bias,
                         kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer,
                         activity_regularizer, kernel_constraint, bias_constraint, **kwargs)
        self.output_padding = None if output_padding is None else self._sizes(output_padding, "output_padding")

    def build(self, input_shape):
        if len(input_shape) != 3:
            raise ValueError(f"Conv1DTranspose '{self.name}': expected a 3-D input (batch, steps, channels), "
                             f"got shape {tuple(input_shape)}")
        cin = input_shape[-1] if self.data_format == "channels_last" else input_shape[1]
        if cin is None:
            raise ValueError(f"Conv1DTranspose '{self.name}': the number of input channels must be known, got "
                             f"{tuple(input_shape)}")
        k = self.kernel_size[0]
        self._build_kernel((cin, self.filters, k), (k, self.filters, cin), "conv1d")

    def _crop(self):
        return transpose_crop(self.kernel_size[0], self.strides[0], self.dilation_rate[0], self.padding,
                              None if self.output_padding is None else self.output_padding[0])

    def _pre_activation(self, x, training):
        if x.ndim != 3:
            raise ValueError(f"Conv1DTranspose '{self.name}': expected a 3-D input (batch, steps, channels), "
                             f"got shape {tuple(x.shape)}")
        if self.data_format == "channels_last":
            x = x.permute(0, 2, 1)
        y = F.conv_transpose1d(x, self.kernel, None, stride=self.strides[0], dilation=self.dilation_rate[0])
        c0, c1 = self._crop()
        y = y[:, :, max(c0, 0):y.shape[2] - max(c1, 0)]
        if min(c0, c1) < 0:
            y = F.pad(y, (max(-c0, 0), max(-c1, 0)))
        if self.bias is not None:
            y = y + self.bias.reshape(1, self.filters, 1)
        return y.permute(0, 2, 1) if self.data_format == "channels_last" else y

    def compute_output_shape(self, input_shape):
        n, steps = input_shape[0], (input_shape[1] if self.data_format == "channels_last" else input_shape[2])
        k, s, d = self.kernel_size[0], self.strides[0], self.dilation_rate[0]
        c0, c1 = self._crop()
        o = None if steps is None else (steps - 1) * s + (k - 1) * d + 1 - c0 - c1
        return (n, o, self.filters) if self.data_format == "channels_last" else (n, self.filters, o)

    def _conv_config(self):
        return {"output_padding": None if self.output_padding is None else list(self.output_padding),
                "data_format": self.data_format, "dilation_rate": list(self.dilation_rate)}


__all__ = ["Conv1DTranspose"]
