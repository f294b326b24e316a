"""The op test table: one ``OpCase`` per op and input shape, run through two families.

1. ``gradcheck`` in float64 (central differences against autodiff);
2. forward and backward against PyTorch 2.13 CPU on the same random inputs in float32.

Each ``cases_<family>.py`` beside this file defines ``CASES``, a list of ``OpCase``;
``test_optable.py`` collects all of them.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np


@dataclass
class OpCase:
    id: str
    dg: Callable  # (*deepgrad tensors) -> Tensor (or tuple of Tensors)
    torch: Callable  # (*torch tensors) -> torch.Tensor (or tuple)
    shapes: list  # one shape per input
    kinds: list | None = None  # per input: 'real', 'positive', 'unit', 'nonzero', 'int:K', 'bool', 'const'
    rtol: float = 1e-5  # relative error allowed against torch (float32)
    grad: bool = True  # False for non-differentiable ops (argmax)
    gradcheck: bool = True  # False where finite differences do not apply (kinks, randomness)
    seed: int = 0
    extra: dict = field(default_factory=dict)

    def __str__(self):
        return self.id


def make_arrays(case: OpCase, dtype) -> list:
    rng = np.random.default_rng(case.seed)
    kinds = case.kinds or ["real"] * len(case.shapes)
    out = []
    for shape, kind in zip(case.shapes, kinds):
        shape = tuple(shape)
        if kind == "real":
            a = rng.standard_normal(shape)
        elif kind == "positive":
            a = rng.uniform(0.5, 2.0, shape)
        elif kind == "unit":
            a = rng.uniform(0.05, 0.95, shape)
        elif kind == "nonzero":  # away from kinks at 0 (relu, abs, ...)
            a = rng.uniform(0.2, 1.5, shape) * rng.choice([-1.0, 1.0], shape)
        elif kind == "distinct":  # away from ties (max, sort)
            a = rng.permutation(np.prod(shape, dtype=int)).reshape(shape) * 0.1 + rng.uniform(0, 0.01, shape)
        elif kind.startswith("int:"):
            out.append(rng.integers(0, int(kind[4:]), shape).astype(np.int64))
            continue
        elif kind == "bool":
            out.append(rng.random(shape) > 0.5)
            continue
        elif kind == "simplex":  # rows of probabilities along the last axis
            a = rng.uniform(0.1, 1.0, shape)
            a = a / a.sum(axis=-1, keepdims=True)
        else:
            raise ValueError(f"unknown input kind {kind!r}")
        out.append(a.astype(dtype))
    return out


def differentiable(kinds, i):
    k = (kinds or [])[i] if kinds else "real"
    return not (k.startswith("int:") or k in ("bool", "const"))


def as_tuple(x):
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)
