"""Seed 003: a 50-layer plain stack does not train; 50 residual or highway layers do.

Three networks of the same depth (50 blocks of width 32 between an input and an output layer,
tanh everywhere, PyTorch's default initialization) fit the same small regression task with
the same optimizer: plain SGD with the gradient norm clipped (lr 0.5, max norm 0.1), for
the same number of steps.  The plain stack's gradient vanishes before it reaches the first
layers and its loss stays at the variance of the target (it predicts the mean); the
residual (x + f(x)) and highway (T h + (1 - T) x) stacks give the gradient a path around
every layer and fit the data.
"""
import numpy as np

import deepgrad as dg
import deepgrad.nn.functional as F
from deepgrad import nn

DEPTH, WIDTH, STEPS, LR, CLIP = 50, 32, 120, 0.5, 0.1


def _data(n=64):
    rng = np.random.default_rng(0)
    x = rng.uniform(-2, 2, (n, 4))
    y = np.sin(1.5 * x[:, :1]) + 0.5 * x[:, 1:2] * x[:, 2:3] - 0.3 * x[:, 3:4] ** 2
    y = (y - y.mean()) / y.std()  # a constant prediction has loss 1
    return dg.Tensor(x.astype(np.float32)), dg.Tensor(y.astype(np.float32))


def _model(kind):
    dg.manual_seed(0)
    if kind == "plain":
        blocks = [m for _ in range(DEPTH) for m in (nn.Linear(WIDTH, WIDTH), nn.Tanh())]
    elif kind == "residual":
        blocks = [nn.Residual(nn.Sequential(nn.Linear(WIDTH, WIDTH), nn.Tanh())) for _ in range(DEPTH)]
    else:  # gate bias -4: (1 - sigmoid(-4)) ** 50 = 0.4 of the input is carried through all 50 layers
        blocks = [nn.Highway(WIDTH, activation=nn.Tanh, gate_bias=-4.0) for _ in range(DEPTH)]
    return nn.Sequential(nn.Linear(4, WIDTH), *blocks, nn.Linear(WIDTH, 1))


def _train(model, x, y):
    losses = []
    first = model[0].weight
    grad_first = None
    for _ in range(STEPS):
        loss = F.mse_loss(model(x), y)
        model.zero_grad()
        loss.backward()
        if grad_first is None:
            grad_first = float(np.linalg.norm(first.grad.numpy()))
        nn.utils.clip_grad_norm_(model.parameters(), CLIP)
        for p in model.parameters():  # plain SGD, in place
            p.data -= LR * p.grad.data
        losses.append(loss.item())
    return losses, grad_first


def test_fifty_layers_residual_and_highway_train_plain_does_not():
    x, y = _data()
    result = {}
    for kind in ("plain", "residual", "highway"):
        model = _model(kind)
        assert len(model) == (2 * DEPTH if kind == "plain" else DEPTH) + 2
        losses, g0 = _train(model, x, y)
        result[kind] = (losses, g0)
        print(f"{kind:9s} 50 layers: loss {losses[0]:.4f} -> {losses[-1]:.4f} after {STEPS} steps "
              f"(mean of the last 10: {np.mean(losses[-10:]):.4f}, min {min(losses):.4f}); "
              f"|grad| of the first layer at init {g0:.2e}")
    # the end point: the mean of the last 10 losses (the residual stack's loss alternates step to step)
    plain, residual, highway = (float(np.mean(result[k][0][-10:])) for k in ("plain", "residual", "highway"))
    assert all(np.isfinite(v) for v in (plain, residual, highway))
    assert plain > 0.9  # no better than predicting the mean
    assert result["plain"][1] < 1e-3 * result["residual"][1]  # the gradient vanished on the way down
    assert result["plain"][1] < 1e-3 * result["highway"][1]
    assert residual < 0.3 * plain
    assert highway < 0.3 * plain
