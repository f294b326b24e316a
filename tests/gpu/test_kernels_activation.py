"""Sigmoid and ReLU with the GPU kernels: same values and gradients as the CPU, and
second derivatives still go through the op code."""
import numpy as np
import pytest

import deepgrad as dg


@pytest.fixture
def hooked(kernels_on):
    """The ops call the kernels on CuPy arrays while they are enabled."""
    yield


@pytest.mark.parametrize("layout", ["contiguous", "strided"])  # the RawKernel, the ElementwiseKernel
@pytest.mark.parametrize("act", ["sigmoid", "relu"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_activation_kernels_match_cpu(cp, hooked, act, dtype, layout):
    rng = np.random.default_rng(0)
    x = (30 * rng.standard_normal((17, 9))).astype(dtype)
    x[0, :3] = [0.0, -200.0, 200.0]
    gw = rng.standard_normal((9, 17) if layout == "strided" else x.shape).astype(dtype)
    out = []
    for dev in ("cpu", "cuda"):
        xt = dg.tensor(x, device=dev, requires_grad=True)
        y = getattr(dg, act)(xt.t() if layout == "strided" else xt)
        (y * dg.tensor(gw, device=dev)).sum().backward()
        out.append((y.numpy(), xt.grad.numpy()))
    tol = 1e-6 if dtype == np.float32 else 1e-14
    np.testing.assert_allclose(out[1][0], out[0][0], rtol=tol, atol=tol)
    np.testing.assert_allclose(out[1][1], out[0][1], rtol=tol, atol=tol)


def test_sigmoid_double_backward_with_kernels(cp, hooked):
    x = np.linspace(-3, 3, 7)
    res = []
    for dev in ("cpu", "cuda"):
        xt = dg.tensor(x, device=dev, requires_grad=True)
        (g,) = dg.grad(dg.sigmoid(xt).sum(), xt, create_graph=True)
        (gg,) = dg.grad(g.sum(), xt)
        res.append(gg.numpy())
    np.testing.assert_allclose(res[1], res[0], rtol=1e-12)


@pytest.mark.parametrize("rows,cols", [(100, 500), (1000, 10), (5000, 300), (7, 1)])
def test_sum_rows_matches_cupy_sum(cp, rows, cols):
    from deepgrad.kernels import sum_rows

    a = cp.asarray(np.random.default_rng(rows).standard_normal((rows, cols)).astype(np.float32))
    np.testing.assert_allclose(cp.asnumpy(sum_rows(a)), cp.asnumpy(a).astype(np.float64).sum(axis=0), rtol=1e-5,
                               atol=1e-5)
    np.testing.assert_allclose(cp.asnumpy(sum_rows(a.T)), cp.asnumpy(a).sum(axis=1), rtol=1e-4, atol=1e-4)


def test_mlp_step_with_kernels_matches_cpu(cp, hooked):
    from deepgrad import nn, optim

    out = []
    for dev in ("cpu", "cuda"):
        dg.manual_seed(0)
        model = nn.Sequential(nn.Linear(20, 30), nn.Sigmoid(), nn.Linear(30, 30), nn.ReLU(), nn.Linear(30, 4)).to(dev)
        opt = optim.SGD(model.parameters(), lr=0.1)
        rng = np.random.default_rng(0)
        for _ in range(3):
            x = dg.tensor(rng.standard_normal((50, 20)).astype(np.float32), device=dev)
            y = dg.tensor(rng.integers(0, 4, 50), device=dev)
            opt.zero_grad()
            dg.cross_entropy(model(x), y).backward()
            opt.step()
        out.append([p.numpy() for p in model.parameters()])
    for a, b in zip(*out):
        np.testing.assert_allclose(b, a, rtol=1e-4, atol=1e-6)
