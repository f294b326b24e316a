"""Convolutions: conv2d, conv1d, conv_transpose2d, conv_transpose1d (PyTorch names, NCHW).

Three Functions carry everything, each one's backward written with the other two so that
gradients of gradients work:

- ``Conv2d``         y = conv(x, w)          backward: gx = ConvTranspose2d(gy, w), gw = Conv2dWeightGrad(x, gy)
- ``ConvTranspose2d`` y = conv^T(x, w)        backward: gx = Conv2d(gy, w),          gw = Conv2dWeightGrad(gy, x)
- ``Conv2dWeightGrad`` gw = <gy, windows of x> backward: Conv2d / ConvTranspose2d with the weight gradient's gradient

Forward is im2col (one copy from a strided view) and one matmul per layer (batched over
groups); conv^T is one matmul and col2im.  The columns built in forward are kept for the
weight gradient when the weight needs one.  Outputs are NCHW views of (C, H, W, N) memory:
see ``im2col.py`` for why.
"""
from __future__ import annotations

from deepgrad import kernels
from deepgrad.autograd import Function, config
from deepgrad.backend import get_array_module
from deepgrad.errors import op_error
from deepgrad.kernels._compile import use_kernels
from deepgrad.ops.im2col import (
    buffer_size,
    channels_first,
    col2im,
    col2im_add,
    conv_out_size,
    im2col,
    im2col_rows,
    nchw,
    padded_chwn,
    pair,
    row_blocks,
    same_pads,
)
from deepgrad.ops.reduction import sum as _sum
from deepgrad.ops.shape import reshape
from deepgrad.tensor import Tensor


class _Geometry:
    """stride, pads (top, bottom, left, right), dilation and groups shared by the three Functions."""

    def _set(self, stride, pads, dilation, groups):
        self.stride = stride
        self.pads = pads
        self.dilation = dilation
        self.groups = groups

    def _geom(self):
        return self.stride, self.pads, self.dilation, self.groups


def _grouped_mm(wm, col, groups):
    """(g, M/g, K) weights times (g*K, L) columns -> (M, L): the conv forward (and conv^T's columns)."""
    if groups == 1:
        return wm[0] @ col
    xp = get_array_module(col)
    return xp.matmul(wm, col.reshape(groups, wm.shape[2], -1)).reshape(-1, col.shape[1])


