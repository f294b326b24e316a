"""nn.init: the distributions' statistics, PyTorch's gains and the layers' default initialization."""
import math

import numpy as np
import pytest
import torch

import deepgrad as dg
from deepgrad import nn
from deepgrad.nn import init


def _w(*shape, dtype=np.float32):
    return dg.zeros(*shape, dtype=dtype)


def test_calculate_gain_matches_torch():
    for nl, param in [("linear", None), ("sigmoid", None), ("tanh", None), ("relu", None), ("leaky_relu", None),
                      ("leaky_relu", 0.2), ("selu", None), ("conv2d", None)]:
        assert init.calculate_gain(nl, param) == pytest.approx(torch.nn.init.calculate_gain(nl, param))
    with pytest.raises(ValueError, match="unsupported nonlinearity 'cube'"):
        init.calculate_gain("cube")


def test_uniform_normal_constant():
    dg.manual_seed(0)
    w = init.uniform_(_w(200, 300), -2.0, 3.0)
    a = w.numpy()
    assert a.dtype == np.float32 and a.min() >= -2.0 and a.max() < 3.0
    assert abs(a.mean() - 0.5) < 0.02 and abs(a.var() - 25 / 12) < 0.03
    a = init.normal_(_w(200, 300), 1.0, 0.5).numpy()
    assert abs(a.mean() - 1.0) < 0.01 and abs(a.std() - 0.5) < 0.01
    assert (init.constant_(_w(3), 0.7).numpy() == np.float32(0.7)).all()
    assert (init.ones_(_w(2, 2)).numpy() == 1).all() and not init.zeros_(dg.ones(2)).numpy().any()
    np.testing.assert_array_equal(init.eye_(_w(2, 3)).numpy(), np.eye(2, 3))


def test_same_seed_same_weights():
    dg.manual_seed(5)
    a = nn.Linear(10, 10).weight.numpy().copy()
    dg.manual_seed(5)
    b = nn.Linear(10, 10).weight.numpy()
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("fn, shape, var", [
    (lambda w: init.xavier_uniform_(w), (400, 600), 2 / 1000),
    (lambda w: init.xavier_normal_(w, gain=2.0), (400, 600), 4 * 2 / 1000),
    (lambda w: init.kaiming_uniform_(w, nonlinearity="relu"), (300, 500), 2 / 500),
    (lambda w: init.kaiming_normal_(w, mode="fan_out", nonlinearity="relu"), (300, 500), 2 / 300),
    (lambda w: init.kaiming_normal_(w, a=0.1), (300, 500), 2 / (1 + 0.01) / 500),
    (lambda w: init.kaiming_uniform_(w, nonlinearity="relu"), (64, 32, 3, 3), 2 / (32 * 9)),
    (lambda w: init.lecun_normal_(w), (400, 500), 1 / 500),
], ids=["xavier_uniform", "xavier_normal_gain2", "kaiming_uniform_relu", "kaiming_normal_fan_out",
        "kaiming_normal_leaky", "kaiming_uniform_conv", "lecun_normal"])
def test_variance_of_glorot_he_lecun(fn, shape, var):
    dg.manual_seed(1)
    a = fn(_w(*shape)).numpy()
    assert abs(a.mean()) < 0.05 * math.sqrt(var) * 10
    assert a.var() == pytest.approx(var, rel=0.03)


def test_xavier_uniform_bound():
    a = init.xavier_uniform_(_w(30, 50)).numpy()
    assert np.abs(a).max() <= math.sqrt(6 / 80) + 1e-7


def test_lecun_normal_is_truncated_at_two_std():
    a = init.lecun_normal_(_w(200, 100)).numpy()
    std = math.sqrt(1 / 100) / 0.87962566103423978
    assert np.abs(a).max() <= 2 * std + 1e-6


@pytest.mark.parametrize("shape", [(5, 8), (8, 5), (6, 2, 3)])
def test_orthogonal(shape):
    dg.manual_seed(2)
    w = init.orthogonal_(_w(*shape, dtype=np.float64), gain=1.5).numpy().reshape(shape[0], -1)
    r, c = w.shape
    if r <= c:
        np.testing.assert_allclose(w @ w.T, 2.25 * np.eye(r), atol=1e-10)
    else:
        np.testing.assert_allclose(w.T @ w, 2.25 * np.eye(c), atol=1e-10)


def test_fan_needs_two_dims():
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init.xavier_uniform_(_w(5))


def test_linear_default_init_matches_torch_bounds():
    dg.manual_seed(3)
    lin = nn.Linear(400, 300)
    bound = 1 / math.sqrt(400)  # kaiming_uniform(a=sqrt(5)) gives U(-1/sqrt(in), 1/sqrt(in))
    w, b = lin.weight.numpy(), lin.bias.numpy()
    assert w.shape == (300, 400) and w.dtype == np.float32
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.99 * bound
    assert w.var() == pytest.approx(bound ** 2 / 3, rel=0.03)
    assert np.abs(b).max() <= bound and b.std() > 0.5 * bound / math.sqrt(3)
    t = torch.nn.Linear(400, 300)
    assert w.var() == pytest.approx(t.weight.detach().var().item(), rel=0.05)


def test_other_default_inits():
    bn = nn.BatchNorm2d(4)
    assert (bn.weight.numpy() == 1).all() and not bn.bias.numpy().any()
    assert not bn.running_mean.numpy().any() and (bn.running_var.numpy() == 1).all()
    dg.manual_seed(0)
    e = nn.Embedding(500, 100).weight.numpy()
    assert abs(e.std() - 1.0) < 0.01  # N(0, 1) as PyTorch
    ln = nn.LayerNorm(3)
    assert (ln.weight.numpy() == 1).all() and not ln.bias.numpy().any()
