"""Pooling: max_pool2d, avg_pool2d, adaptive_avg/max_pool2d, max_unpool2d, lp_pool2d, global_avg_pool2d
(and the 1-D forms).

Every window op first copies the window cells into one contiguous (KH*KW, C, OH, OW, N)
array (``im2col.pool_windows``: a strided view of (C, H, W, N) memory, see ``im2col.py``),
then loops over the KH*KW kernel positions, each step vectorised over the whole output: no
loop over pixels.  Max pooling keeps, per output, the position of the first maximum
in the window (row-major, NaN counts as a maximum, as in PyTorch); its backward sends each
output's gradient to that one input, so ties in a window (common on MNIST's blank
background) do not duplicate the gradient.

The Functions come in adjoint pairs (``_MaxPoolScatter``/``_MaxPoolGather``,
``_WindowSum``/``_WindowScatter``): each is linear in its input once the indices or divisors are
fixed, and each one's backward is the other, so second derivatives work.
"""
from __future__ import annotations

import numpy as np

from deepgrad import kernels
from deepgrad.autograd import Function, config
from deepgrad.backend import get_array_module
from deepgrad.errors import op_error
from deepgrad.kernels._compile import use_kernels
from deepgrad.ops.im2col import buffer_size, nchw, pair, pool_out_size, pool_windows, tiles_exactly
from deepgrad.ops.reduction import sum as _sum
from deepgrad.ops.shape import gather, reshape
from deepgrad.tensor import Tensor, as_tensor


class _PoolGeometry:
    """Kernel, stride, pads (top, bottom, left, right), dilation, output size and input size."""

    def __init__(self, kernel, stride, pads, dilation, out_hw, in_hw):
        self.kernel = kernel
        self.stride = stride
        self.pads = pads
        self.dilation = dilation
        self.out_hw = out_hw
        self.in_hw = in_hw
        self.tiles = tiles_exactly(in_hw, kernel, stride, pads, dilation)

    def positions(self):
        return [(i, j) for i in range(self.kernel[0]) for j in range(self.kernel[1])]

    def windows(self, x, fill=0.0):
        """(KH*KW, C, OH, OW, N) contiguous copy of every window cell (one strided copy)."""
        return pool_windows(x, self.kernel, self.stride, self.pads, self.dilation, self.out_hw, fill)

    def overlapping(self):
        return any(s < d * (k - 1) + 1 for k, s, d in zip(self.kernel, self.stride, self.dilation))

    def scatter(self, xp, n, parts):
        """Add ``parts(p)`` (each (C, OH, OW, N)) back onto the input cells of kernel position p;
        returns the (N, C, H, W) view of (C, H, W, N) memory."""
        (kh, kw), (oh, ow), (h, w) = self.kernel, self.out_hw, self.in_hw
        out = None
        if self.tiles:  # every input cell belongs to exactly one window: write, never add
            for p, (i, j) in enumerate(self.positions()):
                part = parts(p)
                if out is None:
                    out = xp.empty((part.shape[0], oh, kh, ow, kw, n), dtype=part.dtype)
                out[:, :, i, :, j, :] = part
            return nchw(out.reshape(out.shape[0], h, w, n))
        top, left = self.pads[0], self.pads[2]
        hb = buffer_size(h, top, oh, kh, self.stride[0], self.dilation[0])
        wb = buffer_size(w, left, ow, kw, self.stride[1], self.dilation[1])
        sh, sw = self.stride
        dh, dw = self.dilation
        for p, (i, j) in enumerate(self.positions()):
            part = parts(p)
            if out is None:
                out = xp.zeros((part.shape[0], hb, wb, n), dtype=part.dtype)
            out[:, i * dh: i * dh + (oh - 1) * sh + 1: sh, j * dw: j * dw + (ow - 1) * sw + 1: sw, :] += part
        return nchw(out[:, top:top + h, left:left + w, :])


def _chwn_view(a):
    """(N, C, H, W) -> its (C, H, W, N) view (no copy; contiguous when ``a`` came from these ops)."""
    return a.transpose(1, 2, 3, 0)


