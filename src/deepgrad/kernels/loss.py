"""Fused softmax + cross entropy over rows (M, C) with integer labels.

Forward is one kernel launch: for a batch of up to 8192 rows one thread block does it all
(per row: max, exp, sum, the normalised probabilities kept for backward, ``log(sum) - z_label``
as the row's loss; then the block's sum or mean over the counted rows), a RawKernel so that
the launch costs little Python.  Larger batches take an elementwise kernel over rows plus a
scaled-sum reduction.  The same kernel checks every label (out of range, or equal to
``ignore_index``) and counts the rows that count, on the device: nothing is read back, so the
host never waits for the GPU.  An out-of-range label is recorded in a per-device error buffer
and raised, with the CPU path's message, when data next comes back to the host (``item()``,
``numpy()``, ``deepgrad.cuda.synchronize()``...; PyTorch reports it as a device-side assert at
a synchronization).  Backward is one kernel: ``(p - onehot(y)) * gy * scale``, zero on ignored
rows, with the mean's ``1 / count`` read on the device.  Compared with the array code this
replaces about 20 launches and 3 host round trips per step with 2 launches and none.
"""
from __future__ import annotations

import numpy as np

from deepgrad.backend import cupy_module, defer_gpu_check
from deepgrad.errors import op_error
from deepgrad.kernels._compile import blocks, ctype, elementwise, raw, reduction

_scaled_sum_ok = True
_ONE_BLOCK_ROWS = 8192  # up to here one thread block does the whole forward

_MATH = """
__device__ __forceinline__ float dg_exp(float v) { return expf(v); }
__device__ __forceinline__ double dg_exp(double v) { return exp(v); }
__device__ __forceinline__ float dg_log(float v) { return logf(v); }
__device__ __forceinline__ double dg_log(double v) { return log(v); }
"""

_RAW_FORWARD = _MATH + """
extern "C" __global__ void deepgrad_ce_forward(const T* x, const L* t, T* prob, T* loss, T* total, int* flag,
                                               long long* err, int M, int C, long long ignore, int mode) {
    __shared__ T ssum[256];
    __shared__ int scnt[256];
    __shared__ int sbad;
    __shared__ long long slab;
    const int tid = threadIdx.x;
    if (tid == 0) { sbad = 0; slab = 0; }
    __syncthreads();
    T acc = (T)0;
    int cnt = 0;
    for (int i = tid; i < M; i += blockDim.x) {
        const long long base = (long long)i * C;
        const long long lab = (long long)t[i];
        T m = x[base];
        for (int c = 1; c < C; ++c) { const T v = x[base + c]; if (v > m) m = v; }
        T s = (T)0;
        for (int c = 0; c < C; ++c) { const T e = dg_exp(x[base + c] - m); prob[base + c] = e; s += e; }
        const T inv = (T)1 / s;
        for (int c = 0; c < C; ++c) prob[base + c] *= inv;
        T l = (T)0;
        if (lab == ignore) {
        } else if (lab < 0 || lab >= C) {
            sbad = 1;
            slab = lab;
        } else {
            l = dg_log(s) - (x[base + lab] - m);
            ++cnt;
        }
        if (mode == 0) loss[i] = l;  // the row losses are the result only for reduction 'none'
        acc += l;
    }
    ssum[tid] = acc;
    scnt[tid] = cnt;
    __syncthreads();
    for (int h = blockDim.x / 2; h > 0; h >>= 1) {
        if (tid < h) { ssum[tid] += ssum[tid + h]; scnt[tid] += scnt[tid + h]; }
        __syncthreads();
    }
    if (tid == 0) {
        flag[0] = sbad;
        flag[1] = scnt[0];
        flag[2] = (int)slab;
        if (sbad) { err[0] = 1; err[1] = slab; err[2] = C; err[3] = ignore; }
        total[0] = mode == 2 ? ssum[0] / (T)scnt[0] : ssum[0];
    }
}
"""

_RAW_BACKWARD = """
extern "C" __global__ void deepgrad_ce_backward(const T* prob, const L* t, const T* gy, T* g, long long n, int C,
                                                long long ignore, const int* flag, int mean, int per_row) {
    const long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n) return;
    const long long row = i / C;
    const long long lab = (long long)t[row];
    if (lab == ignore) { g[i] = (T)0; return; }
    const T sc = gy[per_row ? row : 0] * (mean ? (T)1 / (T)flag[1] : (T)1);  // flag[1]: rows counted
    g[i] = (prob[i] - ((i - row * C) == lab ? (T)1 : (T)0)) * sc;
}
"""

_FORWARD = """
const ptrdiff_t base = (ptrdiff_t)i * C;
const long long lab = (long long)t[i];
T m = x[base];
for (int c = 1; c < C; ++c) { const T v = x[base + c]; if (v > m) m = v; }
T s = (T)0;
for (int c = 0; c < C; ++c) { const T e = exp(x[base + c] - m); prob[base + c] = e; s += e; }
const T inv = (T)1 / s;
for (int c = 0; c < C; ++c) prob[base + c] *= inv;
if (lab == ignore) {
    loss = (T)0;
} else if (lab < 0 || lab >= C) {
    loss = (T)0;
    flag[2] = (int)lab;
    atomicExch(&flag[0], 1);
    err[1] = lab; err[2] = C; err[3] = ignore;
    err[0] = 1;
} else {
    loss = log(s) - (x[base + lab] - m);
    atomicAdd(&flag[1], 1);
}
"""

_BACKWARD = """
const ptrdiff_t row = i / C;
const long long lab = (long long)t[row];
if (lab == ignore) {
    g = (T)0;
} else {
    const T sc = gy[per_row ? row : 0] * (mean ? (T)1 / (T)flag[1] : (T)1);
    g = (prob - ((long long)(i % C) == lab ? (T)1 : (T)0)) * sc;
}
"""


