"""Philox4x32-10 words in one CUDA launch (the array code in ``deepgrad.philox`` takes ~70).

Thread ``t`` computes block ``counter + t`` and writes its four words; the GPU tests check the
words against ``deepgrad.philox.philox_blocks`` bit for bit (and that against the published
known-answer vectors).
"""
from __future__ import annotations

import numpy as np

from deepgrad.kernels._compile import blocks, raw

_CODE = r"""
extern "C" __global__ void deepgrad_philox(unsigned long long counter, unsigned long long n,
                                           unsigned int k0, unsigned int k1, unsigned int* out) {
    unsigned long long t = (unsigned long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (t >= n) return;
    unsigned long long c = counter + t;
    unsigned int c0 = (unsigned int)c, c1 = (unsigned int)(c >> 32), c2 = 0u, c3 = 0u;
    for (int r = 0; r < 10; ++r) {
        unsigned int hi0 = __umulhi(0xD2511F53u, c0), lo0 = 0xD2511F53u * c0;
        unsigned int hi1 = __umulhi(0xCD9E8D57u, c2), lo1 = 0xCD9E8D57u * c2;
        c0 = hi1 ^ c1 ^ k0; c1 = lo1; c2 = hi0 ^ c3 ^ k1; c3 = lo0;
        k0 += 0x9E3779B9u; k1 += 0xBB67AE85u;
    }
    out[4 * t] = c0; out[4 * t + 1] = c1; out[4 * t + 2] = c2; out[4 * t + 3] = c3;
}
"""


def philox_words(cp, counter, n, key):
    """The 4 * ``n`` words of blocks ``counter .. counter + n - 1`` as a flat uint32 CuPy array."""
    out = cp.empty(4 * n, dtype=np.uint32)
    if n:
        raw("deepgrad_philox", _CODE, {})(blocks(n), (256,), (
            np.uint64(counter), np.uint64(n), np.uint32(key & 0xFFFFFFFF), np.uint32((key >> 32) & 0xFFFFFFFF), out))
    return out
