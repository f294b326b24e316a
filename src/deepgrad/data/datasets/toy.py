"""Small data sets made in code for the lectures' demos: XOR, two spirals, circles, and the
functions a one-hidden-layer network fits in the universality demo.

Every function takes ``seed``: an int gives the same data every call; ``None`` draws from
deepgrad's generator (so ``deepgrad.manual_seed`` makes it repeatable).  Inputs are float32,
class labels int64, regression targets float32 of shape (n, 1).
"""
from __future__ import annotations

import numpy as np

from deepgrad.random import generator

__all__ = ["xor", "two_spirals", "circles", "universality", "universality_2d", "UNIVERSALITY_FUNCTIONS",
           "UNIVERSALITY_2D_FUNCTIONS"]


def _rng(seed):
    return generator(np) if seed is None else np.random.default_rng(seed)


def xor(n=None, noise=0.0, seed=None):
    """The XOR problem: ``x`` float32 (n, 2), ``y`` int64 (n,) with ``y = x0 XOR x1``.

    ``n=None`` gives the four corners (0,0)->0, (0,1)->1, (1,0)->1, (1,1)->0 that a perceptron
    cannot separate; an int ``n`` samples corners at random and adds Gaussian ``noise``.
    """
    corners = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
    rng = _rng(seed)
    x = corners.copy() if n is None else corners[rng.integers(0, 4, size=int(n))]
    y = (x[:, 0] != x[:, 1]).astype(np.int64)
    if noise:
        x = x + (noise * rng.standard_normal(x.shape)).astype(np.float32)
    return x.astype(np.float32), y


def two_spirals(n=200, noise=0.0, turns=1.75, seed=None):
    """Two interleaved spirals, ``n`` points each: ``x`` float32 (2n, 2), ``y`` int64 (2n,).

    Points lie at radius growing with the angle (0 to ``turns`` full turns); class 1 is class 0
    rotated by 180 degrees.  Gaussian ``noise`` (in units of the outer radius, 1) is added.
    """
    rng = _rng(seed)
    t = np.sqrt(rng.uniform(0.0, 1.0, size=n)) * turns * 2 * np.pi  # sqrt: even density along the arc
    r = t / (turns * 2 * np.pi)
    a = np.stack([r * np.cos(t), r * np.sin(t)], axis=1)
    x = np.concatenate([a, -a])
    if noise:
        x = x + noise * rng.standard_normal(x.shape)
    y = np.concatenate([np.zeros(n, np.int64), np.ones(n, np.int64)])
    return x.astype(np.float32), y


def circles(n_samples=100, shuffle=True, noise=None, factor=0.8, seed=None):
    """A large circle holding a small one (as ``sklearn.datasets.make_circles``).

    ``x`` float32 (n_samples, 2), ``y`` int64: 0 on the outer circle of radius 1, 1 on the inner
    circle of radius ``factor``; equally spaced angles, then optional shuffling and Gaussian noise.
    """
    if not 0 <= factor < 1:
        raise ValueError(f"circles: factor must be in [0, 1), got {factor}")
    rng = _rng(seed)
    n_out = n_samples // 2
    n_in = n_samples - n_out
    t_out = np.linspace(0, 2 * np.pi, n_out, endpoint=False)
    t_in = np.linspace(0, 2 * np.pi, n_in, endpoint=False)
    x = np.vstack([np.stack([np.cos(t_out), np.sin(t_out)], 1),
                   factor * np.stack([np.cos(t_in), np.sin(t_in)], 1)])
    y = np.concatenate([np.zeros(n_out, np.int64), np.ones(n_in, np.int64)])
    if shuffle:
        p = rng.permutation(n_samples)
        x, y = x[p], y[p]
    if noise is not None:
        x = x + noise * rng.standard_normal(x.shape)
    return x.astype(np.float32), y


def _step(x):
    return (x >= 0).astype(x.dtype)


def _bump(x):
    return np.exp(-((x / 0.3) ** 2))


def _nielsen(x):
    # The function of neuralnetworksanddeeplearning.com chapter 4 (the proof the lectures cite), on [0, 1].
    return 0.2 + 0.4 * x**2 + 0.3 * x * np.sin(15 * x) + 0.05 * np.cos(50 * x)


# name -> (function, domain).  The lecture fits three 1-D functions with 3, 6 and 12 hidden
# neurons; the slide pictures are lost, so we offer the classic trio (a step, a sine, a bump)
# and a few more.
UNIVERSALITY_FUNCTIONS = {
    "step": (_step, (-1.0, 1.0)),
    "sine": (lambda x: np.sin(np.pi * x), (-1.0, 1.0)),
    "bump": (_bump, (-1.0, 1.0)),
    "abs": (np.abs, (-1.0, 1.0)),
    "square": (lambda x: x**2, (-1.0, 1.0)),
    "nielsen": (_nielsen, (0.0, 1.0)),
}

# 2-D variants from the mentat library the lecture links (dnn_fitting_test.py), on [-2, 2]^2.
UNIVERSALITY_2D_FUNCTIONS = {
    "paraboloid": lambda x: x[:, 0] ** 2 + x[:, 1] ** 2,
    "saddle": lambda x: x[:, 0] ** 2 - x[:, 1] ** 2,
    "cos_product": lambda x: np.cos(1.2 * x[:, 0]) * np.cos(1.2 * x[:, 1]),
}


def universality(name="sine", n=200, noise=0.0, random_x=False, seed=None):
    """Samples of a 1-D function for the universality demo: ``x``, ``y`` float32 (n, 1).

    ``name``: one of ``UNIVERSALITY_FUNCTIONS`` ('step', 'sine', 'bump', 'abs', 'square',
    'nielsen').  ``x`` is an even grid over the function's domain, or uniform random points
    (sorted) with ``random_x=True``; ``noise`` adds Gaussian noise to ``y``.
    """
    if name not in UNIVERSALITY_FUNCTIONS:
        raise ValueError(f"universality: unknown function {name!r}; choose from {sorted(UNIVERSALITY_FUNCTIONS)}")
    f, (lo, hi) = UNIVERSALITY_FUNCTIONS[name]
    rng = _rng(seed)
    x = np.sort(rng.uniform(lo, hi, size=n)) if random_x else np.linspace(lo, hi, n)
    y = f(x)
    if noise:
        y = y + noise * rng.standard_normal(n)
    return x.astype(np.float32).reshape(n, 1), np.asarray(y, dtype=np.float32).reshape(n, 1)


def universality_2d(name="paraboloid", n=100, noise=0.0, seed=None):
    """Samples of a 2-D function (mentat's fitting demo): ``x`` float32 (n, 2) uniform on
    [-2, 2]^2, ``y`` float32 (n, 1).  ``name``: 'paraboloid', 'saddle' or 'cos_product'."""
    if name not in UNIVERSALITY_2D_FUNCTIONS:
        raise ValueError(f"universality_2d: unknown function {name!r}; choose from "
                         f"{sorted(UNIVERSALITY_2D_FUNCTIONS)}")
    rng = _rng(seed)
    x = rng.uniform(-2.0, 2.0, size=(n, 2))
    y = UNIVERSALITY_2D_FUNCTIONS[name](x)
    if noise:
        y = y + noise * rng.standard_normal(n)
    return x.astype(np.float32), np.asarray(y, dtype=np.float32).reshape(n, 1)
