"""Shared by the convolution and pooling layers: argument normalisation, Keras's 'same' padding, sizes."""
from __future__ import annotations

import math


def pair(value, name, layer):
    if isinstance(value, int):
        return (value, value)
    value = tuple(int(v) for v in value)
    if len(value) != 2:
        raise ValueError(f"{layer}: {name} must be an int or a pair, got {value!r}")
    return value


def single(value, name, layer):
    """A 1-tuple from an int or a 1-sequence (Keras's 1-D layers keep their sizes as tuples)."""
    value = (int(value),) if isinstance(value, int) else tuple(int(v) for v in value)
    if len(value) != 1:
        raise ValueError(f"{layer}: {name} must be an int or a 1-tuple, got {value!r}")
    return value


def check_padding(padding, layer):
    padding = str(padding).lower()
    if padding not in ("valid", "same"):
        raise ValueError(f"{layer}: padding must be 'valid' or 'same', got {padding!r}")
    return padding


def check_data_format(data_format, layer):
    data_format = data_format or "channels_last"
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(f"{layer}: data_format must be 'channels_last' or 'channels_first', got {data_format!r}")
    return data_format


def same_pads(size, kernel, stride, dilation=1):
    """TensorFlow/Keras 'same': output ceil(size/stride), the odd pixel of padding at the end."""
    span = dilation * (kernel - 1) + 1
    total = max((math.ceil(size / stride) - 1) * stride + span - size, 0)
    return total // 2, total - total // 2


def out_size(size, kernel, stride, padding, dilation=1):
    if size is None:
        return None
    if padding == "same":
        return math.ceil(size / stride)
    return (size - dilation * (kernel - 1) - 1) // stride + 1


def conv2d_output_shape(layer, input_shape, channels):
    """The output shape of a 2-D convolution ``layer`` (its sizes, padding, data_format) with ``channels`` out."""
    if layer.data_format == "channels_last":
        n, h, w, _ = input_shape
    else:
        n, _, h, w = input_shape
    oh, ow = (out_size(s, k, st, layer.padding, d) for s, k, st, d in
              zip((h, w), layer.kernel_size, layer.strides, layer.dilation_rate))
    return (n, oh, ow, channels) if layer.data_format == "channels_last" else (n, channels, oh, ow)


def to_nchw(x):
    """(N, H, W, C) -> (N, C, H, W) (a view: the copy happens in the op that reads it)."""
    return x.permute(0, 3, 1, 2)


def to_nhwc(x):
    return x.permute(0, 2, 3, 1)


def conv2d_keras(x, weight, bias, strides, padding, dilation=(1, 1), groups=1):
    """``F.conv2d`` on NCHW ``x`` with Keras's 'valid'/'same' padding (uneven 'same' padded explicitly)."""
    from deepgrad.nn import functional as F

    pad = 0
    if padding == "same":
        (top, bottom), (left, right) = (same_pads(s, k, st, d) for s, k, st, d in
                                        zip(x.shape[2:], weight.shape[2:], strides, dilation))
        if top == bottom and left == right:
            pad = (top, left)
        else:
            x = F.pad(x, (left, right, top, bottom))
    return F.conv2d(x, weight, bias, stride=strides, padding=pad, dilation=dilation, groups=groups)
