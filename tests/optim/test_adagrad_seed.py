"""Seed 001's Adagrad slide: the per-parameter rate alpha / sqrt(sum of squared gradients).

theta1 sees gradients 0.1 then 0.2: rates alpha/0.1 then alpha/sqrt(0.1^2 + 0.2^2) = alpha/0.22;
theta2 sees 20 then 10: alpha/20 then alpha/22.  The step is rate * g.
"""
from __future__ import annotations

import math

import numpy as np

import deepgrad as dg
from deepgrad import optim


def test_adagrad_worked_example_of_seed_001():
    alpha = 0.5
    theta = dg.Tensor(np.zeros(2, np.float64), requires_grad=True)  # [theta1, theta2]
    opt = optim.Adagrad([theta], lr=alpha, eps=1e-12)  # eps negligible, as on the slide
    rates = []
    for g in ([0.1, 20.0], [0.2, 10.0]):
        before = theta.data.copy()
        theta.grad = dg.Tensor(np.array(g))
        opt.step()
        rates.append((before - theta.data) / np.array(g))  # the learning rate each parameter got
    np.testing.assert_allclose(rates[0], [alpha / 0.1, alpha / 20.0], rtol=1e-9)
    np.testing.assert_allclose(rates[1], [alpha / math.sqrt(0.1**2 + 0.2**2), alpha / math.sqrt(20**2 + 10**2)],
                               rtol=1e-9)
    # the slide rounds the denominators to 0.22 and 22
    np.testing.assert_allclose(alpha / rates[1], [0.22, 22.0], rtol=0.02)
    # first step is alpha * g / |g| = alpha for every parameter, whatever the gradient's size
    np.testing.assert_allclose(rates[0] * np.array([0.1, 20.0]), [alpha, alpha], rtol=1e-9)


def test_adagrad_rate_is_alpha_over_root_sum_of_squares_in_float32():
    alpha = 0.01
    p = dg.Tensor(np.zeros(1, np.float32), requires_grad=True)
    opt = optim.Adagrad([p], lr=alpha)
    grads = [0.1, 0.2, 0.05, 0.3]
    for t, g in enumerate(grads, 1):
        before = float(p.data[0])
        p.grad = dg.Tensor(np.array([g], np.float32))
        opt.step()
        expected = alpha * g / math.sqrt(sum(x * x for x in grads[:t]))
        assert abs((before - float(p.data[0])) - expected) < 1e-6 * alpha * 10
