"""Gradient clipping, weight penalties for the loss (L1/L2 regularization), parameter vectors."""
from __future__ import annotations

from deepgrad.backend import get_array_module
from deepgrad.tensor import Tensor


def _params(parameters):
    if isinstance(parameters, Tensor):
        return [parameters]
    return [p for p in parameters]


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Scale all gradients together (in place) so that their joint ``norm_type``-norm is at most
    ``max_norm``; returns the norm before clipping (a 0-d Tensor on the gradients' device).

    As torch: the norm of the per-gradient norms, coefficient ``min(max_norm / (norm + 1e-6), 1)``
    applied to every gradient.  On a GPU nothing is read back (no sync), unless ``error_if_nonfinite``."""
    grads = [p.grad.data for p in _params(parameters) if p.grad is not None]
    if not grads:
        return Tensor(0.0)
    xp = get_array_module(grads[0])
    norm_type = float(norm_type)
    norms = [xp.linalg.norm(g.reshape(-1), ord=norm_type) for g in grads if g.size]
    if not norms:
        return Tensor(xp.zeros((), dtype=grads[0].dtype))
    total = xp.linalg.norm(xp.stack(norms), ord=norm_type).astype(grads[0].dtype, copy=False)
    if error_if_nonfinite and not bool(xp.isfinite(total)):
        raise RuntimeError(f"clip_grad_norm_: the total norm of order {norm_type} of the gradients is non-finite "
                           "(set error_if_nonfinite=False to clip anyway)")
    coef = xp.minimum(float(max_norm) / (total + 1e-6), 1.0)
    for g in grads:
        g *= coef.astype(g.dtype, copy=False)
    return Tensor(xp.asarray(total))


def clip_grad_value_(parameters, clip_value, foreach=None):
    """Clamp every gradient element to [-clip_value, clip_value] in place."""
    c = float(clip_value)
    for p in _params(parameters):
        if p.grad is not None:
            g = p.grad.data
            get_array_module(g).clip(g, -c, c, out=g)


def _penalized(model, include_bias):
    for p in model.parameters():
        if include_bias or p.ndim > 1:
            yield p


def _abs(x):
    import deepgrad.ops as ops

    if hasattr(ops, "abs"):
        return ops.abs(x)
    from deepgrad.ops.elementwise import where

    return where(x >= 0, x, -x)


def l1_penalty(model, include_bias=False):
    """sum |w| over the model's weights (parameters with more than one dimension; biases and
    normalization scales too with ``include_bias``), differentiable: ``loss + lam * l1_penalty(m)``."""
    total = None
    for p in _penalized(model, include_bias):
        term = _abs(p).sum()
        total = term if total is None else total + term
    return total if total is not None else Tensor(0.0)


def l2_penalty(model, include_bias=False):
    """sum w^2 over the model's weights (see ``l1_penalty``), differentiable.  Adding
    ``lam / 2 * l2_penalty(m)`` to the loss is SGD weight decay ``lam``."""
    total = None
    for p in _penalized(model, include_bias):
        term = (p * p).sum()
        total = term if total is None else total + term
    return total if total is not None else Tensor(0.0)


def parameters_to_vector(parameters):
    """All parameters flattened and concatenated into one 1-D tensor (differentiable)."""
    import deepgrad.ops as ops
    from deepgrad.ops.shape import reshape

    flat = [reshape(p, (-1,)) for p in _params(parameters)]
    cat = getattr(ops, "cat", None) or getattr(ops, "concatenate", None)
    if cat is None:
        xp = get_array_module(flat[0].data)
        return Tensor(xp.concatenate([f.data for f in flat]))
    return cat(flat)


def vector_to_parameters(vec, parameters):
    """Copy consecutive slices of the 1-D ``vec`` into the parameters (in place)."""
    data = vec.data if isinstance(vec, Tensor) else vec
    params = list(_params(parameters))
    total = sum(p.numel() for p in params)
    if data.ndim != 1 or data.shape[0] != total:
        raise ValueError(f"vector_to_parameters: expected a 1-D vector of {total} elements (the parameters' total), "
                         f"got shape {tuple(data.shape)}")
    i = 0
    for p in params:
        n = p.numel()
        p.data[...] = data[i:i + n].reshape(p.shape)
        i += n


__all__ = ["clip_grad_norm_", "clip_grad_value_", "l1_penalty", "l2_penalty", "parameters_to_vector",
           "vector_to_parameters", "rnn", "prune", "parametrize", "parametrizations", "weight_norm",
           "remove_weight_norm", "spectral_norm", "remove_spectral_norm"]

# nn.utils.prune (l1_unstructured, global_unstructured, ...) and nn.utils.rnn (pad_sequence, ...)
from deepgrad.nn.utils import parametrizations, parametrize, prune, rnn  # noqa: E402
from deepgrad.nn.utils.weight_norm import (  # noqa: E402 - the older hook-based API
    remove_spectral_norm,
    remove_weight_norm,
    spectral_norm,
    weight_norm,
)
