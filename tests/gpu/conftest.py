"""Every test here needs CuPy and a CUDA GPU; without them the whole folder is skipped."""
import pytest

from deepgrad.backend import cupy_module

collect_ignore_glob = [] if cupy_module() is not None else ["test_*.py"]


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

    prev = kernels.set_enabled(True)
    yield
    kernels.set_enabled(prev)