# -- max pooling -------------------------------------------------------------------------------
class MaxPool2d(Function):
    """Max over each window; keeps the kernel position of the first maximum for backward."""

    def __init__(self, geom, keep_indices):
        self.geom = geom
        self.keep_indices = keep_indices

    def forward(self, x):
        if use_kernels(x) and kernels.conv.supported(x):  # a CUDA GPU: one launch, values and indices
            g = self.geom
            y, self.idx = kernels.max_pool2d_forward(x, g.kernel, g.stride, g.pads, g.dilation, g.out_hw)
            return y
        xp = get_array_module(x)
        geo = self.geom
        fill = -np.inf if x.dtype.kind == "f" else np.iinfo(x.dtype).min
        w = geo.windows(x, fill)  # (K, C, OH, OW, N)
        k = w.shape[0]
        m = w[0].copy()
        for p in range(1, k):
            xp.maximum(m, w[p], out=m)  # propagates NaN like PyTorch
        if self.keep_indices:
            itype = np.uint8 if k < 256 else np.int32
            if x.dtype.kind == "f" and bool(xp.isnan(m).any()):
                idx = _nan_aware_argmax(xp, w, itype)
            else:
                idx = _first_argmax(w, m, itype)
            self.idx = idx  # (C, OH, OW, N)
        return nchw(m)

    def backward(self, gy):
        return _MaxPoolScatter(self.geom, self.idx)(gy)

    def flat_indices(self):
        """Indices into each (H*W) input plane, as ``return_indices=True`` gives them in PyTorch."""
        xp = get_array_module(self.idx)
        geo = self.geom
        idx = nchw(self.idx).astype(np.int64)
        ki, kj = idx // geo.kernel[1], idx % geo.kernel[1]
        oh, ow = geo.out_hw
        rows = xp.arange(oh).reshape(oh, 1) * geo.stride[0] - geo.pads[0] + ki * geo.dilation[0]
        cols = xp.arange(ow).reshape(1, ow) * geo.stride[1] - geo.pads[2] + kj * geo.dilation[1]
        return xp.ascontiguousarray(rows * geo.in_hw[1] + cols)


def _first_argmax(w, m, itype):
    """Position of the first maximum: the count of leading positions that are not the maximum.

    Built from boolean ands and adds on small integers (a masked write per position measured
    0.4 ms each on LeNet's first pool when ties are common; this whole loop about 0.05 ms)."""
    missing = w[0] != m  # no maximum seen yet
    idx = missing.astype(itype)
    for p in range(1, w.shape[0] - 1):
        missing &= w[p] != m
        idx += missing
    return idx


def _nan_aware_argmax(xp, w, itype):
    """PyTorch's rule when NaNs are present: a later value wins if it is larger or NaN."""
    m = w[0].copy()
    idx = xp.zeros(m.shape, dtype=itype)
    for p in range(1, w.shape[0]):
        take = (w[p] > m) | xp.isnan(w[p])
        xp.copyto(m, w[p], where=take)
        xp.copyto(idx, p, where=take)
    return idx


class _MaxPoolScatter(Function):
    """Gradient of max pooling: each output's gradient goes to its window's kept argmax."""

    def __init__(self, geom, idx):
        self.geom = geom
        self.idx = idx

    def forward(self, gy):
        if use_kernels(gy) and kernels.conv.supported(gy):  # a CUDA GPU: one gather launch
            g = self.geom
            return kernels.max_pool2d_backward(gy, self.idx, g.kernel, g.stride, g.pads, g.dilation, g.in_hw)
        xp = get_array_module(gy)
        g = _chwn_view(gy)  # (C, OH, OW, N), the layout of idx
        idx = self.idx
        return self.geom.scatter(xp, gy.shape[0], lambda p: g * (idx == p))

    def backward(self, ggx):
        return _MaxPoolGather(self.geom, self.idx)(ggx)


class _MaxPoolGather(Function):
    """Read each window's kept argmax (the adjoint of ``_MaxPoolScatter``)."""

    def __init__(self, geom, idx):
        self.geom = geom
        self.idx = idx

    def forward(self, x):
        xp = get_array_module(x)
        w = self.geom.windows(x, 0.0)
        return nchw(xp.take_along_axis(w, self.idx[None].astype(np.intp), axis=0)[0])

    def backward(self, gy):
        return _MaxPoolScatter(self.geom, self.idx)(gy)


# -- average pooling ---------------------------------------------------------------------------
def _is_one(scale):
    return isinstance(scale, float) and scale == 1.0


