"""Philox4x32-10 words in one CUDA launch (the array code in ``deepgrad.philox`` takes ~70).

Thread ``t`` computes block ``counter + t`` and writes its four words; the GPU tests check the
words against ``deepgrad.philox.philox_blocks`` bit for bit (and that against the published
known-answer vectors).
"""
from __future__ import annotations

import numpy as np

from deepgrad.kernels._compile import blocks, raw

_CODE = r"""
__device__ __forceinline__ void philox_block(unsigned long long c, unsigned int k0, unsigned int k1,
                                             unsigned int w[4]) {
    unsigned int c0 = (unsigned int)c, c1 = (unsigned int)(c >> 32), c2 = 0u, c3 = 0u;
    for (int r = 0; r < 10; ++r) {
        unsigned int hi0 = __umulhi(0xD2511F53u, c0), lo0 = 0xD2511F53u * c0;
        unsigned int hi1 = __umulhi(0xCD9E8D57u, c2), lo1 = 0xCD9E8D57u * c2;
        c0 = hi1 ^ c1 ^ k0; c1 = lo1; c2 = hi0 ^ c3 ^ k1; c3 = lo0;
        k0 += 0x9E3779B9u; k1 += 0xBB67AE85u;
    }
    w[0] = c0; w[1] = c1; w[2] = c2; w[3] = c3;
}

extern "C" __global__ void deepgrad_philox(unsigned long long counter, unsigned long long n,
                                           unsigned int k0, unsigned int k1, unsigned int* out) {
    unsigned long long t = (unsigned long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (t >= n) return;
    unsigned int w[4];
    philox_block(counter + t, k0, k1, w);
    for (int j = 0; j < 4; ++j) out[4 * t + j] = w[j];
}

// uniform float32 on [0, 1): the top 24 bits of each word times 2**-24 (exact, as the array code)
extern "C" __global__ void deepgrad_philox_uniform32(unsigned long long counter, unsigned long long n,
                                                     unsigned int k0, unsigned int k1, float* out,
                                                     unsigned long long count) {
    unsigned long long t = (unsigned long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (t >= n) return;
    unsigned int w[4];
    philox_block(counter + t, k0, k1, w);
    for (int j = 0; j < 4; ++j) {
        if (4 * t + j < count) out[4 * t + j] = (float)(w[j] >> 8) * 5.9604644775390625e-08f;
    }
}
"""


def _launch(name, n, counter, key, *tail):
    raw(name, _CODE, {})(blocks(n), (256,), (np.uint64(counter), np.uint64(n), np.uint32(key & 0xFFFFFFFF),
                                              np.uint32((key >> 32) & 0xFFFFFFFF), *tail))


def philox_words(cp, counter, n, key):
    """The 4 * ``n`` words of blocks ``counter .. counter + n - 1`` as a flat uint32 CuPy array."""
    out = cp.empty(4 * n, dtype=np.uint32)
    if n:
        _launch("deepgrad_philox", n, counter, key, out)
    return out


def philox_uniform32(cp, counter, count, key):
    """``count`` float32 uniforms from the blocks starting at ``counter`` (ceil(count / 4) blocks)."""
    out = cp.empty(count, dtype=np.float32)
    n = -(-count // 4)
    if n:
        _launch("deepgrad_philox_uniform32", n, counter, key, out, np.uint64(count))
    return out
