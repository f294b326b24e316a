"""The core ops outside the op table on 'cuda' (CuPy, or tests/cupy_emulator.py): each result stays on
the GPU and equals the CPU result."""
import numpy as np
import pytest

import deepgrad as dg
from deepgrad.backend import cupy_module

pytestmark = [pytest.mark.gpu, pytest.mark.skipif(cupy_module() is None, reason="needs CuPy and a CUDA GPU")]

CALLS = [
    lambda x: dg.unique(x.round(), return_inverse=True, return_counts=True),
    lambda x: dg.nonzero(x > 0),
    lambda x: dg.where(x > 0),
    lambda x: dg.repeat_interleave(x, dg.tensor([1, 0, 2], device=x.device), dim=0),
    lambda x: dg.sort(x, dim=0, descending=True),
    lambda x: dg.topk(x, 2),
    lambda x: dg.median(x, 1),
    lambda x: dg.isinf(dg.where(x > 0, float("inf"), x)),
    lambda x: dg.div(x, 0.3, rounding_mode="trunc"),
    lambda x: dg.einsum("ij,ij->i", x, x),
    lambda x: x.new_full((2,), 3.0),
    lambda x: dg.arange(0, 1, 0.3, device=x.device),
    lambda x: dg.masked_select(x, x > 0),
    lambda x: x.index_add(1, dg.tensor([0, 2, 0], device=x.device), x[:, :3]),
    lambda x: dg.tensordot(x, x, dims=([1], [1])),
    lambda x: dg.count_nonzero(x > 0, dim=1),
    lambda x: dg.scatter(x, 1, dg.tensor([[3], [0], [1]], device=x.device), 9.0),
    lambda x: dg.cumprod(x, 1),
    lambda x: dg.logaddexp(x, x.flip(0)),
    lambda x: x.clone().fill_diagonal_(5.0),
    lambda x: x.new_tensor([[1, 2]]),
    lambda x: x.new_zeros(2, dtype=dg.int64),
    lambda x: dg.cummax(x, 1),
    lambda x: dg.cdist(x, x[:2]),
    lambda x: dg.bincount((x > 0).long().sum(1)),
    lambda x: dg.searchsorted(dg.sort(x).values, x[:, :2]),
]


def _flat(out):
    return list(out) if isinstance(out, tuple) else [out]


@pytest.mark.parametrize("i", range(len(CALLS)))
def test_core_calls_on_cuda_match_cpu(i):
    a = np.random.default_rng(i).standard_normal((3, 4)).astype(np.float32)
    cpu = _flat(CALLS[i](dg.tensor(a)))
    gpu = _flat(CALLS[i](dg.tensor(a, device="cuda")))
    assert len(cpu) == len(gpu)
    for c, g in zip(cpu, gpu):
        assert type(g.data).__module__.startswith("cupy"), f"call {i}: result left the GPU"
        assert g.dtype == c.dtype
        np.testing.assert_allclose(g.numpy(), c.numpy(), rtol=1e-6)


def test_recorded_setitem_on_cuda():
    grads = []
    for device in ("cpu", "cuda"):
        w = dg.tensor([1.0, 2.0, 3.0], device=device, requires_grad=True)
        h = dg.zeros(4, device=device)
        h[0] = w[0]
        for i in range(1, 3):
            h[i] = h[i - 1] * w[i]
        (h * h).sum().backward()
        grads.append(w.grad.numpy())
    np.testing.assert_allclose(grads[1], grads[0], rtol=1e-6)


def test_random_draws_on_cuda():
    dg.manual_seed(0)
    x = dg.zeros(4000, device="cuda")
    for out in (x.clone().uniform_(-1.0, 1.0), x.clone().normal_(0.0, 1.0), dg.bernoulli(x + 0.5),
                dg.normal(x, 1.0)):
        assert type(out.data).__module__.startswith("cupy") and out.dtype == np.float32
    draws = dg.multinomial(dg.tensor([[0.0, 1.0, 3.0]], device="cuda"), 2000, replacement=True)
    assert type(draws.data).__module__.startswith("cupy") and draws.dtype == np.int64
    counts = np.bincount(draws.numpy()[0], minlength=3)
    assert counts[0] == 0 and 0.65 < counts[2] / 2000 < 0.85
    perm = dg.multinomial(dg.ones(6, device="cuda"), 6).numpy()
    assert sorted(perm.tolist()) == list(range(6))


def test_new_tensors_follow_device_argument():
    x = dg.tensor([1.0, 2.0], device="cuda")
    assert x.new_tensor([1, 2], device="cpu").device.type == "cpu"
    assert dg.tensor([1.0]).new_ones(2, device="cuda").device.type == "cuda"
    assert x.to(dg.zeros(1, dtype=dg.float64)).device.type == "cpu"


def test_where_of_two_scalars_follows_the_condition_device():
    cond = dg.tensor(np.array([True, False, True]), device="cuda")
    out = dg.where(cond, 1.0, 0.0)
    assert out.device == cond.device and out.dtype == np.float32
    np.testing.assert_array_equal(out.cpu().numpy(), [1.0, 0.0, 1.0])
    assert dg.where(cond, 2, 0).dtype == np.int64