class _WindowSum(Function):
    """y = scale * (sum over each window); ``scale`` a number or an (OH, OW, 1) array of 1/divisor."""

    def __init__(self, geom, scale):
        self.geom = geom
        self.scale = scale

    def forward(self, x):
        w = self.geom.windows(x, 0.0)
        y = w[0].copy()
        for p in range(1, w.shape[0]):
            y += w[p]
        if not _is_one(self.scale):
            y *= self.scale
        return nchw(y)

    def backward(self, gy):
        return _WindowScatter(self.geom, self.scale)(gy)


class _WindowScatter(Function):
    """Adjoint of ``_WindowSum``: spread scale * gy over every cell of each window."""

    def __init__(self, geom, scale):
        self.geom = geom
        self.scale = scale

    def forward(self, gy):
        xp = get_array_module(gy)
        g = _chwn_view(gy)
        if not _is_one(self.scale):
            g = g * self.scale
        return self.geom.scatter(xp, gy.shape[0], lambda p: g)

    def backward(self, ggx):
        return _WindowSum(self.geom, self.scale)(ggx)


# -- argument handling -------------------------------------------------------------------------
def _batched(x, op):
    if not isinstance(x, Tensor):
        x = Tensor(x)
    if x.ndim == 3:
        return reshape(x, (1,) + x.shape), True
    if x.ndim != 4:
        raise op_error(ValueError, f"{op}: expected input of shape (N, C, H, W) or (C, H, W), got {tuple(x.shape)}")
    return x, False


def _geometry(op, x, kernel_size, stride, padding, dilation, ceil_mode):
    kernel = pair(kernel_size, "kernel_size", op)
    stride = kernel if stride is None or (isinstance(stride, (tuple, list)) and len(stride) == 0) else \
        pair(stride, "stride", op)
    pad = pair(padding, "padding", op, allow_zero=True)
    dilation = pair(dilation, "dilation", op)
    for p, k, d in zip(pad, kernel, dilation):
        if 2 * p > d * (k - 1) + 1:
            raise op_error(ValueError, f"{op}: padding {padding} should be at most half of kernel size {kernel_size}")
    h, w = x.shape[2:]
    out = tuple(pool_out_size(s, k, st, p, d, ceil_mode) for s, k, st, p, d in zip((h, w), kernel, stride, pad,
                                                                                       dilation))
    if min(out) < 1:
        raise op_error(ValueError, f"{op}: input {tuple(x.shape)} is too small for kernel {kernel} with padding "
                                   f"{pad} and dilation {dilation} (output size {out})")
    return _PoolGeometry(kernel, stride, (pad[0], pad[0], pad[1], pad[1]), dilation, out, (h, w))


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,  # noqa: A002
               return_indices=False):
    """Max over kH x kW windows of ``input`` (N, C, H, W); stride defaults to the kernel size.

    Backward routes each window's gradient to one element, the first maximum.  With
    ``return_indices`` also returns int64 indices into each flattened H*W input plane.
    """
    op = "max_pool2d"
    x, unbatched = _batched(input, op)
    geom = _geometry(op, x, kernel_size, stride, padding, dilation, ceil_mode)
    keep = return_indices or (config.grad_enabled and x.requires_grad)
    fn = MaxPool2d(geom, keep)
    y = fn(x)
    if unbatched:
        y = reshape(y, y.shape[1:])
    if not return_indices:
        return y
    idx = fn.flat_indices()
    return y, Tensor(idx[0] if unbatched else idx)


def _avg_scale(geom, ceil_mode, count_include_pad, divisor_override, xp, dtype):
    """1/divisor per output: a number when all windows count the same, else an (OH, OW, 1) array (PyTorch's rule)."""
    if divisor_override is not None:
        if divisor_override == 0:
            raise op_error(ValueError, "avg_pool2d: divisor_override must be non-zero")
        return 1.0 / divisor_override
    counts = []
    for axis in (0, 1):
        size, k, s, p, out = (geom.in_hw[axis], geom.kernel[axis], geom.stride[axis], geom.pads[2 * axis],
                              geom.out_hw[axis])
        start = np.arange(out) * s - p
        end = np.minimum(start + k, size + p)
        full = end - start
        inside = np.minimum(end, size) - np.maximum(start, 0)
        counts.append(full if count_include_pad else inside)
    div = counts[0][:, None] * counts[1][None, :]
    if (div == div.flat[0]).all():
        return 1.0 / float(div.flat[0])
    return xp.asarray((1.0 / div).astype(dtype)[:, :, None])  # (OH, OW, 1): broadcasts over (C, OH, OW, N)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,  # noqa: A002
               divisor_override=None):
    """Mean over kH x kW windows of ``input`` (N, C, H, W), PyTorch's divisor rules included."""
    op = "avg_pool2d"
    x, unbatched = _batched(input, op)
    if x.dtype.kind != "f":
        raise op_error(TypeError, f"{op}: expected a floating point tensor, got {x.dtype}")
    geom = _geometry(op, x, kernel_size, stride, padding, 1, ceil_mode)
    scale = _avg_scale(geom, ceil_mode, count_include_pad, divisor_override, get_array_module(x.data), x.dtype)
    y = _WindowSum(geom, scale)(x)
    return reshape(y, y.shape[1:]) if unbatched else y


