"""Huffman codes, the vocabulary, subsampling and the noise distribution."""
from __future__ import annotations

import heapq

import numpy as np
import pytest

from deepgrad.text import HuffmanTree, Vocab, huffman_codes, keep_probabilities, noise_distribution


def _is_prefix_free(codes):
    strs = ["".join(map(str, c)) for c in codes]
    return all(not b.startswith(a) for a in strs for b in strs if a is not b)


def test_huffman_textbook_example():
    # CLRS 16.3: a..f with frequencies 45, 13, 12, 16, 9, 5 -> lengths 1, 3, 3, 3, 4, 4; cost 224
    counts = [45, 13, 12, 16, 9, 5]
    codes, points = huffman_codes(counts)
    assert [len(c) for c in codes] == [1, 3, 3, 3, 4, 4]
    assert sum(c * len(k) for c, k in zip(counts, codes)) == 224
    assert _is_prefix_free(codes)
    assert all(p[0] == len(counts) - 2 for p in points)  # every path starts at the root
    assert all(len(p) == len(c) for p, c in zip(points, codes))


def _optimal_cost(counts):
    h = list(counts)
    heapq.heapify(h)
    cost = 0
    while len(h) > 1:
        a, b = heapq.heappop(h), heapq.heappop(h)
        cost += a + b
        heapq.heappush(h, a + b)
    return cost


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_huffman_random_counts_optimal_and_prefix_free(seed):
    counts = np.random.default_rng(seed).integers(1, 1000, size=37)
    codes, points = huffman_codes(counts)
    assert _is_prefix_free(codes)
    assert sum(int(c) * len(k) for c, k in zip(counts, codes)) == _optimal_cost(counts.tolist())
    # Kraft equality for a full binary tree
    assert sum(2.0 ** -len(c) for c in codes) == pytest.approx(1.0)
    # inner nodes: ids 0..V-2, all used
    assert set(x for p in points for x in p) == set(range(len(counts) - 1))


def test_huffman_tree_arrays_and_edge_cases():
    t = HuffmanTree([5, 3, 2])
    assert t.codes.shape == t.points.shape == t.mask.shape == (3, 2)
    assert t.lengths.tolist() == [1, 2, 2]
    assert huffman_codes([7]) == ([[]], [[]])
    with pytest.raises(ValueError, match="huffman_codes"):
        huffman_codes([])


def test_vocab_counts_order_and_min_count():
    v = Vocab("a b a c b a d".split(), min_count=2)
    assert v.words == ["a", "b"] and v.counts.tolist() == [3, 2]
    assert v["b"] == 1 and "c" not in v
    assert v.encode("a c b x".split()).tolist() == [0, 1]
    with pytest.raises(KeyError, match="not in the vocabulary"):
        v["c"]
    with pytest.raises(ValueError, match="min_count"):
        Vocab(["a"], min_count=2)
    assert Vocab([["x", "y"], ["y"]], min_count=1).words == ["y", "x"]


def test_subsampling_formula():
    counts = np.array([1000, 100, 10, 1])
    t = 1e-2
    f = counts / counts.sum()
    expect = np.minimum((np.sqrt(f / t) + 1) * t / f, 1.0)  # word2vec.c: (sqrt(c/(t*N)) + 1) * t*N/c
    np.testing.assert_allclose(keep_probabilities(counts, t), expect)
    assert keep_probabilities(counts, t)[0] == pytest.approx(0.1165140, rel=1e-5)  # by hand: f = 1000/1111
    assert keep_probabilities(counts, t)[0] < 0.2 and keep_probabilities(counts, t)[-1] == 1.0
    np.testing.assert_array_equal(keep_probabilities(counts, 0), 1.0)


def test_noise_distribution_is_unigram_to_three_quarters():
    counts = np.array([16, 81, 1])
    p = noise_distribution(counts)
    np.testing.assert_allclose(p, np.array([8.0, 27.0, 1.0]) / 36.0)
    cdf = Vocab(["a"] * 81 + ["b"] * 16 + ["c"], min_count=1).noise_table()
    draws = np.searchsorted(cdf, np.random.default_rng(0).random(200000))
    np.testing.assert_allclose(np.bincount(draws, minlength=3) / 200000, [27 / 36, 8 / 36, 1 / 36], atol=5e-3)
