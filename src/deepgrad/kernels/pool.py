"""Max pooling forward and backward as one CUDA kernel each, in the layout of ``deepgrad.ops.pool``.

``max_pool2d_forward(x, kernel, stride, pads, dilation, out_hw)`` returns ``(y, idx)``: ``y`` the
NCHW view of (C, OH, OW, N) memory and ``idx`` the (C, OH, OW, N) kernel position (``ki * KW +
kj``) of each window's first maximum, uint8 when the window has fewer than 256 cells, else
int32, exactly what ``MaxPool2d`` keeps on the CPU.  As in PyTorch, padding cells never win and
a NaN is a maximum (a later NaN replaces an earlier one).

``max_pool2d_backward(gy, idx, kernel, stride, pads, dilation, in_hw)`` sends each output's
gradient to its kept input cell.  Each thread owns one input cell and gathers from the (at most
KH*KW) windows that contain it, so overlapping windows need no atomics; the result is the NCHW
view of (C, H, W, N) memory.
"""
from __future__ import annotations

import numpy as np

from deepgrad.backend import cupy_module
from deepgrad.kernels._compile import blocks, raw
from deepgrad.kernels.conv import _RAW_GEOM, _RAW_TYPES, _elem_strides, _geom_args, _raw_geom

_RAW = f"""
extern "C" __global__ void deepgrad_max_pool2d_raw(const T* x, long long s0, long long s1, long long s2,
                                                   long long s3, T* y, I* idx, long long total, {_RAW_GEOM}) {{
    const long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= total) return;
    long long r = i;
    const int n = r % N; r /= N;
    const int ow = r % OW; r /= OW;
    const int oh = r % OH;
    const int c = r / OH;
    T best = (T)0;
    int bi = -1;
    for (int ki = 0; ki < KH; ++ki) {{
        const int hh = oh * SH - PT + ki * DH;
        if (hh < 0 || hh >= H) continue;
        for (int kj = 0; kj < KW; ++kj) {{
            const int ww = ow * SW - PL + kj * DW;
            if (ww < 0 || ww >= W) continue;
            const T v = x[n * s0 + c * s1 + hh * s2 + ww * s3];
            if (bi < 0 || v > best || v != v) {{ best = v; bi = ki * KW + kj; }}
        }}
    }}
    y[i] = best;
    idx[i] = (I)(bi < 0 ? 0 : bi);
}}

extern "C" __global__ void deepgrad_max_pool2d_backward_raw(const T* gy, long long s0, long long s1, long long s2,
                                                            long long s3, const I* idx, T* gx, long long total,
                                                            {_RAW_GEOM}) {{
    const long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= total) return;
    long long r = i;
    const int n = r % N; r /= N;
    const int w = r % W; r /= W;
    const int h = r % H;
    const int c = r / H;
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
            if ((int)idx[(((long long)c * OH + oh) * OW + ow) * N + n] == ki * KW + kj)
                acc += gy[n * s0 + c * s1 + oh * s2 + ow * s3];
        }}
    }}
    gx[i] = acc;
}}
"""
_RAW_INDEX = {"uint8": "unsigned char", "int32": "int"}


def max_pool2d_forward(x, kernel, stride, pads, dilation, out_hw):
    """(y, idx) of max pooling the CuPy array ``x`` (N, C, H, W) of floats; one kernel launch."""
    cp = cupy_module()
    n, c, h, w = x.shape
    k = kernel[0] * kernel[1]
    y = cp.empty((c, out_hw[0], out_hw[1], n), dtype=x.dtype)
    idx = cp.empty(y.shape, dtype=np.uint8 if k < 256 else np.int32)
    if y.size:
        x, strides = _elem_strides(x)
        geom = _geom_args(n, h, w, kernel, stride, pads, dilation, out_hw)
        raw("deepgrad_max_pool2d_raw", _RAW, {"T": _RAW_TYPES[str(x.dtype)], "I": _RAW_INDEX[str(idx.dtype)]})(
            blocks(y.size), (256,), (x, *strides, y, idx, np.int64(y.size), *_raw_geom(*geom)))
    return y.transpose(3, 0, 1, 2), idx


def max_pool2d_backward(gy, idx, kernel, stride, pads, dilation, in_hw):
    """Gradient of max pooling: ``gy`` (N, C, OH, OW) routed through ``idx`` (C, OH, OW, N) onto
    an (N, C, H, W) input (the NCHW view of (C, H, W, N) memory); one kernel launch."""
    cp = cupy_module()
    n, c, oh, ow = gy.shape
    h, w = in_hw
    gx = cp.empty((c, h, w, n), dtype=gy.dtype)
    if gx.size:
        flat = (idx if idx.flags.c_contiguous else cp.ascontiguousarray(idx)).reshape(-1)
        gy, strides = _elem_strides(gy)
        geom = _geom_args(n, h, w, kernel, stride, pads, dilation, (oh, ow))
        raw("deepgrad_max_pool2d_backward_raw", _RAW, {"T": _RAW_TYPES[str(gy.dtype)],
                                                      "I": _RAW_INDEX[str(flat.dtype)]})(
            blocks(gx.size), (256,), (gy, *strides, flat, gx, np.int64(gx.size), *_raw_geom(*geom)))
    return gx.transpose(3, 0, 1, 2)
