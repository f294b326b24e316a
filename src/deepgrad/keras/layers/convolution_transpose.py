"""``Conv2DTranspose``: the transposed ("de-") convolution of channels-last images, through
``F.conv_transpose2d``, with Keras 3's output sizes.

Keras's 'valid' gives (in - 1) * stride + max(kernel, stride) and 'same' gives in * stride
(``output_padding`` overrides).  As Keras does on PyTorch, the full transposed convolution
(no padding) is computed and then cropped on each side (or zero-padded when a side needs
more), so any stride, kernel and output padding give Keras's values.  The kernel is shown as
Keras's (kh, kw, filters, in) and stored as PyTorch's (in, filters, kh, kw).
"""
from __future__ import annotations

from deepgrad.keras.layers._conv_utils import pair, to_nchw, to_nhwc
from deepgrad.keras.layers.base_conv import BaseConv
from deepgrad.nn import functional as F


def transpose_pads(kernel, stride, dilation, padding, output_padding):
    """(left, right) that Keras pads the dilated input with: JAX's rule, which Keras follows."""
    k = (kernel - 1) * dilation + 1
    if padding == "valid":
        op = max(k, stride) - k if output_padding is None else output_padding
        return k - 1, k - 1 + op
    pad_len = stride + k - 2 if output_padding is None else k + k % 2 - 2 + output_padding
    left = min(pad_len // 2 + pad_len % 2, k - 1)
    return left, pad_len - left


def transpose_crop(k, s, d, padding, output_padding):
    """What to cut from (negative: add to) each end of the full transposed convolution along one dim."""
    left, right = transpose_pads(k, s, d, padding, output_padding)
    ek = (k - 1) * d + 1
    return ek - 1 - left, ek - 1 - right


class Conv2DTranspose(BaseConv):
    """``Conv2DTranspose(filters, kernel_size, strides=(1, 1), padding='valid', output_padding=None, ...)``."""

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", output_padding=None,
                 data_format=None, dilation_rate=(1, 1), activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros", kernel_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, kernel_constraint=None, bias_constraint=None,
                 **kwargs):
        super().__init__(filters, kernel_size, strides, padding, data_format, dilation_rate, activation, use_bias,
                         kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer,
                         activity_regularizer, kernel_constraint, bias_constraint, **kwargs)
        self.output_padding = None if output_padding is None else pair(output_padding, "output_padding", self)

    def build(self, input_shape):
        if len(input_shape) != 4:
            raise ValueError(f"Conv2DTranspose '{self.name}': expected a 4-D input (batch, height, width, "
                             f"channels), got shape {tuple(input_shape)}")
        cin = input_shape[-1] if self.data_format == "channels_last" else input_shape[1]
        if cin is None:
            raise ValueError(f"Conv2DTranspose '{self.name}': the number of input channels must be known, got "
                             f"{tuple(input_shape)}")
        kh, kw = self.kernel_size
        self._build_kernel((cin, self.filters, kh, kw), (kh, kw, self.filters, cin), "conv2d")

    def _crops(self):
        ops = self.output_padding or (None, None)
        return [transpose_crop(k, s, d, self.padding, op)
                for k, s, d, op in zip(self.kernel_size, self.strides, self.dilation_rate, ops)]

    def _pre_activation(self, x, training):
        if x.ndim != 4:
            raise ValueError(f"Conv2DTranspose '{self.name}': expected a 4-D input, got shape {tuple(x.shape)}")
        if self.data_format == "channels_last":
            x = to_nchw(x)
        y = F.conv_transpose2d(x, self.kernel, None, stride=self.strides, dilation=self.dilation_rate)
        (ct, cb), (cl, cr) = self._crops()
        h, w = y.shape[2], y.shape[3]
        y = y[:, :, max(ct, 0):h - max(cb, 0), max(cl, 0):w - max(cr, 0)]
        if min(ct, cb, cl, cr) < 0:
            y = F.pad(y, (max(-cl, 0), max(-cr, 0), max(-ct, 0), max(-cb, 0)))
        if self.bias is not None:
            y = y + self.bias.reshape(1, self.filters, 1, 1)
        return to_nhwc(y) if self.data_format == "channels_last" else y

    def compute_output_shape(self, input_shape):
        if self.data_format == "channels_last":
            n, h, w, _ = input_shape
        else:
            n, _, h, w = input_shape
        sizes = []
        for size, k, s, d, (c0, c1) in zip((h, w), self.kernel_size, self.strides, self.dilation_rate, self._crops()):
            sizes.append(None if size is None else (size - 1) * s + (k - 1) * d + 1 - c0 - c1)
        oh, ow = sizes
        return (n, oh, ow, self.filters) if self.data_format == "channels_last" else (n, self.filters, oh, ow)

    def _conv_config(self):
        return {"output_padding": None if self.output_padding is None else list(self.output_padding),
                "data_format": self.data_format, "dilation_rate": list(self.dilation_rate)}


__all__ = ["Conv2DTranspose"]
