"""Dropout: training zeroes about p of the units and scales the rest by 1/(1-p); eval is the identity,
which is the lectures' rule "no dropout at test time, weights times (1-p)" for the same network."""
import numpy as np
import pytest

import deepgrad as dg
from deepgrad import nn


def test_training_drops_about_p_and_scales_survivors():
    dg.manual_seed(0)
    p = 0.3
    d = nn.Dropout(p)
    x = dg.ones(200, 500)
    y = d(x).numpy()
    dropped = (y == 0).mean()
    assert abs(dropped - p) < 0.01
    np.testing.assert_allclose(y[y != 0], 1 / (1 - p), rtol=1e-6)
    assert y.dtype == np.float32


def test_eval_is_identity_and_p_edge_cases():
    x = dg.randn(4, 5)
    d = nn.Dropout(0.5).eval()
    assert d(x) is x
    assert nn.Dropout(0.0)(x) is x
    assert not nn.Dropout(1.0)(x).numpy().any()
    with pytest.raises(ValueError, match="between 0 and 1"):
        nn.Dropout(1.5)


def test_backward_uses_the_same_mask():
    dg.manual_seed(1)
    x = dg.randn(50, 40, requires_grad=True)
    y = nn.Dropout(0.4)(x)
    y.sum().backward()
    kept = y.numpy() != 0
    np.testing.assert_allclose(x.grad.numpy()[kept], 1 / 0.6, rtol=1e-6)
    assert not x.grad.numpy()[~kept].any()


def test_same_seed_same_mask():
    x = dg.ones(10, 10)
    dg.manual_seed(3)
    a = nn.Dropout(0.5)(x).numpy()
    dg.manual_seed(3)
    b = nn.Dropout(0.5)(x).numpy()
    np.testing.assert_array_equal(a, b)


def test_eval_output_equals_expected_training_output():
    """The mean over many dropout masks of a layer's output equals its eval output (inverted
    dropout), and equals the output of the lectures' test-time network with weights * (1 - p)
    when the training masks are not rescaled."""
    dg.manual_seed(4)
    p, masks = 0.4, 4000
    layer = nn.Linear(20, 3)
    x = dg.randn(1, 20)
    drop = nn.Dropout(p)
    eval_out = layer(drop.eval()(x)).numpy()[0]
    drop.train()
    xs = dg.Tensor(np.repeat(x.numpy(), masks, axis=0))  # one mask per row
    train_mean = layer(drop(xs)).numpy().mean(axis=0)
    spread = layer(drop(xs)).numpy().std(axis=0) / np.sqrt(masks)
    assert np.all(np.abs(train_mean - eval_out) < 5 * spread + 1e-6)
    # the lectures' form: masks without 1/(1-p) in training, weights scaled by (1-p) at test time
    raw = drop(xs) * (1 - p)
    lecture_train_mean = layer(raw).numpy().mean(axis=0)
    with dg.no_grad():
        w, b = layer.weight, layer.bias
        lecture_test = (x.numpy() @ (w.numpy() * (1 - p)).T + b.numpy())[0]
    assert np.all(np.abs(lecture_train_mean - lecture_test) < 5 * spread * (1 - p) + 1e-6)


def test_dropout2d_drops_whole_channels():
    dg.manual_seed(5)
    x = dg.ones(8, 16, 3, 3)
    y = nn.Dropout2d(0.5)(x).numpy()
    per_channel = y.reshape(8, 16, -1)
    assert np.all((per_channel == 0).all(-1) | (per_channel == 2.0).all(-1))
    assert 0.3 < (per_channel[..., 0] == 0).mean() < 0.7
    assert nn.Dropout2d(0.5).eval()(x) is x