class Conv2d(Function, _Geometry):
    """y[n, o] = sum_c w[o, c] (*) x[n, c] (cross-correlation), optional bias per output channel.

    ``out_hw`` fixes the output size (used by the gradient of conv^T); ``keep_columns`` keeps
    what the weight gradient needs (the columns, or the padded input when they came in blocks).
    """

    def __init__(self, stride, pads, dilation, groups, out_hw=None, keep_columns=False):
        self._set(stride, pads, dilation, groups)
        self.out_hw = out_hw
        self.keep_columns = keep_columns

    def forward(self, x, w, b=None):
        if use_kernels(x) and kernels.conv.supported(x):  # a CUDA GPU: im2col kernel + one matmul
            return kernels.conv2d_forward(self, x, w, b)
        xp = get_array_module(x)
        n, _, h, wd = x.shape
        oc, cg, kh, kw = w.shape
        g = self.groups
        if self.out_hw is None:
            self.out_hw = (conv_out_size(h, kh, self.stride[0], self.pads[0] + self.pads[1], self.dilation[0]),
                           conv_out_size(wd, kw, self.stride[1], self.pads[2] + self.pads[3], self.dilation[1]))
        oh, ow = self.out_hw
        src = padded_chwn(x, self.pads, self.out_hw, (kh, kw), self.stride, self.dilation)
        wm = w.reshape(g, oc // g, cg * kh * kw)
        blocks = row_blocks(oh, g * cg * kh * kw * ow * n * x.itemsize)
        if len(blocks) == 1:
            col = im2col_rows(src, (kh, kw), self.stride, self.dilation, ow, 0, oh)
            y = _grouped_mm(wm, col, g)
            if self.keep_columns:
                self.col = col
        else:
            y = xp.empty((oc, oh * ow * n), dtype=xp.result_type(x, w))
            per_row = ow * n
            for r0, r1 in blocks:
                col = im2col_rows(src, (kh, kw), self.stride, self.dilation, ow, r0, r1)
                y[:, r0 * per_row:r1 * per_row] = _grouped_mm(wm, col, g)
            if self.keep_columns:
                self.src = src
        if b is not None:
            y += b.reshape(oc, 1)
        return nchw(y.reshape(oc, oh, ow, n))

    def backward(self, gy):
        x, w = self.inputs[0], self.inputs[1]
        geom = self._geom()
        gx = gw = gb = None
        if x.requires_grad:
            gx = ConvTranspose2d(*geom, out_hw=x.shape[2:])(gy, w)
        if w.requires_grad:
            gw = Conv2dWeightGrad(*geom, kernel=w.shape[2:], col=getattr(self, "col", None),
                                  src=getattr(self, "src", None))(x, gy)
        if len(self.inputs) == 3 and self.inputs[2].requires_grad:
            gb = _sum(gy, axis=(0, 2, 3))
        return (gx, gw) if len(self.inputs) == 2 else (gx, gw, gb)


class ConvTranspose2d(Function, _Geometry):
    """The adjoint of ``Conv2d`` in its input: x (N, Cin, H, W), w (Cin, Cout/groups, KH, KW).

    ``out_hw`` is the spatial size of the result (the size of the input of the matching conv).
    Columns W^T x are made and added back (col2im) in blocks of rows of x.
    """

    def __init__(self, stride, pads, dilation, groups, out_hw):
        self._set(stride, pads, dilation, groups)
        self.out_hw = tuple(out_hw)

    def forward(self, x, w, b=None):
        if use_kernels(x) and kernels.conv.supported(x):  # a CUDA GPU: one matmul + col2im kernel
            return kernels.conv_transpose2d_forward(self, x, w, b)
        xp = get_array_module(x)
        n, cin, h, wd = x.shape
        _, cog, kh, kw = w.shape
        g = self.groups
        cout = g * cog
        xm = channels_first(x, g)  # (g, Cin/g, H*W*N)
        wt = w.reshape(g, cin // g, cog * kh * kw).transpose(0, 2, 1)  # (g, Cout/g*KH*KW, Cin/g)
        top, _, left, _ = self.pads
        oh, ow = self.out_hw
        hb = buffer_size(oh, top, h, kh, self.stride[0], self.dilation[0])
        wb = buffer_size(ow, left, wd, kw, self.stride[1], self.dilation[1])
        buf = xp.zeros((cout, hb, wb, n), dtype=xp.result_type(x, w))
        per_row = wd * n
        for r0, r1 in row_blocks(h, cout * kh * kw * per_row * x.itemsize):
            part = xm[:, :, r0 * per_row:r1 * per_row]
            col = _grouped_mm(wt, part.reshape(-1, part.shape[2]), g)
            col2im_add(buf, col, (kh, kw), self.stride, self.dilation, r0, wd)
        y = nchw(buf[:, top:top + oh, left:left + ow, :])
        if b is not None:
            y += b.reshape(1, -1, 1, 1)
        return y

    def backward(self, gy):
        x, w = self.inputs[0], self.inputs[1]
        geom = self._geom()
        gx = gw = gb = None
        if x.requires_grad:
            gx = Conv2d(*geom, out_hw=x.shape[2:])(gy, w)
        if w.requires_grad:
            gw = Conv2dWeightGrad(*geom, kernel=w.shape[2:])(gy, x)
        if len(self.inputs) == 3 and self.inputs[2].requires_grad:
            gb = _sum(gy, axis=(0, 2, 3))
        return (gx, gw) if len(self.inputs) == 2 else (gx, gw, gb)


class Conv2dWeightGrad(Function, _Geometry):
    """gw[o, c, i, j] = sum_{n, p, q} gy[n, o, p, q] x_pad[n, c, p*s + i*d, q*s + j*d]  (bilinear in x, gy).

    Uses the forward's columns when it kept them, else rebuilds them block by block from the
    padded input (kept by the forward, or padded again here).
    """

    def __init__(self, stride, pads, dilation, groups, kernel, col=None, src=None):
        self._set(stride, pads, dilation, groups)
        self.kernel = tuple(kernel)
        self.col = col
        self.src = src

    def forward(self, x, gy):
        if use_kernels(x) and kernels.conv.supported(x):  # a CUDA GPU: kept columns + one matmul
            return kernels.conv2d_weight_grad_forward(self, x, gy)
        xp = get_array_module(x)
        g = self.groups
        c = x.shape[1]
        oc = gy.shape[1]
        kh, kw = self.kernel
        oh, ow = gy.shape[2:]
        k = (c // g) * kh * kw
        col, src = self.col, self.src
        self.col = self.src = None  # used once; do not keep them alive with the graph
        gm = channels_first(gy, g)  # (g, OC/g, OH*OW*N)
        if col is not None:
            gw = _weight_mm(xp, gm, col, g, k)
        else:
            if src is None:
                src = padded_chwn(x, self.pads, (oh, ow), self.kernel, self.stride, self.dilation)
            per_row = ow * x.shape[0]
            gw = None
            for r0, r1 in row_blocks(oh, c * kh * kw * per_row * x.itemsize):
                col = im2col_rows(src, self.kernel, self.stride, self.dilation, ow, r0, r1)
                part = _weight_mm(xp, gm[:, :, r0 * per_row:r1 * per_row], col, g, k)
                gw = part if gw is None else gw + part
        return gw.reshape(oc, c // g, kh, kw)

    def backward(self, ggw):
        x, gy = self.inputs
        geom = self._geom()
        gx = ggy = None
        if x.requires_grad:
            gx = ConvTranspose2d(*geom, out_hw=x.shape[2:])(gy, ggw)
        if gy.requires_grad:
            ggy = Conv2d(*geom, out_hw=gy.shape[2:])(x, ggw)
        return gx, ggy


WEIGHT_GRAD_BLOCK = 2048  # columns summed per matmul in the weight gradient (see _weight_mm)


def _weight_mm(xp, gm, col, groups, k):
    """(g, OC/g, L) output gradients times the (g*K, L) columns, transposed -> (g, OC/g, K).

    The reduction runs over L = OH*OW*N, long and skinny for early layers (50176 for LeNet's
    first conv): summing products of blocks of WEIGHT_GRAD_BLOCK columns kept OpenBLAS twice as
    fast there (0.54 against 1.08 ms) as one (6, 50176) @ (50176, 25) product."""
    length = col.shape[1]
    block = WEIGHT_GRAD_BLOCK if WEIGHT_GRAD_BLOCK and length > 4 * WEIGHT_GRAD_BLOCK else length
    out = None
    for a in range(0, length, block):
        c, g = col[:, a:a + block], gm[:, :, a:a + block]
        part = (g[0] @ c.T)[None] if groups == 1 else xp.matmul(g, c.reshape(groups, k, -1).transpose(0, 2, 1))
        if out is None:
            out = part
        else:
            out += part
    return out


# -- argument checking ------------------------------------------------------------------
def _check_float(op, *ts):
    for t in ts:
        if t is not None and t.dtype.kind not in "fc":
            raise op_error(TypeError, f"{op}: expected floating point tensors, got {t.dtype}")


def _unbatched(x, op, nd):
    """Accept (C, *spatial) without a batch axis, as PyTorch does; returns (x, squeeze_back)."""
    if x.ndim == nd + 1:
        return reshape(x, (1,) + x.shape), True
    if x.ndim != nd + 2:
        want = "(N, C, H, W) or (C, H, W)" if nd == 2 else "(N, C, L) or (C, L)"
        raise op_error(ValueError, f"{op}: expected input of shape {want}, got {tuple(x.shape)}")
    return x, False


def _check_channels(op, x, weight, groups, transposed=False):
    if groups < 1 or int(groups) != groups:
        raise op_error(ValueError, f"{op}: groups must be a positive int, got {groups!r}")
    c = x.shape[1]
    if transposed:
        if weight.shape[0] != c:
            raise op_error(ValueError, f"{op}: input has {c} channels but weight of shape {tuple(weight.shape)} "
                                       f"expects {weight.shape[0]} (weight is (in, out/groups, kH, kW))")
        if c % groups:
            raise op_error(ValueError, f"{op}: in_channels {c} is not divisible by groups {groups}")
        return
    if weight.shape[0] % groups:
        raise op_error(ValueError, f"{op}: out_channels {weight.shape[0]} is not divisible by groups {groups}")
    if weight.shape[1] * groups != c:
        raise op_error(ValueError, f"{op}: input has {c} channels but weight of shape {tuple(weight.shape)} "
                                   f"with groups={groups} expects {weight.shape[1] * groups}")


def _check_bias(op, bias, channels):
    if bias is not None and tuple(bias.shape) != (channels,):
        raise op_error(ValueError, f"{op}: bias must have shape ({channels},), got {tuple(bias.shape)}")


def _conv_pads(op, padding, kernel, stride, dilation):
    if isinstance(padding, str):
        if padding == "valid":
            return (0, 0, 0, 0)
        if padding == "same":
            if stride != (1, 1):
                raise op_error(ValueError, f"{op}: padding='same' is not supported for strided convolutions "
                                           f"(stride={stride})")
            return same_pads(kernel, dilation)
        raise op_error(ValueError, f"{op}: padding must be an int, a pair, 'same' or 'valid', got {padding!r}")
    ph, pw = pair(padding, "padding", op, allow_zero=True)
    return (ph, ph, pw, pw)


def _as_t(x):
    return x if isinstance(x, Tensor) or x is None else Tensor(x)


# -- public functions --------------------------------------------------------------------
def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):  # noqa: A002
    """2-D convolution (cross-correlation) of ``input`` (N, C, H, W) with ``weight`` (OC, C/groups, kH, kW).

    ``stride``, ``padding``, ``dilation``: int or pair; ``padding`` may be ``'same'`` or ``'valid'``.
    Returns (N, OC, OH, OW) with OH = (H + 2*pad - dilation*(kH-1) - 1) // stride + 1.
    """
    op = "conv2d"
    input, weight, bias = _as_t(input), _as_t(weight), _as_t(bias)
    x, unbatched = _unbatched(input, op, 2)
    if weight.ndim != 4:
        raise op_error(ValueError, f"{op}: weight must be 4-D (out, in/groups, kH, kW), got {tuple(weight.shape)}")
    _check_float(op, x, weight, bias)
    _check_channels(op, x, weight, groups)
    _check_bias(op, bias, weight.shape[0])
    stride = pair(stride, "stride", op)
    dilation = pair(dilation, "dilation", op)
    kernel = tuple(weight.shape[2:])
    pads = _conv_pads(op, padding, kernel, stride, dilation)
    h, w = x.shape[2:]
    for size, before, after, k, d, axis in ((h, pads[0], pads[1], kernel[0], dilation[0], "height"),
                                            (w, pads[2], pads[3], kernel[1], dilation[1], "width")):
        if size + before + after < d * (k - 1) + 1:
            raise op_error(ValueError, f"{op}: kernel {kernel} with dilation {dilation} spans "
                                       f"{d * (k - 1) + 1} in {axis}, larger than the padded input "
                                       f"{size + before + after} (input shape {tuple(input.shape)})")
    keep = config.grad_enabled and weight.requires_grad
    fn = Conv2d(stride, pads, dilation, int(groups), keep_columns=keep)
    y = fn(x, weight) if bias is None else fn(x, weight, bias)
    return reshape(y, y.shape[1:]) if unbatched else y


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):  # noqa: A002
    """1-D convolution of ``input`` (N, C, L) with ``weight`` (OC, C/groups, K): conv2d over a height of 1."""
    op = "conv1d"
    input, weight = _as_t(input), _as_t(weight)
    x, unbatched = _unbatched(input, op, 1)
    if weight.ndim != 3:
        raise op_error(ValueError, f"{op}: weight must be 3-D (out, in/groups, k), got {tuple(weight.shape)}")
    s, d = _single(stride, "stride", op), _single(dilation, "dilation", op)
    if isinstance(padding, str):
        pad = padding
    else:
        p = _single(padding, "padding", op, allow_zero=True)
        pad = (0, p)
    x2 = reshape(x, (x.shape[0], x.shape[1], 1, x.shape[2]))
    w2 = reshape(weight, (weight.shape[0], weight.shape[1], 1, weight.shape[2]))
    y = conv2d(x2, w2, bias, (1, s), pad, (1, d), groups)
    y = reshape(y, (y.shape[0], y.shape[1], y.shape[3]))
    return reshape(y, y.shape[1:]) if unbatched else y


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,  # noqa: A002
                     dilation=1):
    """Transposed convolution (the gradient of conv2d with respect to its input).

    ``input`` (N, Cin, H, W), ``weight`` (Cin, Cout/groups, kH, kW); output height
    (H - 1)*stride - 2*padding + dilation*(kH - 1) + output_padding + 1.
    """
    op = "conv_transpose2d"
    input, weight, bias = _as_t(input), _as_t(weight), _as_t(bias)
    x, unbatched = _unbatched(input, op, 2)
    if weight.ndim != 4:
        raise op_error(ValueError, f"{op}: weight must be 4-D (in, out/groups, kH, kW), got {tuple(weight.shape)}")
    _check_float(op, x, weight, bias)
    _check_channels(op, x, weight, groups, transposed=True)
    _check_bias(op, bias, weight.shape[1] * groups)
    stride = pair(stride, "stride", op)
    dilation = pair(dilation, "dilation", op)
    ph, pw = pair(padding, "padding", op, allow_zero=True)
    oph, opw = pair(output_padding, "output_padding", op, allow_zero=True)
    for o, s, d in ((oph, stride[0], dilation[0]), (opw, stride[1], dilation[1])):
        if o >= s and o >= d:
            raise op_error(ValueError, f"{op}: output_padding {output_padding} must be smaller than either "
                                       f"stride {stride} or dilation {dilation}")
    kh, kw = weight.shape[2:]
    h, w = x.shape[2:]
    out_hw = ((h - 1) * stride[0] - 2 * ph + dilation[0] * (kh - 1) + oph + 1,
              (w - 1) * stride[1] - 2 * pw + dilation[1] * (kw - 1) + opw + 1)
    if min(out_hw) < 1:
        raise op_error(ValueError, f"{op}: output size {out_hw} is too small (input {tuple(input.shape)}, "
                                   f"kernel {(kh, kw)}, stride {stride}, padding {(ph, pw)})")
    fn = ConvTranspose2d(stride, (ph, ph, pw, pw), dilation, int(groups), out_hw)
    y = fn(x, weight) if bias is None else fn(x, weight, bias)
    return reshape(y, y.shape[1:]) if unbatched else y


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,  # noqa: A002
                     dilation=1):
    """1-D transposed convolution: ``input`` (N, Cin, L), ``weight`` (Cin, Cout/groups, K)."""
    op = "conv_transpose1d"
    input, weight = _as_t(input), _as_t(weight)
    x, unbatched = _unbatched(input, op, 1)
    if weight.ndim != 3:
        raise op_error(ValueError, f"{op}: weight must be 3-D (in, out/groups, k), got {tuple(weight.shape)}")
    s, d = _single(stride, "stride", op), _single(dilation, "dilation", op)
    p = _single(padding, "padding", op, allow_zero=True)
    o = _single(output_padding, "output_padding", op, allow_zero=True)
    x2 = reshape(x, (x.shape[0], x.shape[1], 1, x.shape[2]))
    w2 = reshape(weight, (weight.shape[0], weight.shape[1], 1, weight.shape[2]))
    y = conv_transpose2d(x2, w2, bias, (1, s), (0, p), (0, o), groups, (1, d))
    y = reshape(y, (y.shape[0], y.shape[1], y.shape[3]))
    return reshape(y, y.shape[1:]) if unbatched else y


