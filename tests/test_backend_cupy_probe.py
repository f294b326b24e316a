"""How deepgrad decides that there is a GPU: CuPy importable, CUDA working, at least one device.
Each failure gives a device error that says which one it was."""
import sys
import types

import pytest

import deepgrad as dg
from deepgrad import backend


@pytest.fixture
def fake_cupy(monkeypatch):
    def install(module):
        monkeypatch.setitem(sys.modules, "cupy", module)
        monkeypatch.setattr(backend, "_cupy_checked", False)
        monkeypatch.setattr(backend, "_cupy", None)

    return install  # monkeypatch puts sys.modules and the cached answer back afterwards


def _cupy_with(count):
    runtime = types.SimpleNamespace(getDeviceCount=count)
    return types.SimpleNamespace(__version__="14.2.0", cuda=types.SimpleNamespace(runtime=runtime))


def _no_driver():
    raise RuntimeError("cudaErrorInsufficientDriver: CUDA driver version is insufficient")


@pytest.mark.parametrize("module,reason", [
    (None, "CuPy is not installed"),  # sys.modules[name] = None makes the import fail
    (_cupy_with(_no_driver), "CuPy 14.2.0 is installed but CUDA does not work: cudaErrorInsufficientDriver"),
    (_cupy_with(lambda: 0), "CuPy 14.2.0 is installed but CUDA sees no GPU"),
])
def test_no_gpu_reasons(fake_cupy, module, reason):
    fake_cupy(module)
    assert not dg.cuda.is_available()
    assert dg.cuda.device_count() == 0
    with pytest.raises(RuntimeError, match=r"device cuda:0: CuPy with a working CUDA GPU is not available \(" + reason):
        dg.zeros(2, device="cuda")


def test_a_gpu_is_found(fake_cupy):
    module = _cupy_with(lambda: 2)
    fake_cupy(module)
    assert backend.cupy_module() is module


def test_cuda_n_makes_gpu_n_current_on_a_machine_with_several(fake_cupy):
    """CuPy allocates and launches on its current device: cuda:1 must select GPU 1 (2 GPUs here)."""
    current = [0]
    runtime = types.SimpleNamespace(getDeviceCount=lambda: 2, getDevice=lambda: current[0],
                                    setDevice=lambda i: current.__setitem__(0, i))
    fake_cupy(types.SimpleNamespace(__version__="14.2.0", cuda=types.SimpleNamespace(runtime=runtime)))
    assert backend.Device("cuda:1").xp is not None and current == [1]
    assert backend.Device("cuda").xp is not None and current == [0]
    with pytest.raises(RuntimeError, match=r"device cuda:2: no such CUDA device; this machine has 2 \(cuda:0 to"):
        _ = backend.Device("cuda:2").xp


def test_memory_stats_read_cupys_pool(fake_cupy):
    pool = types.SimpleNamespace(used_bytes=lambda: 1024, total_bytes=lambda: 4096, freed=[],
                                 free_all_blocks=lambda: pool.freed.append(True))
    module = _cupy_with(lambda: 1)
    module.get_default_memory_pool = lambda: pool
    fake_cupy(module)
    assert dg.cuda.memory_allocated() == 1024
    assert dg.cuda.memory_reserved() == dg.cuda.max_memory_allocated() == dg.cuda.max_memory_reserved() == 4096
    dg.cuda.reset_peak_memory_stats()
    assert pool.freed == [True]


def test_memory_stats_are_0_without_a_gpu(fake_cupy):
    fake_cupy(None)
    assert dg.cuda.memory_allocated() == dg.cuda.max_memory_allocated() == dg.cuda.memory_reserved() == 0
