"""Functional activations, distances and losses built from existing ops (so their gradients come
for free), with PyTorch's names, arguments and formulas; re-exported by ``deepgrad.nn.functional``.
"""
from __future__ import annotations

import math

import deepgrad.ops as _ops
from deepgrad.errors import op_error
from deepgrad.ops.loss import _reduce, _reduction_arg
from deepgrad.tensor import Tensor, as_tensor


# -- activations ------------------------------------------------------------------------------
def hardsigmoid(input, inplace=False):  # noqa: A002
    """0 for x <= -3, 1 for x >= 3, x / 6 + 1 / 2 in between (gradient 0 at +-3, as torch)."""
    inside = (input > -3.0) & (input < 3.0)
    return _ops.where(inside, input * (1.0 / 6.0) + 0.5, _ops.where(input >= 3.0, 1.0, 0.0))


def hardswish(input, inplace=False):  # noqa: A002
    """x * hardsigmoid(x): 0 for x <= -3, x for x >= 3 (gradient 0 at -3 and 1 at 3, as torch)."""
    middle = _ops.where(input < 3.0, input * (input + 3.0) * (1.0 / 6.0), input)
    return _ops.where(input <= -3.0, 0.0, middle)


def mish(input, inplace=False):  # noqa: A002
    """x * tanh(softplus(x))."""
    return input * _ops.tanh(_ops.softplus(input))


def celu(input, alpha=1.0, inplace=False):  # noqa: A002
    """max(0, x) + min(0, alpha * (exp(x / alpha) - 1))."""
    if alpha == 0:
        raise op_error(ValueError, "celu: alpha must not be 0")
    neg = _ops.expm1(_ops.clamp(input, max=0.0) * (1.0 / alpha)) * alpha
    return _ops.where(input > 0, input, neg)  # gradient 1 at 0, as torch


def threshold(input, threshold, value, inplace=False):  # noqa: A002
    """x where x > threshold, else ``value``."""
    return _ops.where(input > threshold, input, value)


def tanhshrink(input):  # noqa: A002
    """x - tanh(x)."""
    return input - _ops.tanh(input)


def softshrink(input, lambd=0.5):  # noqa: A002
    """x - lambd for x > lambd, x + lambd for x < -lambd, 0 in between."""
    if lambd < 0:
        raise op_error(ValueError, f"softshrink: lambd must be >= 0, got {lambd}")
    return _ops.where(input > lambd, input - lambd, _ops.where(input < -lambd, input + lambd, 0.0))


def hardshrink(input, lambd=0.5):  # noqa: A002
    """x where |x| > lambd, else 0."""
    return _ops.where((input > lambd) | (input < -lambd), input, 0.0)


def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, inplace=False):  # noqa: A002
    """Randomized leaky ReLU: slope ~ U(lower, upper) per negative element in training, else the
    mean slope (lower + upper) / 2."""
    if not training:
        slope = (lower + upper) / 2
        return _ops.where(input > 0, input, input * slope)  # the slope at 0, as torch
    from deepgrad.random import generator

    xp = input.xp
    u = generator(xp).random(input.shape, dtype=xp.float64 if input.dtype == xp.float64 else xp.float32)
    slope = Tensor._make((lower + (upper - lower) * u).astype(input.dtype))
    return _ops.where(input > 0, input, input * slope)


def glu(input, dim=-1):  # noqa: A002
    """a * sigmoid(b), where a and b are the two halves of ``input`` along ``dim``."""
    if input.ndim == 0:
        raise op_error(ValueError, "glu: does not support scalars because halving size must be even")
    d = dim % input.ndim if -input.ndim <= dim < input.ndim else None
    if d is None:
        raise op_error(IndexError, f"glu: dim {dim} is out of range for an input of shape {input.shape}")
    if input.shape[d] % 2:
        raise op_error(ValueError, f"glu: halving dimension must be even, but dimension {d} is size "
                                   f"{input.shape[d]} (input shape {input.shape})")
    a, b = _ops.chunk(input, 2, d)
    return a * _ops.sigmoid(b)


