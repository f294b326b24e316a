"""Fused GPU optimizer updates follow the CPU trajectory, and the array path on the GPU."""
import numpy as np
import pytest

import deepgrad as dg
from deepgrad import kernels, optim

CONFIGS = [
    (optim.SGD, dict(lr=0.1)),
    (optim.SGD, dict(lr=0.1, weight_decay=0.01, maximize=True)),
    (optim.SGD, dict(lr=0.05, momentum=0.9)),
    (optim.SGD, dict(lr=0.05, momentum=0.9, dampening=0.3, weight_decay=1e-3)),
    (optim.SGD, dict(lr=0.05, momentum=0.9, nesterov=True)),
    (optim.Adam, dict(lr=1e-2)),
    (optim.Adam, dict(lr=1e-2, weight_decay=0.1, amsgrad=True)),
    (optim.Adam, dict(lr=1e-2, maximize=True)),
    (optim.AdamW, dict(lr=1e-2, weight_decay=0.1)),
    (optim.AdamW, dict(lr=1e-2, amsgrad=True)),
]
IDS = [f"{c.__name__}-{'-'.join(f'{k}={v}' for k, v in kw.items())}" for c, kw in CONFIGS]


def _train(cls, kwargs, device, steps=25):
    rng = np.random.default_rng(0)
    w0 = rng.standard_normal((7, 5)).astype(np.float32)
    b0 = rng.standard_normal(7).astype(np.float32)
    x = dg.tensor(rng.standard_normal((16, 5)).astype(np.float32), device=device)
    y = dg.tensor(rng.integers(0, 7, 16), device=device)
    w = dg.tensor(w0, device=device, requires_grad=True)
    b = dg.tensor(b0, device=device, requires_grad=True)
    opt = cls([w, b], **kwargs)
    ids = (id(w.data), id(b.data))
    for _ in range(steps):
        opt.zero_grad()
        dg.cross_entropy(dg.linear(x, w, b), y).backward()
        opt.step()
    assert (id(w.data), id(b.data)) == ids  # updated in place
    return w.numpy(), b.numpy(), opt


@pytest.mark.parametrize("cls,kwargs", CONFIGS, ids=IDS)
def test_fused_update_follows_cpu_and_array_path(cp, cls, kwargs):
    wc, bc, _ = _train(cls, kwargs, "cpu")
    prev = kernels.set_enabled(False)
    try:
        wa, ba, _ = _train(cls, kwargs, "cuda")
    finally:
        kernels.set_enabled(True)
    wf, bf, opt = _train(cls, kwargs, "cuda")
    kernels.set_enabled(prev)
    for got in ((wf, bf), (wa, ba)):
        np.testing.assert_allclose(got[0], wc, rtol=2e-5, atol=2e-6)
        np.testing.assert_allclose(got[1], bc, rtol=2e-5, atol=2e-6)
    np.testing.assert_allclose(wf, wa, rtol=2e-5, atol=2e-6)
    for st in opt.state.values():  # state stays on the GPU, step a Python int
        for k, v in st.items():
            assert isinstance(v, int) if k == "step" else type(v).__module__.startswith("cupy"), k


@pytest.mark.parametrize("cls,kwargs", [CONFIGS[2], CONFIGS[5], CONFIGS[8]], ids=[IDS[2], IDS[5], IDS[8]])
def test_fused_update_matches_torch_cuda(cp, cls, kwargs):
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("PyTorch without CUDA")
    rng = np.random.default_rng(3)
    p0 = rng.standard_normal((64, 33)).astype(np.float32)
    grads = [rng.standard_normal(p0.shape).astype(np.float32) for _ in range(10)]
    p = dg.tensor(p0, device="cuda", requires_grad=True)
    tp = torch.tensor(p0, device="cuda", requires_grad=True)
    opt = cls([p], **kwargs)
    topt = getattr(torch.optim, cls.__name__)([tp], **kwargs, foreach=False)
    for g in grads:
        p.grad = dg.tensor(g, device="cuda")
        tp.grad = torch.tensor(g, device="cuda")
        opt.step()
        topt.step()
    np.testing.assert_allclose(p.numpy(), tp.detach().cpu().numpy(), rtol=1e-5, atol=1e-6)