class Unfold(Function):
    """Sliding blocks of x (N, C, H, W) as columns (N, C*kH*kW, L), PyTorch's ``F.unfold`` layout."""

    def __init__(self, kernel, stride, pads, dilation, out_hw, x_shape):
        self.geom = (kernel, stride, pads, dilation, out_hw)
        self.x_shape = tuple(x_shape)

    def forward(self, x):
        kernel, stride, pads, dilation, out_hw = self.geom
        col = im2col(x, kernel, stride, pads, dilation, out_hw)
        return col.reshape(col.shape[0], -1, x.shape[0]).transpose(2, 0, 1)

    def backward(self, gy):
        return Fold(*self.geom, self.x_shape)(gy)


class Fold(Function):
    """The adjoint of ``Unfold``: columns (N, C*kH*kW, L) summed back onto an (N, C, H, W) image."""

    def __init__(self, kernel, stride, pads, dilation, out_hw, x_shape):
        self.geom = (kernel, stride, pads, dilation, out_hw)
        self.x_shape = tuple(x_shape)

    def forward(self, cols):
        kernel, stride, pads, dilation, out_hw = self.geom
        xp = get_array_module(cols)
        col = xp.ascontiguousarray(cols.transpose(1, 2, 0)).reshape(cols.shape[1], -1)
        return col2im(col, self.x_shape, kernel, stride, pads, dilation, out_hw)

    def backward(self, gy):
        return Unfold(*self.geom, self.x_shape)(gy)


