"""im2col / col2im and window geometry: convolution as one matrix product over strided views.

Memory layout.  The API is NCHW, but inside the conv and pool ops an activation lives in
(C, H, W, N) memory: batch innermost.  A tensor's ``.data`` is that array seen through
``transpose(3, 0, 1, 2)``, so shapes stay NCHW for users while elementwise ops (ReLU, bias,
dropout) keep the layout and the next conv or pool reads it without a copy.  Why: a window
view of a (C, H, W, N) array has N contiguous floats as its innermost run whatever the
stride or dilation, and with stride 1 whole (OW, N) rows.  Measured on LeNet's layers
(batch 64, one core): the im2col copy takes 0.14 ms and 0.11 ms, against 0.41 and 0.74 ms
from (C, N, H, W) memory and 2.4 ms for the (N, OH, OW) x (C, KH, KW) order from NCHW;
col2im halves as well.  The layout is that of cuda-convnet.

Columns are "kernel-major": rows (C, KH, KW), columns (OH, OW, N), so that
``W (OC, C*KH*KW) @ col`` is the output in (OC, OH, OW, N) memory directly.

Padding is ``(top, bottom, left, right)`` so that ``padding='same'`` with an even kernel and
pooling's ``ceil_mode`` (extra cells at the bottom/right) share the same code.
"""
from __future__ import annotations

from deepgrad.backend import get_array_module
from deepgrad.errors import op_error


def pair(value, name, op, allow_zero=False):
    """``3`` -> ``(3, 3)``; ``(2, 3)`` stays; checks that the values are ints >= 1 (>= 0 for padding)."""
    if isinstance(value, (tuple, list)):
        if len(value) == 1:
            value = (value[0], value[0])
        if len(value) != 2:
            raise op_error(ValueError, f"{op}: {name} must be an int or a pair of ints, got {value!r}")
        out = tuple(value)
    else:
        out = (value, value)
    low = 0 if allow_zero else 1
    for v in out:
        if isinstance(v, bool) or not hasattr(v, "__index__"):
            raise op_error(TypeError, f"{op}: {name} must be an int or a pair of ints, got {value!r}")
        if int(v) < low:
            raise op_error(ValueError, f"{op}: {name} must be >= {low}, got {value!r}")
    return (int(out[0]), int(out[1]))


def conv_out_size(size, kernel, stride, pad_total, dilation):
    """Output length of a convolution along one axis (floor mode)."""
    return (size + pad_total - dilation * (kernel - 1) - 1) // stride + 1


def pool_out_size(size, kernel, stride, pad, dilation, ceil_mode):
    """Output length of a pooling window along one axis, with PyTorch's ceil_mode rule."""
    span = size + 2 * pad - dilation * (kernel - 1) - 1
    out = (span + (stride - 1 if ceil_mode else 0)) // stride + 1
    if ceil_mode and (out - 1) * stride >= size + pad:  # the last window must start inside the input
        out -= 1
    return out


