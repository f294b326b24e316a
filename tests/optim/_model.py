"""A small 2-layer sigmoid MLP written with core ops, the same in deepgrad and in PyTorch.

The optimizer tests train it side by side: same data, same initial weights, same loss.
"""
from __future__ import annotations

import numpy as np

import deepgrad as dg

N, D_IN, D_HID, D_OUT = 16, 5, 8, 3


def make_arrays(seed=0):
    """(x, y, [W1, b1, W2, b2]) as float32 NumPy arrays."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, D_IN)).astype(np.float32)
    y = rng.standard_normal((N, D_OUT)).astype(np.float32)
    params = [
        (0.5 * rng.standard_normal((D_IN, D_HID))).astype(np.float32),
        (0.1 * rng.standard_normal(D_HID)).astype(np.float32),
        (0.5 * rng.standard_normal((D_HID, D_OUT))).astype(np.float32),
        (0.1 * rng.standard_normal(D_OUT)).astype(np.float32),
    ]
    return x, y, params


def dg_loss(params, x, y):
    """Mean squared error of sigmoid(x @ W1 + b1) @ W2 + b2, in deepgrad ops."""
    w1, b1, w2, b2 = params
    h = 1.0 / (1.0 + (-(x @ w1 + b1)).exp())
    d = h @ w2 + b2 - y
    return (d * d).sum() * (1.0 / N)


def torch_loss(params, x, y):
    """The same loss in PyTorch."""
    w1, b1, w2, b2 = params
    h = 1.0 / (1.0 + (-(x @ w1 + b1)).exp())
    d = h @ w2 + b2 - y
    return (d * d).sum() * (1.0 / N)


def groups(params, base, second):
    """Two parameter groups: layer 1 with the optimizer's defaults, layer 2 with ``second`` overrides."""
    if second is None:
        return list(params)
    return [{"params": params[:2]}, {"params": params[2:], **second}]


def train_dg(cls, kwargs, second=None, steps=20, seed=0):
    """Run ``steps`` steps of a deepgrad optimizer; returns (params, optimizer)."""
    x, y, arrays = make_arrays(seed)
    params = [dg.Tensor(a.copy(), requires_grad=True) for a in arrays]
    xt, yt = dg.Tensor(x), dg.Tensor(y)
    opt = cls(groups(params, kwargs, second), **kwargs)
    for _ in range(steps):
        opt.zero_grad()
        dg_loss(params, xt, yt).backward()
        opt.step()
    return params, opt


def train_torch(cls, kwargs, second=None, steps=20, seed=0):
    """The same run with a torch.optim optimizer; returns (params, optimizer)."""
    import torch

    x, y, arrays = make_arrays(seed)
    params = [torch.tensor(a.copy(), requires_grad=True) for a in arrays]
    xt, yt = torch.tensor(x), torch.tensor(y)
    opt = cls(groups(params, kwargs, second), **kwargs, foreach=False)
    for _ in range(steps):
        opt.zero_grad()
        torch_loss(params, xt, yt).backward()
        opt.step()
    return params, opt


def max_rel_diff(a, b, floor=1e-3):
    """max |a - b| / max(|b|, floor) over all elements (the floor keeps near-zero entries meaningful)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), floor)))


def fixed_grads(steps=20, seed=1):
    """A list over steps of [gW1, gb1, gW2, gb2]: the same gradients fed to both optimizers."""
    rng = np.random.default_rng(seed)
    _, _, arrays = make_arrays()
    return [[rng.standard_normal(a.shape).astype(np.float32) for a in arrays] for _ in range(steps)]


def replay_dg(cls, kwargs, second, grads):
    """Apply a deepgrad optimizer to the fixed gradient sequence ``grads`` (no model)."""
    _, _, arrays = make_arrays()
    params = [dg.Tensor(a.copy(), requires_grad=True) for a in arrays]
    opt = cls(groups(params, kwargs, second), **kwargs)
    for gs in grads:
        for p, g in zip(params, gs):
            p.grad = dg.Tensor(g)
        opt.step()
    return params


def replay_torch(cls, kwargs, second, grads):
    """The same replay with a torch.optim optimizer."""
    import torch

    _, _, arrays = make_arrays()
    params = [torch.tensor(a.copy(), requires_grad=True) for a in arrays]
    opt = cls(groups(params, kwargs, second), **kwargs, foreach=False)
    for gs in grads:
        for p, g in zip(params, gs):
            p.grad = torch.tensor(g)
        opt.step()
    return params
