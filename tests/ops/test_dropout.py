"""Inverted dropout: the fraction dropped, the scaling, eval mode, seeding and backward's mask."""
import numpy as np
import pytest

import deepgrad as dg

N = 100_000


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_fraction_dropped_and_survivors_scaled(p):
    dg.manual_seed(0)
    x = dg.ones(N)
    y = dg.dropout(x, p).numpy()
    zeroed = np.mean(y == 0)
    # binomial std is sqrt(p(1-p)/N) <= 0.0016; 5 sigma
    assert abs(zeroed - p) < 0.008, f"dropped {zeroed:.4f}, expected {p}"
    np.testing.assert_allclose(y[y != 0], 1.0 / (1.0 - p), rtol=1e-6)
    assert y.dtype == np.float32
    assert abs(y.mean() - 1.0) < 0.03  # the expectation is kept


def test_eval_mode_and_p0_are_identity():
    x = dg.randn(4, 5, requires_grad=True)
    assert dg.dropout(x, 0.5, training=False) is x
    assert dg.dropout(x, 0.0) is x


def test_p1_gives_zeros_and_zero_grad():
    x = dg.randn(3, 4, requires_grad=True)
    y = dg.dropout(x, 1.0)
    assert not np.any(y.numpy()) and np.all(np.isfinite(y.numpy()))
    y.sum().backward()
    assert not np.any(x.grad.numpy())


@pytest.mark.parametrize("p", [-0.1, 1.5])
def test_p_outside_unit_interval_raises(p):
    with pytest.raises(ValueError, match=rf"dropout: probability p must be between 0 and 1, got {p}"):
        dg.dropout(dg.ones(3), p)


def test_same_seed_same_mask_and_new_masks_each_call():
    dg.manual_seed(123)
    a = dg.dropout(dg.ones(1000), 0.5).numpy()
    b = dg.dropout(dg.ones(1000), 0.5).numpy()
    dg.manual_seed(123)
    c = dg.dropout(dg.ones(1000), 0.5).numpy()
    np.testing.assert_array_equal(a, c)
    assert not np.array_equal(a, b)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_backward_uses_the_forward_mask(dtype):
    dg.manual_seed(1)
    x = dg.Tensor(np.random.default_rng(0).standard_normal((50, 40)).astype(dtype), requires_grad=True)
    y = dg.dropout(x, 0.3)
    g = np.random.default_rng(1).standard_normal((50, 40)).astype(dtype)
    (y * dg.Tensor(g)).sum().backward()
    mask = y.numpy() / x.numpy()  # the scaled mask: 0 or 1 / 0.7
    np.testing.assert_allclose(x.grad.numpy(), g * mask, rtol=1e-6)
    assert y.dtype == dtype and x.grad.dtype == dtype
    assert np.all((mask == 0) | np.isclose(mask, 1 / 0.7, rtol=1e-5))


def test_second_backward_with_retain_graph_reuses_the_mask():
    dg.manual_seed(2)
    x = dg.randn(20, requires_grad=True)
    y = dg.dropout(x, 0.5).sum()
    y.backward(retain_graph=True)
    first = x.grad.numpy().copy()
    x.grad = None
    y.backward()
    np.testing.assert_array_equal(first, x.grad.numpy())
