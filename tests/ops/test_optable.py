"""Every op of the table: float64 gradcheck and float32 forward+backward against PyTorch."""
from __future__ import annotations

import importlib
import pathlib

import numpy as np
import pytest

import deepgrad as dg
from deepgrad.utils import gradcheck
from tests.ops.optable import as_tuple, differentiable, make_arrays

CASES = []
for path in sorted(pathlib.Path(__file__).parent.glob("cases_*.py")):
    CASES += importlib.import_module(f"tests.ops.{path.stem}").CASES

torch = pytest.importorskip("torch")


def _dg_inputs(case, arrays, requires_grad=True):
    return [dg.Tensor(a.copy(), requires_grad=requires_grad and case.grad and differentiable(case.kinds, i))
            for i, a in enumerate(arrays)]


@pytest.mark.parametrize("case", [c for c in CASES if c.grad and c.gradcheck], ids=str)
def test_gradcheck_float64(case):
    arrays = make_arrays(case, np.float64)
    assert gradcheck(case.dg, _dg_inputs(case, arrays))


def _rel_err(a, b):
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    assert a.shape == b.shape, f"shape {a.shape} vs torch {b.shape}"
    if a.dtype == bool or b.size == 0:
        return 0.0 if np.array_equal(a, b) else 1.0
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-6))


@pytest.mark.parametrize("case", CASES, ids=str)
def test_against_torch_float32(case):
    arrays = make_arrays(case, np.float32)
    xs = _dg_inputs(case, arrays)
    ts = [torch.tensor(a.copy(), requires_grad=case.grad and differentiable(case.kinds, i))
          for i, a in enumerate(arrays)]
    ys = as_tuple(case.dg(*xs))
    tys = as_tuple(case.torch(*ts))
    assert len(ys) == len(tys)
    for y, ty in zip(ys, tys):
        if y.dtype.kind == "f":
            assert y.dtype == np.float32, f"{case.id}: output dtype {y.dtype} (float32 inputs must stay float32)"
        err = _rel_err(y.numpy(), ty.detach().numpy())
        assert err < case.rtol, f"{case.id} forward: relative error {err:.2e}"
    if not case.grad:
        return
    rng = np.random.default_rng(123)
    ws = [rng.standard_normal(ty.shape).astype(np.float32) for ty in tys]
    loss = sum((y * dg.Tensor(w)).sum() for y, w in zip(ys, ws))
    tloss = sum((ty * torch.tensor(w)).sum() for ty, w in zip(tys, ws))
    loss.backward()
    tloss.backward()
    for i, (x, t) in enumerate(zip(xs, ts)):
        if not t.requires_grad:
            continue
        if t.grad is None:
            assert x.grad is None or not np.any(x.grad.numpy()), f"{case.id}: input {i} grad should be zero"
            continue
        assert x.grad is not None, f"{case.id}: no gradient for input {i}"
        assert x.grad.dtype == np.float32, f"{case.id}: grad dtype {x.grad.dtype}"
        err = _rel_err(x.grad.numpy(), t.grad.numpy())
        assert err < case.rtol, f"{case.id} backward input {i}: relative error {err:.2e}"
