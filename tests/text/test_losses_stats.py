"""The two word2vec losses against torch and against their definitions; Spearman in NumPy."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import deepgrad as dg
from deepgrad.text import (
    HuffmanTree,
    hierarchical_softmax_loss,
    hs_log_prob,
    negative_sampling_loss,
    pearson,
    rankdata,
    spearman,
)
from deepgrad.utils import gradcheck


def _torch_ns(u, v, n, m):
    pos = torch.nn.functional.logsigmoid((u * v).sum(-1))
    neg = torch.nn.functional.logsigmoid(-torch.einsum("bkd,bd->bk", n, u)) * m
    return -(pos.sum() + neg.sum())


def test_negative_sampling_loss_and_grad_match_torch():
    rng = np.random.default_rng(0)
    u, v, n = rng.normal(size=(6, 4)), rng.normal(size=(6, 4)), rng.normal(size=(6, 3, 4))
    m = (rng.random((6, 3)) > 0.2).astype(np.float32)
    arrays = [a.astype(np.float32) for a in (u, v, n)]
    ours = [dg.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    lo = negative_sampling_loss(*ours, dg.tensor(m))
    lt = _torch_ns(*theirs, torch.tensor(m))
    lo.backward()
    lt.backward()
    np.testing.assert_allclose(lo.item(), lt.item(), rtol=1e-5)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-5, atol=1e-6)
    mm = dg.tensor(m.astype(np.float64))
    assert gradcheck(lambda a, b, c: negative_sampling_loss(a, b, c, mm),
                     [dg.tensor(a, requires_grad=True) for a in (u, v, n)])


def test_hierarchical_softmax_sums_to_one_over_the_vocabulary():
    rng = np.random.default_rng(1)
    counts = rng.integers(1, 50, size=11)
    t = HuffmanTree(counts)
    nodes = dg.tensor(rng.normal(size=(t.num_inner, 5)))
    h = dg.tensor(rng.normal(size=(1, 5)))
    words = np.arange(11)
    hb = dg.tensor(np.repeat(h.numpy(), 11, axis=0))
    logp = hs_log_prob(hb, nodes[dg.tensor(t.points[words])], dg.tensor(t.codes[words] * 1.0),
                       dg.tensor(t.mask[words] * 1.0))
    assert np.exp(logp.numpy()).sum() == pytest.approx(1.0, abs=1e-12)
    # the loss is -sum log p, and its gradient matches finite differences and torch
    codes, mask = dg.tensor(t.codes[words] * 1.0), dg.tensor(t.mask[words] * 1.0)
    pts = t.points[words]
    assert gradcheck(lambda a, b: hierarchical_softmax_loss(a, b[dg.tensor(pts)], codes, mask),
                     [dg.tensor(hb.numpy(), requires_grad=True), dg.tensor(nodes.numpy(), requires_grad=True)])
    a = torch.tensor(hb.numpy(), requires_grad=True)
    b = torch.tensor(nodes.numpy(), requires_grad=True)
    s = torch.einsum("bld,bd->bl", b[torch.tensor(pts)], a)
    lt = -(torch.nn.functional.logsigmoid((1 - 2 * torch.tensor(t.codes * 1.0)) * s) * torch.tensor(mask.numpy())).sum()
    lt.backward()
    x, y = dg.tensor(hb.numpy(), requires_grad=True), dg.tensor(nodes.numpy(), requires_grad=True)
    lo = hierarchical_softmax_loss(x, y[dg.tensor(pts)], codes, mask)
    lo.backward()
    np.testing.assert_allclose(lo.item(), lt.item(), rtol=1e-10)
    np.testing.assert_allclose(y.grad.numpy(), b.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_rankdata_and_spearman_by_hand_with_ties():
    x = [10, 20, 20, 30, 5]
    assert rankdata(x).tolist() == [2.0, 3.5, 3.5, 5.0, 1.0]
    y = [1, 2, 3, 4, 0]  # ranks 2, 3, 4, 5, 1
    rx, ry = np.array([2, 3.5, 3.5, 5, 1]), np.array([2, 3, 4, 5, 1.0])
    dx, dy = rx - rx.mean(), ry - ry.mean()  # means 3 and 3: dx = -1, .5, .5, 2, -2; dy = -1, 0, 1, 2, -2
    assert spearman(x, y) == pytest.approx((1 + 0 + 0.5 + 4 + 4) / np.sqrt(9.5 * 10))
    assert dx @ dy == pytest.approx(9.5)
    assert spearman([1, 2, 3], [3, 2, 1]) == pytest.approx(-1.0)
    assert np.isnan(spearman([1, 1, 1], [1, 2, 3]))
    with pytest.raises(ValueError, match="spearman"):
        spearman([1, 2], [1, 2, 3])


def test_spearman_and_pearson_match_scipy():
    stats = pytest.importorskip("scipy.stats")
    rng = np.random.default_rng(3)
    x = rng.integers(0, 8, 200).astype(float)  # many ties
    y = x + rng.normal(size=200) * 3
    y[::7] = 1.0
    assert spearman(x, y) == pytest.approx(stats.spearmanr(x, y)[0], rel=1e-12)
    assert pearson(x, y) == pytest.approx(stats.pearsonr(x, y)[0], rel=1e-12)
