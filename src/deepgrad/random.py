"""One seeded generator that every random op uses: same seed, same numbers."""
from __future__ import annotations

import numpy as np

from deepgrad.backend import cupy_module, get_array_module

_seed = None
_np_rng = np.random.default_rng()
_cp_rng = None


def manual_seed(seed: int):
    """Seed every random op of deepgrad (CPU, and GPU when one is used)."""
    global _seed, _np_rng, _cp_rng
    _seed = int(seed)
    _np_rng = np.random.default_rng(_seed)
    _cp_rng = None  # re-created from the seed on first GPU use
    return _seed


def initial_seed():
    return _seed


def generator(xp=np):
    """The generator for the array module ``xp`` (numpy or cupy)."""
    global _cp_rng
    if xp is np:
        return _np_rng
    if _cp_rng is None:
        cp = cupy_module()
        _cp_rng = cp.random.default_rng(_seed if _seed is not None else None)
    return _cp_rng


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
