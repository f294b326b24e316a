"""One seeded generator per device that every random op uses: same seed, same numbers.

The CPU draws from NumPy's generator (PCG64); the GPU from ``deepgrad.philox.Philox``, whose
state (a key and a counter) ``deepgrad.cuda.get_rng_state`` returns and checkpoints keep."""
from __future__ import annotations

import numpy as np

from deepgrad.backend import cupy_module, get_array_module
from deepgrad.philox import Philox

_seed = None
_np_rng = np.random.default_rng()
_gpu_rng = Philox()  # bound to CuPy on first GPU use


def manual_seed(seed: int):
    """Seed every random op of deepgrad (CPU, and GPU when one is used)."""
    global _seed, _np_rng, _gpu_rng
    _seed = int(seed)
    _np_rng = np.random.default_rng(_seed)
    _gpu_rng = Philox(_seed)
    return _seed


def initial_seed():
    return _seed


def generator(xp=np):
    """The generator for the array module ``xp`` (numpy or cupy)."""
    if xp is np:
        return _np_rng
    _gpu_rng.xp = cupy_module()
    return _gpu_rng


def get_cuda_rng_state() -> dict:
    """The GPU generator's state ``{"key", "counter"}`` (JSON-safe; also without a GPU)."""
    return _gpu_rng.state()


def set_cuda_rng_state(state: dict):
    _gpu_rng.set_state(state)


def get_rng_state() -> dict:
    """The CPU generator's state as a JSON-safe dict (for checkpoints)."""
    return {"seed": _seed, "bit_generator": _np_rng.bit_generator.state}


def set_rng_state(state: dict):
    global _seed
    _seed = state.get("seed")
    _np_rng.bit_generator.state = state["bit_generator"]


__all__ = ["manual_seed", "initial_seed", "generator", "get_rng_state", "set_rng_state", "get_array_module"]


def seed_everything(seed: int):
    """Seed deepgrad, numpy's global generator and Python's random module."""
    import random as _random

    _random.seed(seed)
    np.random.seed(seed)
    return manual_seed(seed)