# -- distances --------------------------------------------------------------------------------
def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """sum(x1 / max(||x1||, eps) * x2 / max(||x2||, eps)) along ``dim`` (inputs broadcast)."""
    x1, x2 = as_tensor(x1), as_tensor(x2)
    n1 = _ops.clamp(_ops.norm(x1, 2, dim, keepdim=True), min=eps)
    n2 = _ops.clamp(_ops.norm(x2, 2, dim, keepdim=True), min=eps)
    return _ops.sum((x1 / n1) * (x2 / n2), dim)


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """||x1 - x2 + eps||_p along the last dim."""
    x1, x2 = as_tensor(x1), as_tensor(x2)
    return _ops.norm(x1 - x2 + eps, p, -1, keepdim=keepdim)


# -- attention --------------------------------------------------------------------------------
def _mask_bias(mask, like, keep_where_true):
    """A float Tensor to add to attention scores: 0 where attending, -inf where masked.

    Boolean masks say where to attend (``keep_where_true``, as ``scaled_dot_product_attention``)
    or where not to (as ``MultiheadAttention``); a float mask is added as it is."""
    mask = as_tensor(mask, like=like) if not isinstance(mask, Tensor) else mask
    if mask.dtype.kind != "b":
        return mask if mask.dtype == like.dtype else mask.type(like.dtype)
    xp = like.xp
    data = xp.asarray(mask.data)  # a boolean mask is not differentiated: take it onto the scores' device
    blocked = ~data if keep_where_true else data
    return Tensor._make(xp.where(blocked, -xp.inf, 0.0).astype(like.dtype))


def _safe_softmax(scores):
    """softmax over the last dim, 0 (and no gradient) in rows where every score is -inf, as PyTorch's
    scaled_dot_product_attention does for a query that may attend to nothing."""
    xp = scores.xp
    dead = xp.isneginf(scores.data).all(axis=-1, keepdims=True)
    if not bool(dead.any()):
        return _ops.softmax(scores, -1)
    dead_t = Tensor._make(dead)
    weights = _ops.softmax(_ops.where(dead_t, 0.0, scores), -1)
    return _ops.where(dead_t, 0.0, weights)


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None,
                                 enable_gqa=False):
    """softmax(q k^T * scale + mask) v over the last two dims, as PyTorch's: a boolean ``attn_mask``
    is True where attention is allowed, a float one is added; ``is_causal`` masks j > i."""
    if enable_gqa and query.shape[-3:-2] != key.shape[-3:-2]:
        raise op_error(NotImplementedError, "scaled_dot_product_attention: enable_gqa with fewer key/value heads "
                                            "is not supported")
    if query.shape[-1] != key.shape[-1] or key.shape[-2] != value.shape[-2]:
        raise op_error(ValueError, f"scaled_dot_product_attention: query {query.shape}, key {key.shape} and value "
                                   f"{value.shape} do not fit (expected (..., L, E), (..., S, E), (..., S, Ev))")
    big_l, big_s = query.shape[-2], key.shape[-2]
    scale = 1.0 / math.sqrt(query.shape[-1]) if scale is None else scale
    scores = _ops.matmul(query, _ops.transpose(key, -2, -1)) * scale
    if is_causal:
        if attn_mask is not None:
            raise op_error(ValueError, "scaled_dot_product_attention: give either attn_mask or is_causal, not both")
        xp = query.xp
        scores = scores + _mask_bias(Tensor._make(xp.tril(xp.ones((big_l, big_s), dtype=bool))), scores, True)
    elif attn_mask is not None:
        scores = scores + _mask_bias(attn_mask, scores, True)
    weights = _safe_softmax(scores)
    if dropout_p > 0.0:
        weights = _ops.dropout(weights, dropout_p, True)
    return _ops.matmul(weights, value)


