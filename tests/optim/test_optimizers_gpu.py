"""The same updates on CuPy arrays (skipped without a CUDA GPU): results equal the NumPy run."""
from __future__ import annotations

import numpy as np
import pytest

import deepgrad as dg
from deepgrad.backend import cupy_module
from tests.optim._model import fixed_grads, make_arrays
from tests.optim.test_optimizer_base import ALL, IDS

pytestmark = pytest.mark.gpu


@pytest.mark.parametrize("cls,kwargs", ALL, ids=IDS)
def test_cupy_update_equals_numpy_update(cls, kwargs):
    cp = cupy_module()
    if cp is None:
        pytest.skip("needs CuPy and a CUDA GPU")
    _, _, arrays = make_arrays()
    grads = fixed_grads(steps=5)
    cpu = [dg.Tensor(a.copy(), requires_grad=True) for a in arrays]
    gpu = [dg.Tensor(cp.asarray(a), requires_grad=True) for a in arrays]
    ids = [id(p.data) for p in gpu]
    opt_cpu, opt_gpu = cls(cpu, **kwargs), cls(gpu, **kwargs)
    for gs in grads:
        for p, q, g in zip(cpu, gpu, gs):
            p.grad = dg.Tensor(g)
            q.grad = dg.Tensor(cp.asarray(g))
        opt_cpu.step()
        opt_gpu.step()
    assert [id(p.data) for p in gpu] == ids
    for p, q in zip(cpu, gpu):
        assert q.data.dtype == np.float32 and type(q.data).__module__.startswith("cupy")
        np.testing.assert_allclose(cp.asnumpy(q.data), p.data, rtol=1e-5, atol=1e-6)
    # the state round-trips onto the GPU too
    fresh = cls([dg.Tensor(q.data.copy(), requires_grad=True) for q in gpu], **kwargs)
    fresh.load_state_dict(opt_cpu.state_dict())  # NumPy state -> CuPy parameters
    for st in fresh.state.values():
        for v in st.values():
            assert isinstance(v, (int, float)) or type(v).__module__.startswith("cupy")
