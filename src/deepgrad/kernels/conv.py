"""im2col and col2im as one CUDA kernel each, in the layout of ``deepgrad.ops.im2col``.

``im2col(x, kernel, stride, pads, dilation, out_hw)`` reads ``x`` (N, C, H, W) through its
strides (NCHW memory, or the (C, H, W, N) memory the conv and pool ops hand each other) and
writes the contiguous (C*KH*KW, OH*OW*N) column matrix, zero where a window reaches into the
padding: one launch instead of a padded copy plus a strided copy.

``col2im(col, x_shape, kernel, stride, pads, dilation, out_hw)`` is its adjoint.  Each thread
owns one input pixel and gathers the column entries that came from it (at most KH*KW), so no
atomics and no zero-filled buffer are needed: one launch instead of a zero fill plus KH*KW
strided adds.  The result is the NCHW view of (C, H, W, N) memory, as the CPU code returns.

``pads`` is (top, bottom, left, right) as in ``deepgrad.ops.im2col``.

``conv2d_forward``, ``conv_transpose2d_forward`` and ``conv2d_weight_grad_forward`` are the GPU
bodies of the three Functions of ``deepgrad.ops.conv`` (they read the Function's geometry:
``stride``, ``pads``, ``dilation``, ``groups``, ``out_hw``, ``kernel``, ``keep_columns``): one
im2col or col2im launch and one batched matmul each.  The CPU code builds columns in blocks of
rows so that a block stays in cache; on the GPU one block is best (fewer launches).
"""
from __future__ import annotations

import numpy as np

from deepgrad.backend import cupy_module
from deepgrad.kernels._compile import blocks, raw

# RawKernels (a few microseconds of host time per launch; an ElementwiseKernel costs tens): the
# input is read through its strides, passed as arguments in elements.
_RAW_GEOM = ("int N, int H, int W, int KH, int KW, int OH, int OW, int SH, int SW, int DH, int DW, int PT, "
             "int PL")
_RAW = f"""
extern "C" __global__ void deepgrad_im2col_raw(const T* x, long long s0, long long s1, long long s2, long long s3,
                                               T* col, long long total, {_RAW_GEOM}) {{
    const long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= total) return;
    long long r = i;
    const int n = r % N; r /= N;
    const int ow = r % OW; r /= OW;
    const int oh = r % OH; r /= OH;
    const int kj = r % KW; r /= KW;
    const int ki = r % KH;
    const int c = r / KH;
    const int hh = oh * SH - PT + ki * DH;
    const int ww = ow * SW - PL + kj * DW;
    col[i] = (hh >= 0 && hh < H && ww >= 0 && ww < W) ? x[n * s0 + c * s1 + hh * s2 + ww * s3] : (T)0;
}}

extern "C" __global__ void deepgrad_col2im_raw(const T* col, T* img, long long total, {_RAW_GEOM}) {{
    const long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= total) return;
    long long r = i;
    const int n = r % N; r /= N;
    const int w = r % W; r /= W;
    const int h = r % H;
    const int c = r / H;
    const long long plane = (long long)OH * OW * N;
    T acc = (T)0;
    for (int ki = 0; ki < KH; ++ki) {{
        const int hh = h + PT - ki * DH;
        if (hh < 0 || hh % SH != 0) continue;
        const int oh = hh / SH;
        if (oh >= OH) continue;
        for (int kj = 0; kj < KW; ++kj) {{
            const int ww = w + PL - kj * DW;
            if (ww < 0 || ww % SW != 0) continue;
            const int ow = ww / SW;
            if (ow >= OW) continue;
            acc += col[((long long)(c * KH + ki) * KW + kj) * plane + ((long long)oh * OW + ow) * N + n];
        }}
    }}
    img[i] = acc;
}}
"""
_RAW_TYPES = {"float32": "float", "float64": "double"}


def _raw_geom(*args):
    return tuple(np.int32(a) for a in args)


def supported(a):
    """True for the float32/float64 arrays these kernels take (the ops use the array code otherwise)."""
    return str(a.dtype) in _RAW_TYPES


