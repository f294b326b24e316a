"""Every test here needs CuPy and a CUDA GPU; without them the whole folder is skipped.  Under
tests/cupy_emulator.py (no GPU) the kernels run compiled for the CPU; without a C++ compiler only
the device-placement tests run."""
import pytest

from deepgrad.backend import cupy_module
from tests.cupy_emulator import runs_kernels

if cupy_module() is None:
    collect_ignore_glob = ["test_*.py"]
elif not runs_kernels(cupy_module()):
    collect_ignore_glob = ["test_fused_*.py", "test_kernels_*.py"]
else:
    collect_ignore_glob = []


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/gpu/" in str(item.fspath).replace("\\", "/"):
            item.add_marker(pytest.mark.gpu)


@pytest.fixture
def cp():
    mod = cupy_module()
    if mod is None:
        pytest.skip("needs CuPy and a CUDA GPU")
    return mod


@pytest.fixture
def kernels_on():
    """Run with deepgrad's hand-written kernels enabled (and restore the setting)."""
    from deepgrad import kernels

    if not runs_kernels(cupy_module()):
        pytest.skip("launches CUDA kernels: needs a GPU, or the CuPy emulator with a C++ compiler")
    prev = kernels.set_enabled(True)
    yield
    kernels.set_enabled(prev)