def _blocks(op, hw, kernel_size, dilation, padding, stride):
    kernel = pair(kernel_size, "kernel_size", op)
    dilation = pair(dilation, "dilation", op)
    ph, pw = pair(padding, "padding", op, allow_zero=True)
    stride = pair(stride, "stride", op)
    out = tuple(conv_out_size(n, k, s, 2 * p, d) for n, k, s, p, d in zip(hw, kernel, stride, (ph, pw), dilation))
    if min(out) < 1:
        raise op_error(ValueError, f"{op}: kernel_size {kernel} with dilation {dilation}, padding {(ph, pw)} and "
                                   f"stride {stride} gives no sliding block for a spatial size {tuple(hw)}")
    return kernel, stride, (ph, ph, pw, pw), dilation, out


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):  # noqa: A002
    """``F.unfold`` (im2col): (N, C, H, W) -> (N, C*kH*kW, L), one column per sliding block, the blocks
    in row-major order; (C, H, W) -> (C*kH*kW, L)."""
    op = "unfold"
    x, unbatched = _unbatched(_as_t(input), op, 2)
    geom = _blocks(op, x.shape[2:], kernel_size, dilation, padding, stride)
    y = Unfold(*geom, x.shape)(x)
    return reshape(y, y.shape[1:]) if unbatched else y


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):  # noqa: A002
    """``F.fold`` (col2im): columns (N, C*kH*kW, L) summed into (N, C, *output_size), overlaps added;
    the adjoint of ``unfold`` (unbatched (C*kH*kW, L) accepted)."""
    op = "fold"
    cols = _as_t(input)
    if cols.ndim not in (2, 3):
        raise op_error(ValueError, f"{op}: expected input of shape (N, C*kH*kW, L) or (C*kH*kW, L), "
                                   f"got {tuple(cols.shape)}")
    unbatched = cols.ndim == 2
    if unbatched:
        cols = reshape(cols, (1,) + cols.shape)
    hw = pair(output_size, "output_size", op)
    kernel, stride, pads, dilation, out = _blocks(op, hw, kernel_size, dilation, padding, stride)
    kk = kernel[0] * kernel[1]
    if cols.shape[1] % kk:
        raise op_error(ValueError, f"{op}: input's dim 1 ({cols.shape[1]}) must be divisible by the product of "
                                   f"kernel_size {kernel} = {kk} (input shape {tuple(input.shape)})")
    if cols.shape[2] != out[0] * out[1]:
        raise op_error(ValueError, f"{op}: output_size {hw}, kernel_size {kernel}, dilation {dilation}, padding "
                                   f"{pads[::2]} and stride {stride} make {out[0]} * {out[1]} = {out[0] * out[1]} "
                                   f"blocks, but the input has {cols.shape[2]} (input shape {tuple(input.shape)})")
    y = Fold(kernel, stride, pads, dilation, out, (cols.shape[0], cols.shape[1] // kk) + hw)(cols)
    return reshape(y, y.shape[1:]) if unbatched else y


def _single(v, name, op, allow_zero=False):
    if isinstance(v, (tuple, list)):
        if len(v) != 1:
            raise op_error(ValueError, f"{op}: {name} must be an int or a 1-tuple, got {v!r}")
        v = v[0]
    return pair(v, name, op, allow_zero)[0]


__all__ = ["conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d", "unfold", "fold"]
