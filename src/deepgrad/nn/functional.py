"""``deepgrad.nn.functional`` (import it as ``F``): every op under PyTorch's functional names.

The ops themselves live in ``deepgrad.ops``; this module re-exports all of them
(``F.relu``, ``F.softmax(x, dim)``, ``F.cross_entropy(logits, target)``, ``F.linear``,
``F.batch_norm``, ...) and adds a few small compositions PyTorch's ``F`` also has.
A name whose op family is not available raises an AttributeError saying so.
"""
from __future__ import annotations

import importlib

import deepgrad.ops as _ops


def _op(name):
    fn = getattr(_ops, name, None)
    if fn is None:
        raise AttributeError(f"deepgrad.nn.functional.{name}: the op {name!r} is not available in deepgrad.ops")
    return fn


# -- compositions used when deepgrad.ops has no op of that name (the star import below wins) --
def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):  # noqa: A002
    """Clamp to [min_val, max_val]."""
    return _op("clamp")(input, min_val, max_val)


def relu6(input, inplace=False):  # noqa: A002
    """min(max(x, 0), 6)."""
    return hardtanh(input, 0.0, 6.0)


def logsigmoid(input):  # noqa: A002
    """log(sigmoid(x)) = -softplus(-x), stable for large |x|."""
    return -_op("softplus")(-input)


def softsign(input):  # noqa: A002
    """x / (1 + |x|)."""
    return input / (_op("abs")(input) + 1.0)


def softmin(input, dim=None):  # noqa: A002
    """softmax(-x, dim)."""
    return _op("softmax")(-input, dim)


def logistic(input, L=1.0, k=1.0, x0=0.0):  # noqa: A002, N803 - the lecture's names
    """The general logistic L / (1 + exp(-k (x - x0))) of seed 000."""
    z = input if x0 == 0 else input - x0
    if k != 1:
        z = z * k
    y = _op("sigmoid")(z)
    return y if L == 1 else y * L


def prelu(input, weight):  # noqa: A002
    """x where x > 0, weight * x elsewhere; ``weight`` has 1 or C (= input.shape[1]) entries."""
    from deepgrad.ops.elementwise import where

    w = weight
    if w.numel() > 1 and input.ndim >= 2:
        from deepgrad.ops.shape import reshape

        w = reshape(w, (1, w.numel()) + (1,) * (input.ndim - 2))
    return where(input > 0, input, input * w)


def normalize(input, p=2.0, dim=1, eps=1e-12):  # noqa: A002
    """x / max(||x||_p, eps) along ``dim``."""
    n = _op("norm")(input, p, dim, keepdim=True)
    return input / _op("clamp")(n, min=eps)


from deepgrad.nn._compositions import *  # noqa: E402, F401, F403 - hardswish, glu, triplet_margin_loss, ...
from deepgrad.ops import *  # noqa: E402, F401, F403 - every op, under its PyTorch name
from deepgrad.ops.embedding import embedding  # noqa: E402, F401
from deepgrad.ops.linear import bilinear, linear  # noqa: E402, F401
from deepgrad.ops.normalization import batch_norm, layer_norm  # noqa: E402, F401


def __getattr__(name):
    # an op family imported after this module (or under another name) is still found
    for fam in _ops._FAMILIES:
        try:
            mod = importlib.import_module(f"deepgrad.ops.{fam}")
        except ImportError:
            continue
        if name in getattr(mod, "__all__", ()):
            return getattr(mod, name)
    raise AttributeError(
        f"module 'deepgrad.nn.functional' has no attribute {name!r} "
        "(no op of that name exists in deepgrad.ops yet)"
    )
