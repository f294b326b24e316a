"""Where CuPy 14 differs from NumPy, deepgrad on 'cuda' still behaves as on the CPU (PyTorch's rules):
out-of-bounds integer indices raise instead of wrapping around, and the ops CuPy lacks a routine for
(``maximum.accumulate``, ``unique(axis=)``) still work.  Runs on CuPy or tests/cupy_emulator.py."""
import numpy as np
import pytest

import deepgrad as dg
from deepgrad.backend import cupy_module

pytestmark = [pytest.mark.gpu, pytest.mark.skipif(cupy_module() is None, reason="needs CuPy and a CUDA GPU")]

X = np.arange(24.0, dtype=np.float32).reshape(2, 3, 4)
BAD_INDICES = [
    (lambda d: dg.tensor([2], device=d),),
    (slice(None), lambda d: dg.tensor([0, 3], device=d)),
    (Ellipsis, lambda d: dg.tensor([-5], device=d)),
    (None, 0, [1, 3]),
    (lambda d: dg.tensor([True, False], device=d), lambda d: dg.tensor([4], device=d)),
]


def _index(index, device):
    return tuple(i(device) if callable(i) else i for i in index)


def _error(fn):
    with pytest.raises(IndexError) as info:
        fn()
    return str(info.value)


def _gpu_error(fn):
    """The IndexError of a bad index on the GPU: at once for a host index, else at the next host read
    (the check runs on the device, no sync), here ``deepgrad.cuda.synchronize()``."""
    try:
        fn()
    except IndexError as e:
        return str(e)
    with pytest.raises(IndexError) as info:
        dg.cuda.synchronize()
    return str(info.value)


@pytest.mark.parametrize("index", BAD_INDICES)
def test_out_of_bounds_indices_raise_as_on_the_cpu(index):
    """CuPy wraps a bad integer-array index around (a[[5]] is a[[2]] for 3 rows): silent garbage."""
    messages = []
    for d, error in (("cpu", _error), ("cuda", _gpu_error)):
        x = dg.tensor(X, device=d)
        get = error(lambda: x[_index(index, d)])
        put = error(lambda: x.__setitem__(_index(index, d), 1.0))
        w = dg.tensor(X, device=d, requires_grad=True) * 1.0  # recorded setitem (SetItem)
        recorded = error(lambda: w.__setitem__(_index(index, d), 1.0))
        messages.append((get, put, recorded))
    for cpu, gpu in zip(*messages):  # the CPU's words; the GPU's may add where it was found
        assert gpu.startswith(cpu.split(" (tensor shape")[0]), (cpu, gpu)
    assert "out of bounds" in messages[1][0] and messages[1][1].startswith("setitem:")
    np.testing.assert_array_equal(dg.tensor(X, device="cuda")[:, dg.tensor([2], device="cuda")].cpu().numpy(),
                                  X[:, [2]])  # in-bounds indices are untouched


def test_a_device_index_is_checked_without_a_sync(monkeypatch):
    """No host read while indexing with a device index array; the check waits for the next one."""
    import deepgrad.backend

    x = dg.tensor(X, device="cuda")
    idx = dg.tensor([0, 1, 1], device="cuda")
    with monkeypatch.context() as m:
        m.setattr(deepgrad.backend, "as_numpy", lambda a: pytest.fail("read back from the GPU"))
        y = x[:, idx]
    np.testing.assert_array_equal(y.numpy(), X[:, [0, 1, 1]])
    bad = [x[dg.tensor([i], device="cuda")] for i in (0, 1, 2, 1)]  # 2 is out of bounds for 2 rows
    assert len(bad) == 4
    with pytest.raises(IndexError, match=r"getitem: index 2 is out of bounds for axis 0 with size 2"):
        bad[0].numpy()
    dg.cuda.synchronize()  # nothing left over


def test_cummax_cummin_stay_on_the_device(monkeypatch):
    """CuPy has no maximum/minimum.accumulate: deepgrad scans on the device, never through the host."""
    import deepgrad.backend

    x = np.random.default_rng(0).integers(0, 6, (3, 37)).astype(np.float32)
    x[1, 5] = np.nan
    want = [(dg.cummax(dg.tensor(x), d), dg.cummin(dg.tensor(x), d)) for d in (0, 1)]
    with monkeypatch.context() as m:
        m.setattr(deepgrad.backend, "as_numpy", lambda a: pytest.fail("went through the host"))
        got = [(dg.cummax(dg.tensor(x, device="cuda"), d), dg.cummin(dg.tensor(x, device="cuda"), d)) for d in (0, 1)]
    for (wmax, wmin), (gmax, gmin) in zip(want, got):
        for w, g in ((wmax, gmax), (wmin, gmin)):
            assert g.values.device.type == "cuda"
            np.testing.assert_array_equal(g.values.cpu().numpy(), w.values.numpy())
            np.testing.assert_array_equal(g.indices.cpu().numpy(), w.indices.numpy())


def test_unique_with_dim_on_the_gpu():
    x = np.array([[1, 2], [0, 5], [1, 2], [0, 5], [3, 3]], np.int64)
    want = dg.unique(dg.tensor(x), dim=0, return_inverse=True, return_counts=True)
    got = dg.unique(dg.tensor(x, device="cuda"), dim=0, return_inverse=True, return_counts=True)
    for w, g in zip(want, got):
        assert g.device.type == "cuda"
        np.testing.assert_array_equal(g.cpu().numpy(), w.numpy())
    assert dg.unique(dg.tensor(x, device="cuda"), dim=1).shape == (5, 2)
