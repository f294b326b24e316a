"""Every random state a training run depends on, as JSON-safe data for checkpoints.

Four generators matter: deepgrad's own on the CPU (dropout, init, shuffling) and on the GPU
(Philox: dropout and random tensors there), NumPy's global one (``np.random.*`` in user code and
older libraries) and Python's ``random`` module.
"""
from __future__ import annotations

import random as _pyrandom

import numpy as np

from deepgrad import random as _dgrandom


def get_all_rng_states() -> dict:
    """The state of deepgrad's generators, NumPy's global generator and Python's ``random``."""
    name, key, pos, has_gauss, cached = np.random.get_state()
    version, internal, gauss_next = _pyrandom.getstate()
    return {
        "deepgrad": _dgrandom.get_rng_state(),
        "cuda": _dgrandom.get_cuda_rng_state(),
        "numpy": {"name": str(name), "key": np.asarray(key, dtype=np.uint32), "pos": int(pos),
                  "has_gauss": int(has_gauss), "cached_gaussian": float(cached)},
        "python": {"version": int(version), "internal": [int(v) for v in internal], "gauss_next": gauss_next},
    }


def set_all_rng_states(states: dict):
    """Restore what ``get_all_rng_states`` returned (keys that are absent are left alone)."""
    if "deepgrad" in states:
        _dgrandom.set_rng_state(states["deepgrad"])
    if "cuda" in states:  # absent in checkpoints written before deepgrad drew GPU numbers from Philox
        _dgrandom.set_cuda_rng_state(states["cuda"])
    if "numpy" in states:
        s = states["numpy"]
        key = np.asarray(s["key"], dtype=np.uint32)
        np.random.set_state((s["name"], key, int(s["pos"]), int(s["has_gauss"]), float(s["cached_gaussian"])))
    if "python" in states:
        s = states["python"]
        gauss = s["gauss_next"]
        _pyrandom.setstate((int(s["version"]), tuple(int(v) for v in s["internal"]),
                            None if gauss is None else float(gauss)))


__all__ = ["get_all_rng_states", "set_all_rng_states"]