_errors = {}  # device id -> int64[4] on that device: [bad label seen, the label, classes, ignore_index]


def _error_buffer(cp, x):
    buf = _errors.get(x.device.id)
    if buf is None:
        with cp.cuda.Device(x.device.id):
            buf = _errors[x.device.id] = cp.zeros(4, dtype=cp.int64)
    return buf


def check_labels():
    """Raise the CPU path's error if a fused cross entropy saw an out-of-range label (reads the
    small error buffers back: the host waits for the GPU here)."""
    for buf in _errors.values():
        bad, label, classes, ignore = (int(v) for v in buf.get())
        if bad:
            buf.fill(0)
            raise op_error(ValueError, f"cross_entropy: target label {label} is out of range for {classes} classes "
                                       f"(expected 0 <= label < {classes} or ignore_index={ignore}); found by the "
                                       "GPU kernel and reported at the next synchronization")


def softmax_cross_entropy(x, t, ignore_index, reduction):
    """Cross entropy of logits ``x`` (M, C) against labels ``t`` (M,), both CuPy arrays.

    Returns ``(out, prob, flag)``: ``out`` the row losses (reduction 'none', ignored rows 0) or
    their sum or mean as a 0-d array, ``prob`` the softmax (kept for backward), ``flag`` an int32
    device array whose ``[1]`` is the number of rows that count (the backward's mean scale).
    Labels out of range are reported by ``check_labels`` at the next synchronization."""
    cp = cupy_module()
    if not x.flags.c_contiguous:  # (each CuPy call costs host time: none when there is nothing to do)
        x = cp.ascontiguousarray(x)
    if not t.flags.c_contiguous:
        t = cp.ascontiguousarray(t)
    m, c = x.shape
    tt, lt = ctype(x.dtype), ctype(t.dtype)
    prob = cp.empty_like(x)
    err = _error_buffer(cp, x)
    defer_gpu_check("cross_entropy labels", check_labels)
    if m <= _ONE_BLOCK_ROWS and tt in ("float", "double") and lt is not None and lt != "bool":
        total = cp.empty((), dtype=x.dtype)
        loss = cp.empty(m, dtype=x.dtype) if reduction == "none" else total  # not written unless 'none'
        flag = cp.empty(3, dtype=cp.int32)
        mode = {"none": 0, "sum": 1, "mean": 2}[reduction]
        k = raw("deepgrad_ce_forward", _RAW_FORWARD, {"T": tt, "L": lt})
        k((1,), (256,), (x, t, prob, loss, total, flag, err, np.int32(m), np.int32(c), np.int64(ignore_index),
                         np.int32(mode)))
        return (loss if mode == 0 else total), prob, flag
    loss = cp.empty(m, dtype=x.dtype)
    flag = cp.zeros(3, dtype=cp.int32)
    k = elementwise("deepgrad_softmax_ce", "raw T x, raw L t, int32 C, int64 ignore",
                    "T loss, raw T prob, raw int32 flag, raw int64 err", _FORWARD)
    k(x, t, c, int(ignore_index), loss, prob, flag, err)
    if reduction == "none":
        out = loss
    elif reduction == "sum":
        out = scaled_sum(loss, 1.0)
    else:  # the count stays on the device: 0 counted rows give nan, as on the CPU
        out = scaled_sum(loss, 1.0) / flag[1].astype(x.dtype)
    return out, prob, flag


def scaled_sum(a, scale):
    """``a.sum() * scale`` as a 0-d array of ``a``'s dtype, in one reduction kernel."""
    global _scaled_sum_ok
    if _scaled_sum_ok:
        try:
            return reduction("deepgrad_scaled_sum", "T x, T scale", "T y", "x", "a + b", "y = a * scale", "0")(a, scale)
        except TypeError:  # a CuPy whose ReductionKernel takes no scalar arguments: two launches instead
            _scaled_sum_ok = False
    return a.sum() * scale


def softmax_cross_entropy_backward(prob, t, gy, flag, mean, ignore_index):
    """Gradient wrt the logits: ``(prob - onehot(t)) * gy``, divided by the count of rows that
    count (``flag[1]``, on the device) for a mean, zero on ignored rows.

    ``gy`` is the loss gradient: one value (mean/sum) or one per row (reduction 'none')."""
    cp = cupy_module()
    m, c = prob.shape
    gflat = gy  # one value, or one per row: the kernels index it flat
    if gy.dtype != prob.dtype:
        gflat = gflat.astype(prob.dtype)
    if not gflat.flags.c_contiguous:
        gflat = cp.ascontiguousarray(gflat)
    g = cp.empty_like(prob)
    tt, lt = ctype(prob.dtype), ctype(t.dtype)
    per_row = int(gflat.size != 1)
    if tt in ("float", "double") and lt is not None and lt != "bool" and t.flags.c_contiguous:
        n = m * c
        k = raw("deepgrad_ce_backward", _RAW_BACKWARD, {"T": tt, "L": lt})
        k(blocks(n), (256,), (prob, t, gflat, g, np.int64(n), np.int32(c), np.int64(ignore_index), flag,
                              np.int32(bool(mean)), np.int32(per_row)))
        return g
    k = elementwise("deepgrad_softmax_ce_backward",
                    "T prob, raw L t, raw T gy, int32 C, int64 ignore, raw int32 flag, int32 mean, int32 per_row",
                    "T g", _BACKWARD)
    k(prob, t, gflat.reshape(-1), c, int(ignore_index), flag, int(bool(mean)), per_row, g)
    return g