# -- losses -----------------------------------------------------------------------------------
def _same_shape(op, *tensors):
    shapes = [t.shape for t in tensors]
    if any(s != shapes[0] for s in shapes):
        raise op_error(ValueError, f"{op}: all inputs must have the same shape, got "
                                   f"{', '.join(str(s) for s in shapes)}")


def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):  # noqa: A002
    """log(1 + exp(-y x)) for targets y in {1, -1}."""
    reduction = _reduction_arg("soft_margin_loss", size_average, reduce, reduction)
    input, target = as_tensor(input), as_tensor(target)
    target = as_tensor(target, like=input)
    _same_shape("soft_margin_loss", input, target)
    return _reduce(_ops.softplus(-target * input), reduction)


def hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None, reduction="mean"):  # noqa: A002
    """x where y = 1, max(0, margin - x) where y = -1."""
    reduction = _reduction_arg("hinge_embedding_loss", size_average, reduce, reduction)
    input = as_tensor(input)
    target = as_tensor(target, like=input)
    zeros = input * 0.0
    hinge = _ops.where(target != 1, _ops.clamp(margin - input, min=0.0), zeros)
    return _reduce(hinge + _ops.where(target != -1, input, zeros), reduction)


def multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None,  # noqa: A002
                                reduction="mean"):
    """-mean over classes of y log(sigmoid(x)) + (1 - y) log(sigmoid(-x)), one value per sample."""
    reduction = _reduction_arg("multilabel_soft_margin_loss", size_average, reduce, reduction)
    input = as_tensor(input)
    target = as_tensor(target, like=input)
    _same_shape("multilabel_soft_margin_loss", input, target)
    loss = -(target * -_ops.softplus(-input) + (1 - target) * -_ops.softplus(input))
    if weight is not None:
        loss = loss * as_tensor(weight, like=input)
    c = input.shape[-1] if input.ndim else 1
    loss = _ops.sum(loss, input.ndim - 1) * (1.0 / c) if input.ndim else loss
    return _reduce(loss, reduction)


def margin_ranking_loss(input1, input2, target, margin=0.0, size_average=None, reduce=None,
                        reduction="mean"):
    """max(0, -y (x1 - x2) + margin) for targets y in {1, -1}."""
    reduction = _reduction_arg("margin_ranking_loss", size_average, reduce, reduction)
    input1, input2 = as_tensor(input1), as_tensor(input2)
    target = as_tensor(target, like=input1)
    if not (input1.ndim == input2.ndim == target.ndim):
        raise op_error(ValueError, f"margin_ranking_loss: all inputs should have the same dimension, got shapes "
                                   f"{input1.shape}, {input2.shape} and {target.shape}")
    return _reduce(_ops.clamp(-target * (input1 - input2) + margin, min=0.0), reduction)


def cosine_embedding_loss(input1, input2, target, margin=0.0, size_average=None, reduce=None,
                          reduction="mean"):
    """1 - cos(x1, x2) where y = 1, max(0, cos(x1, x2) - margin) where y = -1 (cosine along dim 1)."""
    reduction = _reduction_arg("cosine_embedding_loss", size_average, reduce, reduction)
    input1, input2 = as_tensor(input1), as_tensor(input2)
    target = as_tensor(target, like=input1)
    if input1.shape != input2.shape or input1.ndim not in (1, 2) or target.shape != input1.shape[:-1]:
        raise op_error(ValueError, f"cosine_embedding_loss: expected inputs of shape (N, D) or (D,) and a target "
                                   f"of shape (N,) or (), got {input1.shape}, {input2.shape} and {target.shape}")
    d = input1.ndim - 1
    prod = _ops.sum(input1 * input2, d)
    mag1 = _ops.sum(input1 * input1, d) + 1e-12
    mag2 = _ops.sum(input2 * input2, d) + 1e-12
    cos = prod / _ops.sqrt(mag1 * mag2)
    zeros = cos * 0.0
    pos = _ops.where(target == 1, 1.0 - cos, zeros)
    neg = _ops.where(target == -1, _ops.clamp(cos - margin, min=0.0), zeros)
    return _reduce(pos + neg, reduction)


