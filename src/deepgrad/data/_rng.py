"""Which random generator a data transform draws from.

Outside a DataLoader it is deepgrad's one seeded generator.  Inside a DataLoader each batch
gets its own generator seeded from (epoch seed, batch number), set per thread: random
augmentations then give the same batches whether 0 or 4 threads build them, in any order.
"""
from __future__ import annotations

import contextlib
import threading

import numpy as np

from deepgrad import random as _random

_local = threading.local()


def current_rng() -> np.random.Generator:
    """The numpy Generator a transform should use now (parameters are drawn on the CPU)."""
    rng = getattr(_local, "rng", None)
    return rng if rng is not None else _random.generator(np)


@contextlib.contextmanager
def batch_rng(seed):
    """Within this block (in this thread) transforms draw from ``default_rng(seed)``."""
    old = getattr(_local, "rng", None)
    _local.rng = np.random.default_rng(seed)
    try:
        yield _local.rng
    finally:
        _local.rng = old
