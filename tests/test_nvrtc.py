"""Every CUDA kernel deepgrad can launch, compiled by NVIDIA's NVRTC for the H100 (sm_90) with the
options CuPy passes, on this machine without a GPU (tests/nvrtc.py).  The element-wise and reduction
kernels are compiled the same way, in CuPy's templates, whenever the CuPy stand-in builds one
(tests/cupy_emulator_kernels.py), so the gpu suite in ``make test`` covers those as launched."""
import numpy as np
import pytest

from deepgrad.kernels import _compile, activation, conv, linear, loss, optim, philox, pool
from tests import nvrtc


@pytest.fixture(autouse=True)
def _need_nvrtc():
    if nvrtc.mode() == "off":
        pytest.skip("DEEPGRAD_TEST_NVRTC=0")
    if not nvrtc.available():
        if nvrtc.mode() == "required":
            pytest.fail("DEEPGRAD_TEST_NVRTC=1 but NVRTC / CuPy's headers are missing (pip install -e '.[test]')")
        pytest.skip("NVRTC (nvidia-cuda-nvrtc) and CuPy's headers (cupy-cuda13x) are not installed")


FLOATS = ["float", "double"]
# label types the fused cross entropy takes (kernels._compile.ctype of any integer dtype)
LABELS = ["long long", "int", "short", "signed char", "unsigned char", "unsigned short", "unsigned int",
          "unsigned long long"]


def _cases():
    for t in FLOATS:
        for name in ("deepgrad_sigmoid_raw", "deepgrad_sigmoid_backward_raw", "deepgrad_relu_backward_raw"):
            yield name, activation._RAW, {"T": t}, ()
        for name in ("deepgrad_im2col_raw", "deepgrad_col2im_raw"):
            yield name, conv._RAW, {"T": t}, ()
        for i in pool._RAW_INDEX.values():
            for name in ("deepgrad_max_pool2d_raw", "deepgrad_max_pool2d_backward_raw"):
                yield name, pool._RAW, {"T": t, "I": i}, ()
        yield "deepgrad_sum_rows", linear._SUM_ROWS, {"T": t}, ()
        for lt in LABELS:
            yield "deepgrad_ce_forward", loss._RAW_FORWARD, {"T": t, "L": lt}, ()
            yield "deepgrad_ce_backward", loss._RAW_BACKWARD, {"T": t, "L": lt}, ()
        yield "deepgrad_sgd", optim._RAW_SGD, {"T": t}, optim._OPTIONS
        yield "deepgrad_sgd_momentum", optim._RAW_SGD_MOMENTUM, {"T": t}, optim._OPTIONS
        yield "deepgrad_adam", optim._RAW_ADAM, {"T": t}, optim._OPTIONS
    for name in ("deepgrad_philox", "deepgrad_philox_uniform32"):
        yield name, philox._CODE, {}, ()


CASES = list(_cases())


@pytest.mark.parametrize("name,code,types,options", CASES,
                         ids=[f"{c[0]}-{'-'.join(c[2].values()).replace(' ', '_') or 'u32'}" for c in CASES])
def test_raw_kernel_compiles_for_the_h100(name, code, types, options):
    """Compiles, and fits a launch of 256 threads (every deepgrad launch): 65536 registers per block,
    48 KiB of static shared memory; no register spills to local memory."""
    use = nvrtc.resources(_compile.raw_source(code, types), name, options)
    assert use["registers"] * 256 <= 65536, use
    assert use["smem"] <= 48 * 1024, use
    assert use["spill"] == 0, use


def test_every_raw_kernel_in_deepgrad_is_in_the_table():
    import re

    sources = [activation._RAW, conv._RAW, pool._RAW, linear._SUM_ROWS, loss._RAW_FORWARD, loss._RAW_BACKWARD,
               optim._RAW_SGD, optim._RAW_SGD_MOMENTUM, optim._RAW_ADAM, philox._CODE]
    defined = {n for s in sources for n in re.findall(r'extern\s+"C"\s+__global__\s+void\s+(\w+)', s)}
    assert defined == {c[0] for c in CASES}


def test_nvrtc_rejects_a_broken_kernel_with_its_log():
    with pytest.raises(nvrtc.NvrtcError, match="undefined_fn"):
        nvrtc.compile_cuda('extern "C" __global__ void k(float* x) { x[0] = undefined_fn(1); }', "k")


def test_nvrtc_check_reports_a_missing_kernel_name():
    with pytest.raises(nvrtc.NvrtcError, match="no extern"):
        nvrtc.compile_cuda('extern "C" __global__ void k(float* x) { x[0] = 1.f; }', "not_k")


def test_a_host_only_call_in_a_kernel_does_not_compile():
    # what g++ accepts (the CPU stand-in) but a GPU cannot run: a host function in device code
    src = '#include <cstdio>\nextern "C" __global__ void k(float* x) { FILE* f = fopen("a", "r"); x[0] = 1.f; }'
    with pytest.raises(nvrtc.NvrtcError):
        nvrtc.compile_cuda(src, "k")


def test_the_stand_in_compiles_elementwise_kernels_with_nvrtc_in_cupys_template(monkeypatch):
    """An ElementwiseKernel body that g++ accepts (the CPU stand-in) but that is not CUDA fails when
    the stand-in builds it; a valid one with a raw parameter runs."""
    from tests import cupy_emulator, cupy_emulator_kernels

    if cupy_emulator_kernels.compiler() is None:
        pytest.skip("no C++ compiler for the stand-in's kernels")
    monkeypatch.setenv("DEEPGRAD_TEST_NVRTC", "1")
    cp = cupy_emulator.build()["cupy"]
    x = cp.asarray(np.arange(4, dtype=np.float32))
    good = cupy_emulator_kernels.ElementwiseKernel("T x, raw T w, float32 s", "T y",
                                                   "y = x * w[i % 2] + (T)s", "dg_ok")
    np.testing.assert_allclose(cp.asnumpy(good(x, cp.asarray(np.array([1, 2], np.float32)), np.float32(0.5))),
                               [0.5, 2.5, 2.5, 6.5])
    bad = cupy_emulator_kernels.ElementwiseKernel("T x", "T y", "std::this_thread::yield(); y = x", "dg_bad")
    with pytest.raises(nvrtc.NvrtcError, match="this_thread"):
        bad(x)
    red = cupy_emulator_kernels.ReductionKernel("T x", "T y", "x", "std::this_thread::yield(), a + b", "y = a",
                                                "0", "dg_bad_sum")
    with pytest.raises(nvrtc.NvrtcError, match=r"dg_bad_sum\.cu\(\d+\): error"):
        red(x)
