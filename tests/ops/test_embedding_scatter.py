"""The embedding gradient's scatter-add (sorted ids + add.reduceat on NumPy) against torch and np.add.at."""
import importlib

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import deepgrad as dg
from deepgrad.utils import gradcheck

emb = importlib.import_module("deepgrad.ops.embedding")  # the package re-exports the function as `embedding`


def _grads(ids, w, gy, **kw):
    wd = dg.Tensor(w, requires_grad=True)
    dg.embedding(dg.Tensor(ids), wd, **kw).backward(dg.Tensor(gy))
    wt = torch.tensor(w, requires_grad=True)
    TF.embedding(torch.tensor(ids), wt, **kw).backward(torch.tensor(gy))
    return wd.grad.numpy(), wt.grad.numpy()


@pytest.mark.parametrize("kw", [{}, {"padding_idx": 2}, {"scale_grad_by_freq": True},
                                {"padding_idx": -1, "scale_grad_by_freq": True}])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_many_repeated_ids_match_torch(kw, dtype):
    rng = np.random.default_rng(0)
    ids = rng.zipf(1.5, size=(40, 30)) % 9  # 1200 ids over 9 rows, id 1 about half of them
    w = rng.standard_normal((11, 6)).astype(dtype)  # rows 9, 10 never used
    gy = rng.standard_normal((40, 30, 6)).astype(dtype)
    got, want = _grads(ids, w, gy, **kw)
    np.testing.assert_allclose(got, want, rtol=1e-5 if dtype == np.float32 else 1e-12, atol=1e-5)
    assert not got[9:].any()


def test_scatter_add_equals_add_at():
    rng = np.random.default_rng(1)
    for n, d, num in [(0, 3, 5), (300, 0, 5), (300, 4, 1), (5000, 7, 1000), (257, 3, 3), (255, 3, 3)]:
        ids = rng.integers(0, num, n)
        rows = rng.standard_normal((2 * n, d))[::2]  # a strided view
        want = np.zeros((num, d))
        np.add.at(want, ids, rows)
        got = emb._scatter_add(np, ids, rows, num)
        assert got.shape == want.shape and got.dtype == want.dtype
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_large_batches_avoid_add_at(monkeypatch):
    """np.add.at is 2-4x slower than the sorted reduceat on thousands of ids."""
    ids = np.random.default_rng(2).integers(0, 50, 4096)
    rows = np.ones((4096, 3), np.float32)
    monkeypatch.setattr(emb.np, "add", _NoAddAt(np.add))
    got = emb._scatter_add(np, ids, rows, 50)
    np.testing.assert_array_equal(got[:, 0], np.bincount(ids, minlength=50))


class _NoAddAt:
    def __init__(self, ufunc):
        self.reduceat = ufunc.reduceat

    def at(self, *a):
        raise AssertionError("np.add.at used")


def test_gradcheck_large_batch():
    rng = np.random.default_rng(3)
    ids = dg.Tensor(rng.integers(0, 4, (20, 15)))
    w = dg.Tensor(rng.standard_normal((5, 2)), requires_grad=True)
    assert gradcheck(lambda w: dg.embedding(ids, w) ** 2, [w])
