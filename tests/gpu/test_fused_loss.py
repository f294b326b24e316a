"""The fused softmax + cross entropy kernel against the array code (kernels off) and PyTorch CUDA."""
import numpy as np
import pytest

import deepgrad as dg
from deepgrad import kernels
from deepgrad.ops.loss import FusedCrossEntropy


def _run(x, y, enabled, **kw):
    prev = kernels.set_enabled(enabled)
    try:
        xt = dg.tensor(x, device="cuda", requires_grad=True)
        loss = dg.cross_entropy(xt, dg.tensor(y, device="cuda"), **kw)
        fused = isinstance(loss.creator, FusedCrossEntropy) or (
            loss.creator is not None and any(isinstance(i.creator, FusedCrossEntropy) for i in loss.creator.inputs))
        gw = np.linspace(0.5, 1.5, loss.data.size, dtype=np.float32).reshape(loss.shape)
        if loss.data.size == 1:  # a scalar loss: d loss / d x itself
            gw = np.ones(loss.shape, np.float32)
        (loss * dg.tensor(gw, device="cuda")).sum().backward()
        return loss.numpy(), xt.grad.numpy(), fused
    finally:
        kernels.set_enabled(prev)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("ldtype", [np.int64, np.uint8, np.int32])
@pytest.mark.parametrize("ignore", [False, True])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fused_equals_array_code(cp, reduction, ldtype, ignore, dtype):
    rng = np.random.default_rng(0)
    x = (4 * rng.standard_normal((37, 10))).astype(dtype)
    y = rng.integers(0, 10, 37).astype(ldtype)
    kw = {"reduction": reduction}
    if ignore:
        y[[3, 7, 20]] = 9
        kw["ignore_index"] = 9
    l_ref, g_ref, fused_ref = _run(x, y, False, **kw)
    l_fast, g_fast, fused = _run(x, y, True, **kw)
    assert fused and not fused_ref
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(l_fast, l_ref, rtol=tol, atol=tol)
    np.testing.assert_allclose(g_fast, g_ref, rtol=tol, atol=tol)


@pytest.mark.parametrize("reduction", ["mean", "none"])
def test_fused_large_batch_path_equals_array_code(cp, reduction):
    """More rows than one thread block takes: the elementwise kernel plus a reduction."""
    rng = np.random.default_rng(3)
    x = (3 * rng.standard_normal((9000, 3))).astype(np.float32)
    y = rng.integers(0, 3, 9000)
    y[::7] = -100
    l_ref, g_ref, _ = _run(x, y, False, reduction=reduction)
    l_fast, g_fast, fused = _run(x, y, True, reduction=reduction)
    assert fused
    np.testing.assert_allclose(l_fast, l_ref, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(g_fast, g_ref, rtol=1e-5, atol=1e-6)


def test_fused_matches_torch_cuda_and_nd_input(cp):
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("PyTorch without CUDA")
    rng = np.random.default_rng(1)
    x = (3 * rng.standard_normal((6, 5, 4))).astype(np.float32)  # (N, C, d1)
    y = rng.integers(0, 5, (6, 4))
    loss, g, fused = _run(x, y, True)
    assert fused
    tx = torch.tensor(x, device="cuda", requires_grad=True)
    tl = torch.nn.functional.cross_entropy(tx, torch.tensor(y, device="cuda"))
    tl.backward()
    np.testing.assert_allclose(loss, tl.item(), rtol=1e-5)
    np.testing.assert_allclose(g, tx.grad.cpu().numpy(), rtol=1e-4, atol=1e-6)


def test_fused_bad_label_raises_the_cpu_message_at_the_next_sync(cp, kernels_on):
    """The kernel checks the labels on the device, so the op does not wait for the GPU; the error
    comes, once, at the next read back to the host, whichever it is."""
    x = dg.randn(4, 3, device="cuda", requires_grad=True)
    bad = dg.tensor(np.array([0, 1, 3, 2]), device="cuda")
    good = dg.tensor(np.array([0, 1, 2, 2]), device="cuda")
    for sync in (lambda t: t.item(), lambda t: t.numpy(), lambda t: dg.cuda.synchronize(), lambda t: float(t)):
        loss = dg.cross_entropy(x, bad)
        with pytest.raises(ValueError, match="cross_entropy: target label 3 is out of range for 3 classes "
                                             r"\(expected 0 <= label < 3 or ignore_index=-100\)"):
            sync(loss)
        assert np.isfinite(dg.cross_entropy(x, good).item())  # reported once
    big = dg.randn(9000, 3, device="cuda")  # the large-batch kernel reports the same way
    labels = np.zeros(9000, np.int64)
    labels[4321] = -7
    loss = dg.cross_entropy(big, dg.tensor(labels, device="cuda"), reduction="sum")
    with pytest.raises(ValueError, match="target label -7 is out of range for 3 classes"):
        loss.item()


def test_fused_double_backward_matches_cpu(cp, kernels_on):
    rng = np.random.default_rng(2)
    x = rng.standard_normal((5, 4)).astype(np.float64)
    y = rng.integers(0, 4, 5)
    out = []
    for dev in ("cpu", "cuda"):
        xt = dg.tensor(x, device=dev, requires_grad=True)
        loss = dg.cross_entropy(xt, dg.tensor(y, device=dev))
        (g,) = dg.grad(loss, xt, create_graph=True)
        (gg,) = dg.grad((g * g).sum(), xt)
        out.append((loss.numpy(), g.numpy(), gg.numpy()))
    for a, b in zip(*out):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
