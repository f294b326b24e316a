"""benchmarks/bench_gpu.py's deepgrad side runs (``--smoke``): the kernels and the plain CuPy
array code take the same steps from the same start, so the next GPU session's benchmark does not
stop on a broken code path.  Needs CuPy and a GPU, or the CuPy stand-in; and MNIST."""
import numpy as np
import pytest

from deepgrad.backend import cupy_module

pytestmark = [pytest.mark.gpu, pytest.mark.skipif(cupy_module() is None, reason="needs CuPy and a CUDA GPU")]


def test_bench_gpu_smoke():
    pytest.importorskip("torch")
    from deepgrad.data.datasets import DownloadError, load_mnist

    try:
        load_mnist()
    except DownloadError as e:
        pytest.skip(f"MNIST not available: {e}")
    from benchmarks import bench_gpu

    losses = bench_gpu.main(["--smoke", "3", "--only", "mlp100,lenet"])
    for key in ("mlp100", "lenet"):
        fast, plain = losses[(key, "deepgrad")], losses[(key, "deepgrad-array")]
        assert len(fast) == 3 and np.all(np.isfinite(fast))
        np.testing.assert_allclose(fast, plain, rtol=1e-4, err_msg=key)