def same_pads(kernel, dilation):
    """Padding for ``padding='same'`` (stride 1): PyTorch puts the odd extra cell at the bottom/right."""
    pads = []
    for k, d in zip(kernel, dilation):
        total = d * (k - 1)
        pads += [total // 2, total - total // 2]
    return tuple(pads)


def buffer_size(size, before, out, kernel, stride, dilation):
    """Length of the padded buffer: it holds the input after ``before`` cells and every window."""
    return max(before + size, (out - 1) * stride + dilation * (kernel - 1) + 1)


# -- layout --------------------------------------------------------------------------------------
def chwn(x):
    """The (C, H, W, N) array behind an NCHW array: free when ``x`` already lives in that memory."""
    return get_array_module(x).ascontiguousarray(x.transpose(1, 2, 3, 0))


def nchw(a):
    """The NCHW view of a (C, H, W, N) array (no copy)."""
    return a.transpose(3, 0, 1, 2)


def padded_chwn(x, pads, out_hw, kernel, stride, dilation, fill=0.0):
    """``x`` (N, C, H, W) as (C, Hb, Wb, N) memory, inside a border big enough for every window."""
    n, c, h, w = x.shape
    top, _, left, _ = pads
    hb = buffer_size(h, top, out_hw[0], kernel[0], stride[0], dilation[0])
    wb = buffer_size(w, left, out_hw[1], kernel[1], stride[1], dilation[1])
    if top == 0 and left == 0 and hb == h and wb == w:
        return chwn(x)
    xp = get_array_module(x)
    buf = xp.full((c, hb, wb, n), fill, dtype=x.dtype) if fill != 0 else xp.zeros((c, hb, wb, n), dtype=x.dtype)
    buf[:, top:top + h, left:left + w, :] = x.transpose(1, 2, 3, 0)
    return buf


def _as_strided(xp, a, shape, strides):
    if xp.__name__ == "numpy":
        from numpy.lib.stride_tricks import as_strided
    else:  # cupy
        from cupy.lib.stride_tricks import as_strided
    return as_strided(a, shape=shape, strides=strides)


# -- convolution ----------------------------------------------------------------------------------
# Columns larger than CHUNK_BYTES are built and consumed in blocks of output rows, which bounds
# the memory of big layers (the weight gradient then rebuilds its blocks from the padded input).
# Measured on LeNet (one epoch, 2 cores): one block 7.9 s, 4 MB blocks 9.65 s, 1 MB 9.63 s, so
# the default only splits columns that would not fit in memory comfortably.  0 means one block.
CHUNK_BYTES = 32 << 20


def row_blocks(out_rows, bytes_per_row):
    """[(r0, r1), ...] covering ``out_rows`` output rows in blocks of about CHUNK_BYTES."""
    rows = out_rows if not CHUNK_BYTES else max(1, min(out_rows, CHUNK_BYTES // max(1, bytes_per_row)))
    return [(r0, min(out_rows, r0 + rows)) for r0 in range(0, out_rows, rows)]


def im2col_rows(src, kernel, stride, dilation, out_w, r0, r1):
    """Columns for output rows r0..r1 of a padded (C, Hb, Wb, N) ``src``: contiguous (C*KH*KW, rows*OW*N)."""
    xp = get_array_module(src)
    c, n = src.shape[0], src.shape[3]
    sc, sh, sw, sn = src.strides
    kh, kw = kernel
    view = _as_strided(xp, src[:, r0 * stride[0]:], (c, kh, kw, r1 - r0, out_w, n),
                       (sc, dilation[0] * sh, dilation[1] * sw, stride[0] * sh, stride[1] * sw, sn))
    return xp.ascontiguousarray(view).reshape(c * kh * kw, (r1 - r0) * out_w * n)


def im2col(x, kernel, stride, pads, dilation, out_hw):
    """Columns of ``x`` (N, C, H, W): a contiguous (C*KH*KW, OH*OW*N) matrix, one copy from a strided view."""
    src = padded_chwn(x, pads, out_hw, kernel, stride, dilation)
    return im2col_rows(src, kernel, stride, dilation, out_hw[1], 0, out_hw[0])


def col2im_add(buf, col, kernel, stride, dilation, r0, out_w):
    """Add the columns ``col`` (C*KH*KW, rows*OW*N) of output rows r0.. onto the padded (C, Hb, Wb, N) ``buf``.

    One strided add per kernel position (KH*KW vectorised adds, no loop over pixels)."""
    c, n = buf.shape[0], buf.shape[3]
    kh, kw = kernel
    rows = col.shape[1] // (out_w * n)
    col6 = col.reshape(c, kh, kw, rows, out_w, n)
    sh, sw = stride
    dh, dw = dilation
    for i in range(kh):
        top = i * dh + r0 * sh
        for j in range(kw):
            buf[:, top: top + (rows - 1) * sh + 1: sh, j * dw: j * dw + (out_w - 1) * sw + 1: sw, :] += col6[:, i, j]


def col2im(col, x_shape, kernel, stride, pads, dilation, out_hw):
    """Adjoint of ``im2col``: every column entry added back onto its pixel; the NCHW view of (C, H, W, N) memory."""
    xp = get_array_module(col)
    n, c, h, w = x_shape
    (kh, kw), (oh, ow) = kernel, out_hw
    top, _, left, _ = pads
    hb = buffer_size(h, top, oh, kh, stride[0], dilation[0])
    wb = buffer_size(w, left, ow, kw, stride[1], dilation[1])
    buf = xp.zeros((c, hb, wb, n), dtype=col.dtype)
    col2im_add(buf, col, kernel, stride, dilation, 0, ow)
    return nchw(buf[:, top:top + h, left:left + w, :])


def channels_first(a, groups=1):
    """(N, C, H, W) -> contiguous (groups, C // groups, H*W*N): free when ``a`` is in (C, H, W, N) memory."""
    c = a.shape[1]
    return chwn(a).reshape(groups, c // groups, -1)


# -- pooling --------------------------------------------------------------------------------------
def pool_windows(x, kernel, stride, pads, dilation, out_hw, fill=0.0):
    """Every kernel position's window cells, copied once into a contiguous (KH*KW, C, OH, OW, N) array."""
    xp = get_array_module(x)
    src = padded_chwn(x, pads, out_hw, kernel, stride, dilation, fill)
    c, n = src.shape[0], src.shape[3]
    sc, sh, sw, sn = src.strides
    (kh, kw), (oh, ow) = kernel, out_hw
    view = _as_strided(xp, src, (kh, kw, c, oh, ow, n),
                       (dilation[0] * sh, dilation[1] * sw, sc, stride[0] * sh, stride[1] * sw, sn))
    return xp.ascontiguousarray(view).reshape(kh * kw, c, oh, ow, n)


def tiles_exactly(in_hw, kernel, stride, pads, dilation):
    """True when the windows cover the input exactly once (stride == kernel, no padding, sizes divisible)."""
    return (tuple(stride) == tuple(kernel) and not any(pads) and tuple(dilation) == (1, 1)
            and in_hw[0] % kernel[0] == 0 and in_hw[1] % kernel[1] == 0)


__all__ = []  # helpers only; the ops live in conv.py and pool.py
