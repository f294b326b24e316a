"""The CPU stand-in for CuPy (tests/cupy_emulator.py) keeps CuPy's rules, so the GPU suites it runs
catch what a GPU would: these tests run on a fresh emulated module, without installing it."""
import numpy as np
import pytest

from tests import cupy_emulator


@pytest.fixture(scope="module")
def cp():
    return cupy_emulator.build()["cupy"]


def test_device_arrays_refuse_host_arrays(cp):
    a = cp.asarray(np.arange(3.0))
    host = np.ones(3)
    for f in (lambda: a + host, lambda: host * a, lambda: cp.maximum(a, host), lambda: cp.concatenate([a, host]),
              lambda: cp.where(host > 0, a, 0.0), lambda: np.add(host, a)):
        with pytest.raises(TypeError, match="Unsupported type"):
            f()
    with pytest.raises(TypeError, match="Implicit conversion"):
        np.asarray(a)


def test_device_results_stay_on_the_device(cp):
    a = cp.asarray(np.arange(6.0).reshape(2, 3))
    assert type(a).__module__.startswith("cupy") and not isinstance(a, np.ndarray)
    for r in (a + 1, a * np.float32(2), a.sum(), a[0, 1], a.max(axis=0), cp.exp(a), np.sum(a), a.T, a @ a.T,
              cp.random.default_rng(0).random((2,)), cp.lib.stride_tricks.as_strided(a, (3,), (8,))):
        assert type(r) is cupy_emulator.ndarray, r
    assert a.sum().ndim == 0 and float(a.sum()) == 15.0 and a.max().item() == 5.0
    np.testing.assert_array_equal(a.get(), np.arange(6.0).reshape(2, 3))
    np.testing.assert_array_equal(cp.asnumpy(cp.exp(a)), np.exp(np.arange(6.0).reshape(2, 3)))


def test_in_place_updates_and_out_arguments(cp):
    a = cp.zeros((2, 2), dtype=np.float32)
    b = a
    a += 1
    cp.multiply(a, 3, out=a)
    a[0] = cp.asarray(np.array([5.0, 6.0], np.float32))
    cp.add.at(a, (cp.asarray(np.array([1, 1])), 0), 1.0)
    assert b is a and a.dtype == np.float32
    np.testing.assert_array_equal(a.get(), [[5, 6], [5, 3]])
