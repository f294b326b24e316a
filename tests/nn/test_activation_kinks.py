"""Values and gradients of every piecewise activation exactly at its kinks, against torch 2.13.

Finite differences cannot check these points (the derivative does not exist there); torch's
convention is what users compare with, so deepgrad follows it."""
import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import deepgrad as dg
import deepgrad.nn.functional as F

# the kinks of each function plus points on both sides of them
POINTS = [-4.0, -3.0, -1.0, -0.5, 0.0, 0.5, 1.0, 3.0, 4.0, 6.0, 7.0]

CASES = {
    "relu": (F.relu, TF.relu),
    "leaky_relu": (lambda x: F.leaky_relu(x, 0.1), lambda x: TF.leaky_relu(x, 0.1)),
    "relu6": (F.relu6, TF.relu6),
    "hardtanh": (F.hardtanh, TF.hardtanh),
    "hardtanh_range": (lambda x: F.hardtanh(x, -3.0, 3.0), lambda x: TF.hardtanh(x, -3.0, 3.0)),
    "elu": (F.elu, TF.elu),
    "selu": (F.selu, TF.selu),
    "celu": (F.celu, TF.celu),
    "celu_alpha2": (lambda x: F.celu(x, 2.0), lambda x: TF.celu(x, 2.0)),
    "hardsigmoid": (F.hardsigmoid, TF.hardsigmoid),
    "hardswish": (F.hardswish, TF.hardswish),
    "threshold": (lambda x: F.threshold(x, 1.0, -2.0), lambda x: TF.threshold(x, 1.0, -2.0)),
    "hardshrink": (lambda x: F.hardshrink(x, 0.5), lambda x: TF.hardshrink(x, 0.5)),
    "softshrink": (lambda x: F.softshrink(x, 0.5), lambda x: TF.softshrink(x, 0.5)),
    "rrelu_eval": (lambda x: F.rrelu(x, training=False), lambda x: TF.rrelu(x, training=False)),
    "abs": (dg.abs, torch.abs),
    "clamp": (lambda x: dg.clamp(x, -1.0, 1.0), lambda x: torch.clamp(x, -1.0, 1.0)),
    "prelu": (lambda x: F.prelu(x, dg.tensor([0.25])), lambda x: TF.prelu(x, torch.tensor([0.25]))),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_value_and_gradient_at_kinks_match_torch(name):
    fd, ft = CASES[name]
    xd = dg.tensor(np.array(POINTS, np.float32), requires_grad=True)
    xt = torch.tensor(POINTS, dtype=torch.float32, requires_grad=True)
    yd, yt = fd(xd), ft(xt)
    np.testing.assert_allclose(yd.numpy(), yt.detach().numpy(), rtol=1e-6, atol=1e-7)
    yd.sum().backward()
    yt.sum().backward()
    np.testing.assert_allclose(xd.grad.numpy(), xt.grad.numpy(), rtol=1e-6, atol=1e-7,
                               err_msg=f"{name}: gradient at {POINTS}")