def _elem_strides(a):
    """``a`` (a contiguous copy when its strides are not whole elements) and its strides in elements."""
    item = a.dtype.itemsize
    if any(s % item or s < 0 for s in a.strides):
        a = cupy_module().ascontiguousarray(a)
    return a, tuple(np.int64(s // item) for s in a.strides)


def _geom_args(n, h, w, kernel, stride, pads, dilation, out_hw):
    return (n, h, w, kernel[0], kernel[1], out_hw[0], out_hw[1], stride[0], stride[1],
            dilation[0], dilation[1], pads[0], pads[2])


def im2col(x, kernel, stride, pads, dilation, out_hw):
    """Columns (C*KH*KW, OH*OW*N) of the CuPy array ``x`` (N, C, H, W), in one kernel launch."""
    cp = cupy_module()
    n, c, h, w = x.shape
    col = cp.empty((c * kernel[0] * kernel[1], out_hw[0] * out_hw[1] * n), dtype=x.dtype)
    if col.size:
        x, strides = _elem_strides(x)
        geom = _geom_args(n, h, w, kernel, stride, pads, dilation, out_hw)
        raw("deepgrad_im2col_raw", _RAW, {"T": _RAW_TYPES[str(x.dtype)]})(
            blocks(col.size), (256,), (x, *strides, col, np.int64(col.size), *_raw_geom(*geom)))
    return col


def col2im(col, x_shape, kernel, stride, pads, dilation, out_hw):
    """Adjoint of ``im2col``: (C*KH*KW, OH*OW*N) columns summed back onto an (N, C, H, W) image,
    returned as the NCHW view of (C, H, W, N) memory; one kernel launch."""
    cp = cupy_module()
    n, c, h, w = x_shape
    img = cp.empty((c, h, w, n), dtype=col.dtype)
    if img.size:
        flat = (col if col.flags.c_contiguous else cp.ascontiguousarray(col)).reshape(-1)
        geom = _geom_args(n, h, w, kernel, stride, pads, dilation, out_hw)
        raw("deepgrad_col2im_raw", _RAW, {"T": _RAW_TYPES[str(col.dtype)]})(
            blocks(img.size), (256,), (flat, img, np.int64(img.size), *_raw_geom(*geom)))
    return img.transpose(3, 0, 1, 2)


def _out_size(size, kernel, stride, pad_total, dilation):
    return (size + pad_total - dilation * (kernel - 1) - 1) // stride + 1


def conv2d_forward(fn, x, w, b=None):
    """``Conv2d.forward`` on CuPy arrays: im2col kernel, one (grouped) matmul, bias; keeps the
    columns on ``fn.col`` when ``fn.keep_columns``.  Returns the NCHW view of (OC, OH, OW, N) memory."""
    cp = cupy_module()
    n, _, h, wd = x.shape
    oc, cg, kh, kw = w.shape
    g = fn.groups
    if fn.out_hw is None:
        fn.out_hw = (_out_size(h, kh, fn.stride[0], fn.pads[0] + fn.pads[1], fn.dilation[0]),
                     _out_size(wd, kw, fn.stride[1], fn.pads[2] + fn.pads[3], fn.dilation[1]))
    oh, ow = fn.out_hw
    col = im2col(x, (kh, kw), fn.stride, fn.pads, fn.dilation, fn.out_hw)
    if g == 1:
        y = w.reshape(oc, -1) @ col
    else:
        y = cp.matmul(w.reshape(g, oc // g, -1), col.reshape(g, cg * kh * kw, -1)).reshape(oc, -1)
    if b is not None:
        y += b.reshape(oc, 1)
    if fn.keep_columns:
        fn.col = col
    return y.reshape(oc, oh, ow, n).transpose(3, 0, 1, 2)


def conv_transpose2d_forward(fn, x, w, b=None):
    """``ConvTranspose2d.forward`` on CuPy arrays: one (grouped) matmul W^T x, then the col2im kernel."""
    cp = cupy_module()
    n, cin, h, wd = x.shape
    _, cog, kh, kw = w.shape
    g = fn.groups
    cout = g * cog
    xm = cp.ascontiguousarray(x.transpose(1, 2, 3, 0)).reshape(g, cin // g, -1)  # free from (C, H, W, N) memory
    wt = w.reshape(g, cin // g, cog * kh * kw).transpose(0, 2, 1)
    col = wt[0] @ xm[0] if g == 1 else cp.matmul(wt, xm).reshape(cout * kh * kw, -1)
    y = col2im(col, (n, cout) + tuple(fn.out_hw), (kh, kw), fn.stride, fn.pads, fn.dilation, (h, wd))
    if b is not None:
        y += b.reshape(1, -1, 1, 1)
    return y


def conv2d_weight_grad_forward(fn, x, gy):
    """``Conv2dWeightGrad.forward`` on CuPy arrays: the forward's columns (or the im2col kernel)
    times the output gradient, one (grouped) matmul."""
    cp = cupy_module()
    g = fn.groups
    c, oc = x.shape[1], gy.shape[1]
    kh, kw = fn.kernel
    k = (c // g) * kh * kw
    col = getattr(fn, "col", None)
    fn.col = fn.src = None  # used once; do not keep them alive with the graph
    if col is None:
        col = im2col(x, fn.kernel, fn.stride, fn.pads, fn.dilation, gy.shape[2:])
    gm = cp.ascontiguousarray(gy.transpose(1, 2, 3, 0)).reshape(g, oc // g, -1)
    gw = gm[0] @ col.T if g == 1 else cp.matmul(gm, col.reshape(g, k, -1).transpose(0, 2, 1))
    return gw.reshape(oc, c // g, kh, kw)
