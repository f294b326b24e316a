"""The RawKernel sources of ``deepgrad.kernels``, compiled for the host (tests/cuda_host.py): every
one must compile (as C++ with CUDA's keywords shimmed), and the cross-entropy backward, which
reads the count of rows that count on the device, must compute the gradient of the CPU path.
The GPU itself runs them in tests/gpu."""
import ctypes

import numpy as np
import pytest

import deepgrad as dg
from tests.cuda_host import build, ptr


def _sources():
    from deepgrad.kernels import linear, loss, optim, philox

    for tname in ("float", "double"):
        types = f"typedef {tname} T;\ntypedef long long L;\n"
        yield f"loss-{tname}", types + loss._RAW_FORWARD + loss._RAW_BACKWARD
        yield f"optim-{tname}", types + optim._RAW_SGD + optim._RAW_SGD_MOMENTUM + optim._RAW_ADAM
        yield f"linear-{tname}", types + linear._SUM_ROWS
    yield "philox", philox._CODE


SOURCES = dict(_sources())


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_kernel_source_compiles(tmp_path, name):
    build(tmp_path, SOURCES[name], name.replace("-", "_"))


_DRIVER = r"""
extern "C" void ce_backward(const T* prob, const L* t, const T* gy, T* g, long long n, int C, long long ignore,
                            const int* flag, int mean, int per_row) {
    GRID(n, deepgrad_ce_backward(prob, t, gy, g, n, C, ignore, flag, mean, per_row))
}
"""


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_backward_kernel_matches_the_cpu_gradient(tmp_path, reduction):
    from deepgrad.kernels import loss

    so = build(tmp_path, "typedef double T;\ntypedef long long L;\n" + loss._MATH + loss._RAW_BACKWARD + _DRIVER)
    rng = np.random.default_rng(0)
    m, c = 37, 5
    x = rng.standard_normal((m, c))
    t = rng.integers(0, c, m).astype(np.int64)
    t[[3, 10, 11]] = -100  # ignored rows
    xt = dg.tensor(x, requires_grad=True)
    out = dg.cross_entropy(xt, dg.tensor(t), reduction=reduction)
    gy = rng.standard_normal(m) if reduction == "none" else np.array([1.7])
    out.backward(dg.tensor(gy if reduction == "none" else gy.reshape(())))  # float64, as the loss
    prob = np.exp(x - x.max(1, keepdims=True))
    prob /= prob.sum(1, keepdims=True)
    flag = np.array([0, int((t != -100).sum()), 0], np.int32)
    g = np.zeros_like(prob)
    so.ce_backward(ptr(prob), ptr(t), ptr(gy), ptr(g), ctypes.c_longlong(m * c), ctypes.c_int(c),
                   ctypes.c_longlong(-100), ptr(flag), ctypes.c_int(reduction == "mean"),
                   ctypes.c_int(reduction == "none"))
    np.testing.assert_allclose(g, xt.grad.numpy(), rtol=1e-12, atol=1e-14)
