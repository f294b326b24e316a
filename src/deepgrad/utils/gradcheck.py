"""Finite-difference checks of autodiff: ``gradcheck`` and ``gradgradcheck`` (float64)."""
from __future__ import annotations

import numpy as np

from deepgrad.autograd import grad
from deepgrad.backend import as_numpy
from deepgrad.tensor import Tensor


class GradcheckError(AssertionError):
    pass


def _as_tuple(x):
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def _scalarize(out, weights):
    """Sum of each output times fixed random weights: one scalar whose gradient tests all entries."""
    total = None
    for o, w in zip(out, weights):
        term = (o * Tensor(w).to(o.device)).sum()
        total = term if total is None else total + term
    return total


def numerical_grad(f, inputs, eps=1e-6):
    """Central differences of the scalar function ``f(*inputs)`` for every float input."""
    grads = []
    for x in inputs:
        if not (isinstance(x, Tensor) and x.requires_grad):
            grads.append(None)
            continue
        g = np.zeros(x.shape, dtype=np.float64)
        data = x.data  # perturbed in place, element by element (any strides)
        for idx in np.ndindex(*x.shape):
            old = data[idx].item()
            data[idx] = old + eps
            fp = float(f(*inputs).item())
            data[idx] = old - eps
            fm = float(f(*inputs).item())
            data[idx] = old
            g[idx] = (fp - fm) / (2 * eps)
        grads.append(g)
    return grads


def _check(fn, inputs, eps, atol, rtol, raise_exception, what):
    inputs = _as_tuple(inputs)
    for i, x in enumerate(inputs):
        if isinstance(x, Tensor) and x.requires_grad and x.dtype != np.float64:
            raise GradcheckError(f"{what}: input {i} is {x.dtype}; finite differences need float64 inputs")
    rng = np.random.default_rng(0)
    outs = _as_tuple(fn(*inputs))
    weights = [rng.standard_normal(o.shape) for o in outs]

    def scalar(*xs):
        return _scalarize(_as_tuple(fn(*xs)), weights)

    diff_inputs = [x for x in inputs if isinstance(x, Tensor) and x.requires_grad]
    if not diff_inputs:
        raise ValueError(f"{what}: no input requires grad; nothing to check")
    y = scalar(*inputs)
    analytic = grad(y, diff_inputs, allow_unused=True)
    numeric = [g for g in numerical_grad(scalar, inputs, eps) if g is not None]
    idx = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    for k, (a, n) in enumerate(zip(analytic, numeric)):
        a = np.zeros_like(n) if a is None else as_numpy(a.data).astype(np.float64)
        if a.shape != n.shape:
            raise GradcheckError(f"{what}: gradient of input {idx[k]} has shape {a.shape}, expected {n.shape}")
        err = np.abs(a - n) - (atol + rtol * np.abs(n))
        if (err > 0).any():
            j = np.unravel_index(int(np.argmax(err)), n.shape)
            msg = (f"{what}: gradient of input {idx[k]} is wrong at element {tuple(int(v) for v in j)}: "
                   f"autodiff {a[j]:.8g}, finite differences {n[j]:.8g}")
            if raise_exception:
                raise GradcheckError(msg)
            return False
    return True


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True):
    """True when the autodiff gradient of ``fn`` matches central differences at ``inputs``.

    Raises (by default) naming the input and the worst element otherwise.
    """
    return _check(fn, inputs, eps, atol, rtol, raise_exception, "gradcheck")


def gradgradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True):
    """Check second derivatives: the gradient of (gradient . random weights) against differences."""
    inputs = _as_tuple(inputs)
    diff = [x for x in inputs if isinstance(x, Tensor) and x.requires_grad]
    rng = np.random.default_rng(1)
    outs = _as_tuple(fn(*inputs))
    weights = [rng.standard_normal(o.shape) for o in outs]

    def first_grads(*xs):
        y = _scalarize(_as_tuple(fn(*xs)), weights)
        ds = [x for x in xs if isinstance(x, Tensor) and x.requires_grad]
        gs = grad(y, ds, create_graph=True, allow_unused=True)
        return tuple(g if g is not None else (d * 0.0) for g, d in zip(gs, ds))

    del diff
    return _check(first_grads, inputs, eps, atol, rtol, raise_exception, "gradgradcheck")
