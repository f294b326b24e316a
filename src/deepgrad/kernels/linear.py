"""The bias gradient of a linear layer (column sums of the output gradient) as one cheap launch;
``deepgrad.ops.linear.Linear``'s plain backward calls it for CuPy arrays.

CuPy's ``a.sum(axis=0)`` goes through the general reduction machinery, tens of microseconds of
Python per call; for the (batch, features) gradients of an MLP one thread per column summing
down the rows (coalesced across threads, accumulated in double) is one RawKernel launch.
"""
from __future__ import annotations

import numpy as np

from deepgrad.backend import cupy_module
from deepgrad.kernels._compile import blocks, raw

_SUM_ROWS = """
extern "C" __global__ void deepgrad_sum_rows(const T* a, T* out, long long rows, long long cols) {
    const long long j = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (j >= cols) return;
    double acc = 0.0;
    for (long long r = 0; r < rows; ++r) acc += (double)a[r * cols + j];
    out[j] = (T)acc;
}
"""
_TYPES = {"float32": "float", "float64": "double"}


def sum_rows(a):
    """``a.sum(axis=0)`` of a 2-D CuPy array; one RawKernel launch when ``a`` is a C-contiguous
    float32/float64 matrix with enough columns to keep threads busy, else CuPy's reduction."""
    rows, cols = a.shape
    if str(a.dtype) not in _TYPES or not a.flags.c_contiguous or not a.size or (rows > 4096 and cols < 256):
        return a.sum(axis=0)
    out = cupy_module().empty(cols, dtype=a.dtype)
    k = raw("deepgrad_sum_rows", _SUM_ROWS, {"T": _TYPES[str(a.dtype)]})
    k(blocks(cols), (256,), (a, out, np.int64(rows), np.int64(cols)))
    return out