def _adaptive_matrix(size, out, dtype):
    """(out, size) averaging matrix of PyTorch's adaptive windows [floor(i*size/out), ceil((i+1)*size/out))."""
    m = np.zeros((out, size), dtype=np.float64)
    for i in range(out):
        start = (i * size) // out
        end = -(-((i + 1) * size) // out)
        m[i, start:end] = 1.0 / (end - start)
    return m.astype(dtype)


def adaptive_avg_pool2d(input, output_size):  # noqa: A002
    """Average pooling to a fixed ``output_size`` (int, pair, None keeps that axis), as PyTorch."""
    op = "adaptive_avg_pool2d"
    x, unbatched = _batched(input, op)
    h, w = x.shape[2:]
    oh, ow = _output_size(op, output_size, (h, w))
    if oh == 1 and ow == 1:
        y = _sum(x, axis=(2, 3), keepdims=True) * (1.0 / (h * w))
    elif h % oh == 0 and w % ow == 0:
        y = avg_pool2d(x, (h // oh, w // ow))
    else:
        xp = get_array_module(x.data)
        ph = as_tensor(xp.asarray(_adaptive_matrix(h, oh, x.dtype)))
        pw = as_tensor(xp.asarray(_adaptive_matrix(w, ow, x.dtype).T))
        y = (ph @ x) @ pw
    return reshape(y, y.shape[1:]) if unbatched else y


def _output_size(op, output_size, hw):
    """PyTorch's output_size: an int, a pair, None in a pair keeps that axis."""
    if isinstance(output_size, (tuple, list)):
        if len(output_size) != 2:
            raise op_error(ValueError, f"{op}: output_size must be an int or a pair, got {output_size!r}")
        oh, ow = output_size
    else:
        oh = ow = output_size
    out = (hw[0] if oh is None else int(oh), hw[1] if ow is None else int(ow))
    if min(out) < 1:
        raise op_error(ValueError, f"{op}: output_size must be positive, got {output_size!r}")
    return out


def _adaptive_bounds(size, out):
    return [((i * size) // out, -(-((i + 1) * size) // out)) for i in range(out)]


def adaptive_max_pool2d(input, output_size, return_indices=False):  # noqa: A002
    """Max over PyTorch's adaptive windows [floor(i*H/OH), ceil((i+1)*H/OH)) (and the same along W).

    The first maximum of each window (NaN counts as one) gets the gradient; ``return_indices``
    also gives its int64 index into each flattened H*W input plane."""
    op = "adaptive_max_pool2d"
    x, unbatched = _batched(input, op)
    n, c, h, w = x.shape
    oh, ow = _output_size(op, output_size, (h, w))
    if h % oh == 0 and w % ow == 0:  # equal windows tiling the input: plain max pooling
        return max_pool2d(input, (h // oh, w // ow), return_indices=return_indices)
    xp = get_array_module(x.data)
    a = x.data
    idx = xp.empty((n, c, oh, ow), dtype=np.int64)
    for i, (h0, h1) in enumerate(_adaptive_bounds(h, oh)):
        for j, (w0, w1) in enumerate(_adaptive_bounds(w, ow)):
            k = a[:, :, h0:h1, w0:w1].reshape(n, c, -1).argmax(axis=-1)
            idx[:, :, i, j] = (h0 + k // (w1 - w0)) * w + w0 + k % (w1 - w0)
    y = reshape(gather(reshape(x, (n, c, h * w)), 2, idx.reshape(n, c, oh * ow)), (n, c, oh, ow))
    if unbatched:
        y, idx = reshape(y, y.shape[1:]), idx[0]
    return (y, Tensor(idx)) if return_indices else y


def _as_2d(op, input):  # noqa: A002
    """(N, C, L) or (C, L) as (..., 1, L)."""
    x = input if isinstance(input, Tensor) else Tensor(input)
    if x.ndim not in (2, 3):
        raise op_error(ValueError, f"{op}: expected input of shape (N, C, L) or (C, L), got {tuple(x.shape)}")
    return reshape(x, x.shape[:-1] + (1, x.shape[-1]))


def _drop_h(y):
    return reshape(y, y.shape[:-2] + (y.shape[-1],))


def adaptive_avg_pool1d(input, output_size):  # noqa: A002
    """Average pooling of (N, C, L) to a fixed length ``output_size`` (PyTorch's adaptive windows)."""
    return _drop_h(adaptive_avg_pool2d(_as_2d("adaptive_avg_pool1d", input), (1, _one(output_size))))


def adaptive_max_pool1d(input, output_size, return_indices=False):  # noqa: A002
    """Max pooling of (N, C, L) to a fixed length ``output_size`` (PyTorch's adaptive windows)."""
    out = adaptive_max_pool2d(_as_2d("adaptive_max_pool1d", input), (1, _one(output_size)), return_indices)
    if return_indices:
        return _drop_h(out[0]), Tensor(out[1].data.reshape(out[1].shape[:-2] + (out[1].shape[-1],)))
    return _drop_h(out)


class _Unpool(Function):
    """Zeros of ``out_shape`` with x written at the flat positions ``pos`` (PyTorch's max_unpool: a
    position taken twice holds one value, not the sum); backward reads gy at those positions."""

    def __init__(self, pos, out_shape):
        self.pos = pos
        self.out_shape = out_shape

    def forward(self, x):
        xp = get_array_module(x)
        out = xp.zeros(int(np.prod(self.out_shape)), dtype=x.dtype)
        out[self.pos.reshape(-1)] = x.reshape(-1)
        self.x_shape = x.shape
        return out.reshape(self.out_shape)

    def backward(self, gy):
        from deepgrad.ops.shape import TakeFlat

        return reshape(TakeFlat(self.pos)(gy), self.x_shape)


def _check_unpool_indices(op, input, idx):  # noqa: A002
    if tuple(idx.shape) != tuple(input.shape) or idx.dtype.kind not in "iu":
        raise op_error(ValueError, f"{op}: indices must be integers of the input's shape {tuple(input.shape)}, "
                                   f"got {idx.dtype} of shape {tuple(idx.shape)}")


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None, *,  # noqa: A002
                 _op="max_unpool2d"):
    """The partial inverse of ``max_pool2d``: each value of ``input`` (N, C, H, W) is put back at its
    ``indices`` (as ``return_indices=True`` gives them) in a zero (N, C, H_out, W_out) output with
    H_out = (H - 1)*stride - 2*padding + kernel_size (or ``output_size``)."""
    op = _op
    x, unbatched = _batched(input, op)
    xp = get_array_module(x.data)
    idx = indices.data if isinstance(indices, Tensor) else xp.asarray(indices)
    _check_unpool_indices(op, input, idx)
    kernel = pair(kernel_size, "kernel_size", op)
    stride = kernel if stride is None else pair(stride, "stride", op)
    pad = pair(padding, "padding", op, allow_zero=True)
    n, c, h, w = x.shape
    default = tuple((s - 1) * st - 2 * p + k for s, st, p, k in zip((h, w), stride, pad, kernel))
    out = default if output_size is None else tuple(int(v) for v in tuple(output_size)[-2:])
    if len(out) != 2 or min(out) < 1:
        raise op_error(ValueError, f"{op}: output_size must end with 2 positive sizes, got {output_size!r}")
    plane = out[0] * out[1]
    idx = idx.reshape(n, c, h * w).astype(np.int64)
    if idx.size and (int(idx.min()) < 0 or int(idx.max()) >= plane):
        raise op_error(ValueError, f"{op}: index {int(idx.max()) if int(idx.max()) >= plane else int(idx.min())} "
                                   f"is out of range for an output plane of size {out} (input {tuple(input.shape)})")
    pos = idx + (xp.arange(n * c, dtype=np.int64) * plane).reshape(n, c, 1)
    y = _Unpool(pos, (n, c) + out)(x)
    return reshape(y, y.shape[1:]) if unbatched else y


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):  # noqa: A002
    """``max_unpool2d`` over a height of 1, for (N, C, L) with indices from ``max_pool1d``."""
    op = "max_unpool1d"
    x = _as_2d(op, input)
    idx = indices.data if isinstance(indices, Tensor) else get_array_module(x.data).asarray(indices)
    _check_unpool_indices(op, input, idx)
    idx = idx.reshape(idx.shape[:-1] + (1, idx.shape[-1]))
    size = None if output_size is None else (1, int(tuple(output_size)[-1]))
    return _drop_h(max_unpool2d(x, idx, (1, _one(kernel_size)), (1, _one(stride if stride is not None else
                                                                             kernel_size)),
                                (0, _one(padding)), size, _op=op))


def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode=False):  # noqa: A002
    """Power-average pooling: (sum over each window of x**p) ** (1/p), as PyTorch computes it."""
    from deepgrad.ops.activation import relu
    from deepgrad.ops.elementwise import abs as abs_
    from deepgrad.ops.elementwise import sign

    kh, kw = pair(kernel_size, "kernel_size", "lp_pool2d")
    x = input if isinstance(input, Tensor) else Tensor(input)
    out = avg_pool2d(x ** norm_type, (kh, kw), stride, 0, ceil_mode)
    return (sign(out) * relu(abs_(out)) * float(kh * kw)) ** (1.0 / norm_type)


def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode=False):  # noqa: A002
    """Power-average pooling over the last axis of (N, C, L)."""
    k = _one(kernel_size)
    s = None if stride is None else (1, _one(stride))
    return _drop_h(lp_pool2d(_as_2d("lp_pool1d", input), norm_type, (1, k), s, ceil_mode))


def global_avg_pool2d(input, keepdim=False):  # noqa: A002
    """Mean over the spatial axes: (N, C, H, W) -> (N, C) (or (N, C, 1, 1) with ``keepdim``); (C, H, W) -> (C,)."""
    x, unbatched = _batched(input, "global_avg_pool2d")
    h, w = x.shape[2:]
    y = _sum(x, axis=(2, 3), keepdims=keepdim) * (1.0 / (h * w))
    return reshape(y, y.shape[1:]) if unbatched else y


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,  # noqa: A002
               return_indices=False):
    """Max pooling over the last axis of (N, C, L): max_pool2d over a height of 1."""
    x = input if isinstance(input, Tensor) else Tensor(input)
    if x.ndim not in (2, 3):
        raise op_error(ValueError, f"max_pool1d: expected input of shape (N, C, L) or (C, L), got {tuple(x.shape)}")
    k, s = _one(kernel_size), _one(stride if stride is not None else kernel_size)
    x4 = reshape(x, x.shape[:-1] + (1, x.shape[-1]))
    out = max_pool2d(x4, (1, k), (1, s), (0, _one(padding)), (1, _one(dilation)), ceil_mode, return_indices)
    if return_indices:
        y, idx = out
        return reshape(y, y.shape[:-2] + (y.shape[-1],)), Tensor(idx.data.reshape(idx.shape[:-2] + (idx.shape[-1],)))
    return reshape(out, out.shape[:-2] + (out.shape[-1],))


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):  # noqa: A002
    """Average pooling over the last axis of (N, C, L)."""
    x = input if isinstance(input, Tensor) else Tensor(input)
    if x.ndim not in (2, 3):
        raise op_error(ValueError, f"avg_pool1d: expected input of shape (N, C, L) or (C, L), got {tuple(x.shape)}")
    k, s = _one(kernel_size), _one(stride if stride is not None else kernel_size)
    x4 = reshape(x, x.shape[:-1] + (1, x.shape[-1]))
    y = avg_pool2d(x4, (1, k), (1, s), (0, _one(padding)), ceil_mode, count_include_pad)
    return reshape(y, y.shape[:-2] + (y.shape[-1],))


def _one(v):
    return v[0] if isinstance(v, (tuple, list)) else v


__all__ = ["max_pool2d", "avg_pool2d", "adaptive_avg_pool2d", "global_avg_pool2d", "max_pool1d", "avg_pool1d",
           "adaptive_max_pool2d", "adaptive_max_pool1d", "adaptive_avg_pool1d", "max_unpool2d", "max_unpool1d",
           "lp_pool2d", "lp_pool1d"]
