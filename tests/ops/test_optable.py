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

# The table runs on the CPU always and on a GPU when CuPy sees one (compared with torch CUDA).
DEVICES = ["cpu"] + ([pytest.param("cuda", marks=pytest.mark.gpu)] if dg.cuda.is_available() else [])


def _dg_inputs(case, arrays, requires_grad=True, device="cpu"):
    return [dg.Tensor(a.copy(), device=device,
                      requires_grad=requires_grad and case.grad and differentiable(case.kinds, i))
            for i, a in enumerate(arrays)]


def _torch_device(device):
    return "cuda" if device == "cuda" and torch.cuda.is_available() else "cpu"


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


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("case", CASES, ids=str)
def test_against_torch_float32(case, device):
    arrays = make_arrays(case, np.float32)
    xs = _dg_inputs(case, arrays, device=device)
    tdev = _torch_device(device)
    ts = [torch.tensor(a.copy(), device=tdev, requires_grad=case.grad and differentiable(case.kinds, i))
          for i, a in enumerate(arrays)]
    ys = as_tuple(case.dg(*xs))
    tys = as_tuple(case.torch(*ts))
    assert len(ys) == len(tys)
    for y, ty in zip(ys, tys):
        if y.dtype.kind == "f":
            assert y.dtype == np.float32, f"{case.id}: output dtype {y.dtype} (float32 inputs must stay float32)"
        assert str(y.device).split(":")[0] == device, f"{case.id}: output left {device}"
        err = _rel_err(y.numpy(), ty.detach().cpu().numpy())
        assert err < case.rtol, f"{case.id} forward: relative error {err:.2e}"
    if not case.grad:
        return
    rng = np.random.default_rng(123)
    ws = [rng.standard_normal(ty.shape).astype(np.float32) for ty in tys]
    loss = sum((y * dg.Tensor(w, device=device)).sum() for y, w in zip(ys, ws))
    tloss = sum((ty * torch.tensor(w, device=tdev)).sum() for ty, w in zip(tys, ws))
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
        err = _rel_err(x.grad.numpy(), t.grad.cpu().numpy())
        assert err < case.rtol, f"{case.id} backward input {i}: relative error {err:.2e}"
