"""Sigmoid forward/backward and ReLU backward as one kernel launch each.

The array code launches four kernels for ``1 / (1 + exp(-x))`` and three for each backward
(``gy * (y * (1 - y))``, ``gy * (x > 0)``), each behind a Python-level op; these do it in one.
C-contiguous float32/float64 arrays take a RawKernel (a few microseconds of host time per
launch); anything else (strided views, other dtypes) an ElementwiseKernel with the same body
(tens of microseconds: CuPy's argument handling).
"""
from __future__ import annotations

import numpy as np

from deepgrad.backend import cupy_module
from deepgrad.kernels._compile import blocks, elementwise, raw

_RAW = """
__device__ __forceinline__ float dg_exp(float v) { return expf(v); }
__device__ __forceinline__ double dg_exp(double v) { return exp(v); }

extern "C" __global__ void deepgrad_sigmoid_raw(const T* x, T* y, long long n) {
    const long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) y[i] = (T)1 / ((T)1 + dg_exp(-x[i]));
}

extern "C" __global__ void deepgrad_sigmoid_backward_raw(const T* y, const T* gy, T* gx, long long n) {
    const long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) gx[i] = gy[i] * (y[i] * ((T)1 - y[i]));
}

extern "C" __global__ void deepgrad_relu_backward_raw(const T* x, const T* gy, T* gx, long long n) {
    const long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) gx[i] = x[i] > (T)0 ? gy[i] : (T)0;
}
"""
_TYPES = {"float32": "float", "float64": "double"}


def _flat(*arrays):
    """The C type when every array is C-contiguous, of one float dtype and one shape, else None."""
    a = arrays[0]
    t = _TYPES.get(str(a.dtype))
    if t is None or not a.size:
        return None
    for b in arrays:
        if b.dtype != a.dtype or b.shape != a.shape or not b.flags.c_contiguous:
            return None
    return t


def _launch(name, t, *arrays):
    cp = cupy_module()
    out = cp.empty_like(arrays[0])
    n = out.size
    raw(name, _RAW, {"T": t})(blocks(n), (256,), (*arrays, out, np.int64(n)))
    return out


def sigmoid_forward(x):
    """``1 / (1 + exp(-x))`` of a floating CuPy array (exp overflowing to inf gives exactly 0)."""
    t = _flat(x)
    if t is not None:
        return _launch("deepgrad_sigmoid_raw", t, x)
    return elementwise("deepgrad_sigmoid", "T x", "T y", "y = (T)1 / ((T)1 + exp(-x))")(x)


def sigmoid_backward(y, gy):
    """``gy * (y * (1 - y))`` from the sigmoid's output ``y``."""
    t = _flat(y, gy)
    if t is not None:
        return _launch("deepgrad_sigmoid_backward_raw", t, y, gy)
    return elementwise("deepgrad_sigmoid_backward", "T y, T gy", "T gx", "gx = gy * (y * ((T)1 - y))")(y, gy)


def relu_backward(x, gy):
    """``gy`` where ``x > 0``, else 0 (the gradient at 0 is 0, as in PyTorch)."""
    t = _flat(x, gy)
    if t is not None:
        return _launch("deepgrad_relu_backward_raw", t, x, gy)
    return elementwise("deepgrad_relu_backward", "T x, T gy", "T gx", "gx = x > (T)0 ? gy : (T)0")(x, gy)