def _straight_through_clamp(t, low):
    """clamp(t, min=low) in value, the identity in gradient (PyTorch clamps ``var`` under no_grad)."""
    xp = t.xp
    shift = xp.maximum(t.data, low) - t.data
    return t + Tensor._make(shift.astype(t.data.dtype, copy=False))


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):  # noqa: A002
    """0.5 (log(max(var, eps)) + (input - target)^2 / max(var, eps)) (+ 0.5 log(2 pi) with ``full``)."""
    reduction = _reduction_arg("gaussian_nll_loss", None, None, reduction)
    input = as_tensor(input)
    target, var = as_tensor(target, like=input), as_tensor(var, like=input)
    if var.shape != input.shape:
        if input.shape[:-1] == var.shape:  # one variance per sample, the last dim dropped
            var = _ops.unsqueeze(var, -1)
        elif not (input.shape[:-1] == var.shape[:-1] and var.shape[-1:] == (1,)):
            raise op_error(ValueError, f"gaussian_nll_loss: var is of incorrect size: var shape {var.shape}, "
                                       f"input shape {input.shape}")
    if bool((var.data < 0).any()):
        raise op_error(ValueError, "gaussian_nll_loss: var has negative entry/entries")
    var = _straight_through_clamp(var, eps)
    loss = (_ops.log(var) + (input - target) ** 2 / var) * 0.5
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)


def poisson_nll_loss(input, target, log_input=True, full=False, size_average=None, eps=1e-8,  # noqa: A002
                     reduce=None, reduction="mean"):
    """exp(x) - y x (``log_input``) or x - y log(x + eps), plus Stirling's term for y > 1 with ``full``."""
    reduction = _reduction_arg("poisson_nll_loss", size_average, reduce, reduction)
    input = as_tensor(input)
    target = as_tensor(target, like=input)
    if log_input:
        loss = _ops.exp(input) - target * input
    else:
        loss = input - target * _ops.log(input + eps)
    if full:  # Stirling's approximation of log(y!), for y > 1 only
        big = target > 1
        safe = _ops.where(big, target, 1.0)
        stirling = safe * _ops.log(safe) - safe + _ops.log(safe * (2 * math.pi)) * 0.5
        loss = loss + _ops.where(big, stirling, 0.0)
    return _reduce(loss, reduction)


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False, size_average=None,
                        reduce=None, reduction="mean"):
    """max(0, margin + d(a, p) - d(a, n)) with d the pairwise p-norm distance (``swap``: d(a, n) becomes
    min(d(a, n), d(p, n)))."""
    reduction = _reduction_arg("triplet_margin_loss", size_average, reduce, reduction)
    anchor, positive, negative = as_tensor(anchor), as_tensor(positive), as_tensor(negative)
    if not (anchor.ndim == positive.ndim == negative.ndim):
        raise op_error(ValueError, f"triplet_margin_loss: anchor, positive and negative must have the same number "
                                   f"of dimensions, got shapes {anchor.shape}, {positive.shape} and "
                                   f"{negative.shape}")
    d_pos = pairwise_distance(anchor, positive, p, eps)
    d_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_neg = _ops.minimum(d_neg, pairwise_distance(positive, negative, p, eps))
    return _reduce(_ops.clamp(d_pos - d_neg + margin, min=0.0), reduction)


__all__ = ["hardsigmoid", "hardswish", "mish", "celu", "threshold", "tanhshrink", "softshrink", "hardshrink", "glu",
           "cosine_similarity", "pairwise_distance", "scaled_dot_product_attention", "soft_margin_loss",
           "margin_ranking_loss", "cosine_embedding_loss", "gaussian_nll_loss", "poisson_nll_loss",
           "triplet_margin_loss", "rrelu", "hinge_embedding_loss", "multilabel_soft_margin_loss"]
