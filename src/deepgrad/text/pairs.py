"""Training examples from a corpus of word ids, built with NumPy (a loop over window offsets only).

word2vec shrinks the window at random: each center position draws ``b`` uniformly in
``1 .. window`` and uses the words at distance ``<= b``, so near words count more.
Positions in different sentences (``sent`` ids) never pair.
"""
from __future__ import annotations

import numpy as np

__all__ = ["subsample", "skipgram_pairs", "cbow_windows"]


def subsample(ids, sent, keep_prob, rng):
    """Drop each occurrence of word w with probability ``1 - keep_prob[w]``."""
    keep = rng.random(len(ids)) < keep_prob[ids]
    return ids[keep], sent[keep]


def skipgram_pairs(ids, sent, window, rng):
    """``(centers, contexts)``: one pair per (center, word within its reduced window)."""
    n = len(ids)
    b = rng.integers(1, window + 1, size=n)
    pos = np.arange(n)
    centers, contexts = [], []
    for d in range(1, min(window, n - 1) + 1):
        right = pos[:n - d][(b[:n - d] >= d) & (sent[:n - d] == sent[d:])]  # context i + d
        left = pos[d:][(b[d:] >= d) & (sent[d:] == sent[:n - d])]  # context i - d
        centers += [ids[right], ids[left]]
        contexts += [ids[right + d], ids[left - d]]
    if not centers:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(centers), np.concatenate(contexts)


def cbow_windows(ids, sent, window, rng):
    """``(targets, context, mask)``: context (N, 2 * window) ids and a 0/1 float mask of the words
    inside each center's reduced window; centers with no context word are left out."""
    n = len(ids)
    b = rng.integers(1, window + 1, size=n)
    pos = np.arange(n)
    ctx = np.zeros((n, 2 * window), dtype=np.int64)
    mask = np.zeros((n, 2 * window), dtype=bool)
    for k, d in enumerate([-d for d in range(window, 0, -1)] + list(range(1, window + 1))):
        j = pos + d
        ok = (j >= 0) & (j < n) & (b >= abs(d))
        jc = np.clip(j, 0, n - 1)
        ok &= sent[jc] == sent
        ctx[:, k] = np.where(ok, ids[jc], 0)
        mask[:, k] = ok
    has = mask.any(axis=1)
    return ids[has], ctx[has], mask[has].astype(np.float32)
