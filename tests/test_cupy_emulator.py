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


def test_kernels_compiled_for_the_cpu_follow_cupys_rules(cp):
    from tests import cupy_emulator_kernels as kernels

    if kernels.compiler() is None:
        pytest.skip("needs a C++ compiler")
    x = cp.asarray(np.arange(6, dtype=np.float32).reshape(2, 3))
    b = cp.asarray(np.array([10.0, 20.0, 30.0], np.float32))
    k = cp.ElementwiseKernel("T x, T b, raw T r, int32 s", "T y", "y = x * s + b + r[i % 3]", "emu_test")
    y = k(x, b, b, 2)  # b broadcast over the rows; r indexed flat; y allocated with the broadcast shape
    np.testing.assert_array_equal(y.get(), np.arange(6).reshape(2, 3) * 2 + 2 * np.array([10, 20, 30]))
    code = """
extern "C" __global__ void emu_scale(float* a, long long n, float s) {
    const long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) a[i] *= s;
}"""
    raw = cp.RawKernel(code, "emu_scale")
    a = cp.asarray(np.ones(300, np.float32))
    raw((2,), (256,), (a, np.int64(300), np.float32(3)))
    np.testing.assert_array_equal(a.get(), np.full(300, 3, np.float32))
    with pytest.raises(TypeError, match="declared 'float s' .4 bytes. but given"):
        raw((2,), (256,), (a, np.int64(300), np.float64(3)))  # a GPU would read the wrong bytes
    with pytest.raises(TypeError, match="needs a device array"):
        raw((2,), (256,), (np.ones(3, np.float32), np.int64(3), np.float32(1)))
    red = cp.ReductionKernel("T x, T s", "T y", "x", "a + b", "y = a * s", "0", "emu_sum")
    assert float(red(x, np.float32(0.5)).get()) == 7.5
