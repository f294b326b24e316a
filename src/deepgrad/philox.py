"""Philox4x32-10, the counter-based generator deepgrad draws GPU random numbers from.

Its whole state is two integers, the key (the seed) and the counter (how many 4-word blocks were
used), so a checkpoint holds it exactly and a resumed GPU run draws the same Dropout masks as an
uninterrupted one, as PyTorch's CUDA generator (also Philox) does.  Block ``n`` is Philox4x32-10
of the counter ``(n mod 2**32, n >> 32, 0, 0)`` under the key ``(seed mod 2**32, seed >> 32)``
(Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC 2011).

The same words come from plain array code (NumPy, or CuPy with the kernels off) and from one
CUDA kernel (``deepgrad.kernels.philox``); the GPU tests compare them bit for bit.  CPU code keeps
NumPy's generator (``deepgrad.random``).
"""
from __future__ import annotations

import numpy as np

M0, M1 = 0xD2511F53, 0xCD9E8D57  # round multipliers
W0, W1 = 0x9E3779B9, 0xBB67AE85  # key schedule (golden ratio, sqrt(3) - 1)
ROUNDS = 10
_MASK64 = (1 << 64) - 1


def philox4x32_10(xp, c0, c1, c2, c3, k0, k1):
    """The Philox4x32-10 bijection of counter words ``c0..c3`` (uint64 arrays holding 32-bit
    values) under the key ``(k0, k1)`` (ints); returns the four output words as uint64 arrays."""
    low = np.uint64(0xFFFFFFFF)
    for _ in range(ROUNDS):
        p0 = c0 * np.uint64(M0)  # < 2**64: a 32 x 32 bit product
        p1 = c2 * np.uint64(M1)
        c0, c1, c2, c3 = ((p1 >> np.uint64(32)) ^ c1 ^ np.uint64(k0), p1 & low,
                          (p0 >> np.uint64(32)) ^ c3 ^ np.uint64(k1), p0 & low)
        k0, k1 = (k0 + W0) & 0xFFFFFFFF, (k1 + W1) & 0xFFFFFFFF
    return c0, c1, c2, c3


def philox_blocks(xp, counter, n, key):
    """Words of blocks ``counter .. counter + n - 1`` as a (n, 4) uint32 array, in array code."""
    c = xp.arange(n, dtype=np.uint64) + np.uint64(counter)
    zero = xp.zeros_like(c)
    words = philox4x32_10(xp, c & np.uint64(0xFFFFFFFF), c >> np.uint64(32), zero, zero,
                          key & 0xFFFFFFFF, (key >> 32) & 0xFFFFFFFF)
    return xp.stack(words, axis=1).astype(np.uint32)


class Philox:
    """A generator with NumPy's ``Generator`` methods deepgrad uses (``random``, ``standard_normal``,
    ``integers``, ``permutation``) on the array module ``xp``; ``state()``/``set_state()`` give and
    take ``{"key", "counter"}``."""

    def __init__(self, seed=None, xp=np):  # xp: numpy, or cupy (deepgrad.random binds it on first GPU use)
        if seed is None:
            seed = int(np.random.SeedSequence().generate_state(2, np.uint32).view(np.uint64)[0])
        self.key = int(seed) & _MASK64
        self.counter = 0
        self.xp = xp

    # -- state ---------------------------------------------------------------------------------
    def state(self) -> dict:
        return {"key": self.key, "counter": self.counter}

    def set_state(self, state: dict):
        key, counter = state["key"], state["counter"]
        for name, v in (("key", key), ("counter", counter)):
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or not 0 <= int(v) <= _MASK64:
                raise ValueError(f"Philox.set_state: {name} must be an int in [0, 2**64), got {v!r}")
        self.key, self.counter = int(key), int(counter)

    # -- raw words -----------------------------------------------------------------------------
    def _take(self, count):
        """Reserve the blocks for ``count`` words; returns (first block, number of blocks)."""
        blocks = -(-int(count) // 4)
        if self.counter + blocks > _MASK64:
            raise OverflowError("Philox: counter exhausted (2**64 blocks)")
        first, self.counter = self.counter, self.counter + blocks
        return first, blocks

    def _kernels(self):
        from deepgrad.kernels._compile import enabled

        return self.xp is not np and enabled()

    def words(self, count):
        """The next ``count`` uint32 words (whole blocks are consumed, as the counter counts blocks)."""
        first, blocks = self._take(count)
        if self._kernels():
            from deepgrad.kernels.philox import philox_words

            return philox_words(self.xp, first, blocks, self.key)[:count]
        return philox_blocks(self.xp, first, blocks, self.key).reshape(-1)[:count]

    def _u64(self, count):
        w = self.words(2 * count).astype(np.uint64)
        return (w[0::2] << np.uint64(32)) | w[1::2]

    # -- distributions -------------------------------------------------------------------------
    def random(self, size=None, dtype=np.float64):
        """Uniform on [0, 1): 24 random bits per float32, 53 per float64."""
        dtype = np.dtype(dtype)
        shape = () if size is None else (size,) if isinstance(size, (int, np.integer)) else tuple(size)
        n = int(np.prod(shape, dtype=np.int64))
        if dtype == np.float32 and self._kernels():  # Dropout's draw: one launch
            from deepgrad.kernels.philox import philox_uniform32

            first, _ = self._take(n)
            u = philox_uniform32(self.xp, first, n, self.key)
        elif dtype == np.float32:
            u = (self.words(n) >> np.uint32(8)).astype(np.float32) * np.float32(2.0 ** -24)
        elif dtype == np.float64:
            u = (self._u64(n) >> np.uint64(11)).astype(np.float64) * (2.0 ** -53)
        else:
            raise TypeError(f"Philox.random: dtype must be float32 or float64, got {dtype}")
        return u.reshape(shape)

    def standard_normal(self, size=None, dtype=np.float64):
        """N(0, 1) by Box-Muller on float64 uniforms (cast to ``dtype``)."""
        dtype = np.dtype(dtype)
        shape = () if size is None else (size,) if isinstance(size, (int, np.integer)) else tuple(size)
        n = int(np.prod(shape, dtype=np.int64))
        u = self.random(2 * n, dtype=np.float64)
        xp = self.xp
        z = xp.sqrt(-2.0 * xp.log1p(-u[0::2])) * xp.cos(2.0 * np.pi * u[1::2])
        return z.astype(dtype).reshape(shape)

    def normal(self, loc=0.0, scale=1.0, size=None, dtype=np.float64):
        return self.standard_normal(size, dtype) * scale + loc

    def uniform(self, low=0.0, high=1.0, size=None, dtype=np.float64):
        return self.random(size, dtype) * (high - low) + low

    def integers(self, low, high=None, size=None, dtype=np.int64):
        """Integers in [low, high) (from 64 random bits each, modulo the range)."""
        if high is None:
            low, high = 0, low
        low, high = int(low), int(high)
        if high <= low:
            raise ValueError(f"Philox.integers: low >= high ({low} >= {high})")
        shape = () if size is None else (size,) if isinstance(size, (int, np.integer)) else tuple(size)
        n = int(np.prod(shape, dtype=np.int64))
        r = self._u64(n) % np.uint64(high - low)
        return (r.astype(np.int64) + low).astype(dtype).reshape(shape)

    def permutation(self, x):
        """A random permutation of ``range(x)`` (an int) or of the rows of an array."""
        n = int(x) if isinstance(x, (int, np.integer)) else len(x)
        order = self.xp.argsort(self._u64(n))  # 64-bit keys: a tie has probability ~n**2 / 2**65
        return order if isinstance(x, (int, np.integer)) else x[order]
