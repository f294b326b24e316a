"""Huffman tree over word counts, for hierarchical softmax (Morin & Bengio; Mikolov et al. 2013).

Each word is a leaf; its ``codes`` are the left/right turns (0/1) from the root and its
``points`` are the inner nodes passed on the way (ids 0 .. V-2, each with its own output
vector).  Frequent words get short codes: the expected code length is minimal.
"""
from __future__ import annotations

import heapq

import numpy as np

__all__ = ["huffman_codes", "HuffmanTree"]


def huffman_codes(counts):
    """``(codes, points)``: per word, a list of 0/1 turns and the list of inner-node ids (root first).

    Ties are broken by creation order, so the tree is deterministic.  One word: empty code.
    """
    counts = [int(c) for c in counts]
    n = len(counts)
    if n == 0:
        raise ValueError("huffman_codes: need at least one count")
    if min(counts) < 0:
        raise ValueError(f"huffman_codes: counts must be >= 0, got {min(counts)}")
    heap = [(c, i) for i, c in enumerate(counts)]
    heapq.heapify(heap)
    parent = [0] * (2 * n - 1)
    bit = [0] * (2 * n - 1)
    nxt = n
    while len(heap) > 1:
        c0, a = heapq.heappop(heap)
        c1, b = heapq.heappop(heap)
        parent[a], bit[a] = nxt, 0
        parent[b], bit[b] = nxt, 1
        heapq.heappush(heap, (c0 + c1, nxt))
        nxt += 1
    root = 2 * n - 2
    codes, points = [], []
    for w in range(n):
        code, path, node = [], [], w
        while node != root and n > 1:
            code.append(bit[node])
            node = parent[node]
            path.append(node - n)  # inner nodes numbered 0 .. n-2 (root = n-2)
        codes.append(code[::-1])
        points.append(path[::-1])
    return codes, points


class HuffmanTree:
    """Padded arrays of the tree: ``codes``/``points`` (V, L) int64 and ``mask`` (V, L) bool."""

    def __init__(self, counts):
        codes, points = huffman_codes(counts)
        self.num_inner = max(len(counts) - 1, 1)
        depth = max(1, max(len(c) for c in codes))
        v = len(codes)
        self.codes = np.zeros((v, depth), dtype=np.int64)
        self.points = np.zeros((v, depth), dtype=np.int64)
        self.mask = np.zeros((v, depth), dtype=bool)
        for w, (c, p) in enumerate(zip(codes, points)):
            self.codes[w, :len(c)] = c
            self.points[w, :len(p)] = p
            self.mask[w, :len(c)] = True
        self.lengths = self.mask.sum(axis=1)
