"""Keras optimizers over deepgrad.optim: Keras defaults, the legacy lr=, and Keras's update formulas."""
import math

import numpy as np
import pytest

import deepgrad
from deepgrad.keras import optimizers


def _run(opt, steps=5, w0=(1.0, -2.0, 0.5, 3.0)):
    """Minimise 0.5 * ||w - t||^2 from w0; return the iterates (gradients are g = w - t)."""
    target = np.array([0.2, 0.1, -0.3, 0.0], np.float32)
    p = deepgrad.nn.Parameter(np.array(w0, np.float32))
    opt.build([p])
    out = []
    for _ in range(steps):
        p.grad = deepgrad.Tensor(p.data - target)
        opt.step()
        out.append(p.numpy().copy())
    return out, target


def test_defaults_and_legacy_lr():
    assert optimizers.SGD().learning_rate == 0.01
    assert optimizers.SGD(lr=0.1).learning_rate == 0.1  # seed 001: SGD(lr=0.1)
    adam = optimizers.Adam()
    assert (adam.learning_rate, adam.beta_1, adam.beta_2, adam.epsilon) == (0.001, 0.9, 0.999, 1e-7)
    rms = optimizers.RMSprop()
    assert (rms.learning_rate, rms.rho, rms.epsilon) == (0.001, 0.9, 1e-7)
    ada = optimizers.Adagrad()
    assert (ada.learning_rate, ada.initial_accumulator_value, ada.epsilon) == (0.001, 0.1, 1e-7)
    assert optimizers.AdamW().weight_decay == 0.004
    assert isinstance(optimizers.get("adam"), optimizers.Adam)
    assert isinstance(optimizers.get("rmsprop"), optimizers.RMSprop)
    with pytest.raises(ValueError, match="Unknown optimizer"):
        optimizers.get("adamm")
    with pytest.raises(TypeError, match="unexpected keyword"):
        optimizers.SGD(momentun=0.9)


def test_sgd_momentum_nesterov_match_keras_formula():
    for nesterov in (False, True):
        got, t = _run(optimizers.SGD(learning_rate=0.1, momentum=0.9, nesterov=nesterov))
        w = np.array([1.0, -2.0, 0.5, 3.0])
        v = np.zeros(4)
        for it in got:  # Keras 3: v = m v - lr g; w += v (nesterov: w += m v - lr g)
            g = w - t
            v = 0.9 * v - 0.1 * g
            w = w + (0.9 * v - 0.1 * g if nesterov else v)
            np.testing.assert_allclose(it, w, rtol=1e-5, atol=1e-6)


def test_adam_matches_keras_epsilon_placement():
    eps = 1e-3  # large so that the placement matters
    got, t = _run(optimizers.Adam(learning_rate=0.1, epsilon=eps), steps=6)
    w = np.array([1.0, -2.0, 0.5, 3.0])
    m = np.zeros(4)
    v = np.zeros(4)
    for step, it in enumerate(got, 1):  # keras/src/optimizers/adam.py
        g = w - t
        alpha = 0.1 * math.sqrt(1 - 0.999**step) / (1 - 0.9**step)
        m += (g - m) * (1 - 0.9)
        v += (g * g - v) * (1 - 0.999)
        w = w - alpha * m / (np.sqrt(v) + eps)
        np.testing.assert_allclose(it, w, rtol=1e-5, atol=1e-6)


def test_adamw_decoupled_decay():
    got, t = _run(optimizers.AdamW(learning_rate=0.1, weight_decay=0.5, epsilon=1e-7), steps=3)
    w = np.array([1.0, -2.0, 0.5, 3.0])
    m = np.zeros(4)
    v = np.zeros(4)
    for step, it in enumerate(got, 1):
        g = w - t
        w = w - 0.1 * 0.5 * w
        alpha = 0.1 * math.sqrt(1 - 0.999**step) / (1 - 0.9**step)
        m += (g - m) * 0.1
        v += (g * g - v) * 0.001
        w = w - alpha * m / (np.sqrt(v) + 1e-7)
        np.testing.assert_allclose(it, w, rtol=1e-5, atol=1e-6)


def test_rmsprop_and_adagrad_close_to_keras():
    got, t = _run(optimizers.RMSprop(learning_rate=0.01), steps=4)
    w = np.array([1.0, -2.0, 0.5, 3.0])
    v = np.zeros(4)
    for it in got:  # Keras: v = rho v + (1 - rho) g^2; w -= lr g / sqrt(v + eps)
        g = w - t
        v = 0.9 * v + 0.1 * g * g
        w = w - 0.01 * g / np.sqrt(v + 1e-7)
        np.testing.assert_allclose(it, w, rtol=1e-5, atol=1e-6)
    got, t = _run(optimizers.Adagrad(learning_rate=0.1), steps=4)
    w = np.array([1.0, -2.0, 0.5, 3.0])
    acc = np.full(4, 0.1)
    for it in got:  # Keras: acc += g^2; w -= lr g / sqrt(acc + eps)
        g = w - t
        acc += g * g
        w = w - 0.1 * g / np.sqrt(acc + 1e-7)
        np.testing.assert_allclose(it, w, rtol=1e-5, atol=1e-6)


def test_learning_rate_setter_and_clipping():
    opt = optimizers.SGD(learning_rate=0.5)
    got, _ = _run(opt, steps=1)
    opt.learning_rate = 0.25
    assert opt.learning_rate == 0.25 and opt.inner.param_groups[0]["lr"] == 0.25
    p = deepgrad.nn.Parameter(np.zeros(2, np.float32))
    clip = optimizers.SGD(learning_rate=1.0, clipnorm=1.0)
    clip.build([p])
    p.grad = deepgrad.Tensor(np.array([3.0, 4.0], np.float32))
    clip.step()
    np.testing.assert_allclose(p.numpy(), [-0.6, -0.8], rtol=1e-5)
    q = deepgrad.nn.Parameter(np.zeros(2, np.float32))
    clipv = optimizers.SGD(learning_rate=1.0, clipvalue=0.5)
    clipv.build([q])
    q.grad = deepgrad.Tensor(np.array([3.0, -0.25], np.float32))
    clipv.step()
    np.testing.assert_allclose(q.numpy(), [-0.5, 0.25])


def test_schedule_callable_and_config_round_trip():
    opt = optimizers.SGD(learning_rate=lambda step: 0.1 / (step + 1))
    _run(opt, steps=3)
    assert opt.learning_rate == pytest.approx(0.1 / 3)
    cfg = optimizers.serialize(optimizers.Adam(learning_rate=0.01, beta_2=0.99))
    again = optimizers.get(cfg)
    assert isinstance(again, optimizers.Adam) and again.learning_rate == 0.01 and again.beta_2 == 0.99
