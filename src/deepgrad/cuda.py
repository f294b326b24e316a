"""``deepgrad.cuda``: is a GPU there, how many, wait for it.  CuPy is imported only here and in
``deepgrad.backend``, lazily, so ``import deepgrad`` never needs it."""
from __future__ import annotations

from deepgrad.backend import cupy_module


def is_available() -> bool:
    """True when CuPy is installed and sees at least one CUDA device."""
    cp = cupy_module()
    if cp is None:
        return False
    try:
        return cp.cuda.runtime.getDeviceCount() > 0
    except Exception:  # noqa: BLE001 - no driver, no device
        return False


def device_count() -> int:
    cp = cupy_module()
    if cp is None:
        return 0
    try:
        return int(cp.cuda.runtime.getDeviceCount())
    except Exception:  # noqa: BLE001
        return 0


def synchronize(device=None):
    """Wait until every kernel queued on the GPU has finished (timing needs it)."""
    cp = cupy_module()
    if cp is None:
        return
    if device is None:
        cp.cuda.get_current_stream().synchronize()
        cp.cuda.Device().synchronize()
    else:
        from deepgrad.backend import Device

        with cp.cuda.Device(Device(device).index or 0):
            cp.cuda.Device().synchronize()
    from deepgrad.backend import run_gpu_checks

    run_gpu_checks()  # errors the GPU recorded meanwhile (an out-of-range label) are raised here


def _pool():
    cp = cupy_module()
    return None if cp is None else cp.get_default_memory_pool()


def memory_allocated() -> int:
    """Bytes of GPU memory in use by arrays now (CuPy's pool: ``used_bytes``; 0 without a GPU)."""
    pool = _pool()
    return 0 if pool is None else int(pool.used_bytes())


def memory_reserved() -> int:
    """Bytes CuPy's memory pool holds: in use plus freed blocks kept for reuse (0 without a GPU)."""
    pool = _pool()
    return 0 if pool is None else int(pool.total_bytes())


def max_memory_allocated() -> int:
    """The peak of GPU memory since the last ``reset_peak_memory_stats()``/``empty_cache()``, as
    an upper bound: CuPy's pool keeps every block it allocated for reuse, so what it holds is the
    most that was in use at once, rounded up to its block sizes.  (An exact peak, as torch's, would
    need a Python hook on every allocation.)"""
    return memory_reserved()


max_memory_reserved = max_memory_allocated


def reset_peak_memory_stats():
    """Start a new peak: frees the pool's unused blocks (see ``max_memory_allocated``)."""
    empty_cache()


def empty_cache():
    cp = cupy_module()
    if cp is not None:
        cp.get_default_memory_pool().free_all_blocks()


def get_rng_state() -> dict:
    """The GPU generator's state (Philox key and counter), as ``torch.cuda.get_rng_state``."""
    from deepgrad.random import get_cuda_rng_state

    return get_cuda_rng_state()


def set_rng_state(state: dict):
    """Restore what ``get_rng_state`` returned: the GPU draws the same numbers again."""
    from deepgrad.random import set_cuda_rng_state

    set_cuda_rng_state(state)


def manual_seed(seed: int):
    """Seed deepgrad's generators (CPU and GPU alike; the same as ``deepgrad.manual_seed``)."""
    from deepgrad.random import manual_seed as _seed

    return _seed(seed)


__all__ = ["is_available", "device_count", "synchronize", "max_memory_allocated", "empty_cache", "get_rng_state",
           "set_rng_state", "manual_seed"]
