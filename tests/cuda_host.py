"""Compile CUDA kernel sources of ``deepgrad.kernels`` for the host (no GPU) and run them thread by
thread: a check of a kernel's arithmetic and indexing in CI.  Only kernels whose threads share
nothing (no ``__shared__``/``__syncthreads``) can run this way; the others are compiled only."""
import ctypes
import subprocess

import pytest

SHIM = r"""
#include <math.h>
struct dim3_ { unsigned int x; };
static dim3_ blockIdx, blockDim, threadIdx;
#define __global__
#define __device__
#define __forceinline__ inline
#define __shared__ static
#define __syncthreads()
static inline unsigned int __umulhi(unsigned int a, unsigned int b) {
    return (unsigned int)(((unsigned long long)a * b) >> 32);
}
// every thread of a one-dimensional grid in turn
#define GRID(n, call) blockDim.x = 256; \
    for (unsigned long long t_ = 0; t_ < ((unsigned long long)(n) + 255) / 256 * 256; ++t_) { \
        blockIdx.x = (unsigned int)(t_ / 256); threadIdx.x = (unsigned int)(t_ % 256); call; }
"""


def build(tmp_path, source, name="kernels"):
    """A ctypes library from ``SHIM + source`` (skips the test when there is no C++ compiler)."""
    from tests.cupy_emulator_kernels import compiler

    cxx = compiler()
    if cxx is None:
        pytest.skip("needs a C++ compiler")
    src, lib = tmp_path / f"{name}.cpp", tmp_path / f"{name}.so"
    src.write_text(SHIM + source)
    subprocess.run([cxx, "-O1", "-shared", "-fPIC", "-Wall", "-Werror", "-Wno-unused-function", "-o", str(lib),
                    str(src)], check=True, capture_output=True, text=True)
    return ctypes.CDLL(str(lib))


def ptr(a):
    return a.ctypes.data_as(ctypes.c_void_p)
