"""Keras losses, ``loss(y_true, y_pred)``, computed with deepgrad.nn.functional.

Keras semantics: arguments in the order (y_true, y_pred); the functions
(``mean_squared_error``, ``categorical_crossentropy``, ...) return one loss per sample (the
mean or sum over the last axis); the classes (``MeanSquaredError``, ...) reduce those to the
batch mean (``sum_over_batch_size``), with optional ``sample_weight``.  Cross entropies take
probabilities unless ``from_logits=True`` and clip them to [1e-7, 1 - 1e-7] as Keras does.

Fused path: when the model ends in softmax (or sigmoid) and the loss is a cross entropy on
probabilities, ``Model.fit`` calls ``call_logits`` with the layer's input instead, which
computes the same value through ``F.cross_entropy`` / ``F.binary_cross_entropy_with_logits``
(stabler, faster, no clipping).
"""
from __future__ import annotations

import math

import numpy as np

from deepgrad.backend import as_numpy, get_array_module
from deepgrad.keras import backend
from deepgrad.keras.object_registry import get_custom_object
from deepgrad.nn import functional as F
from deepgrad.tensor import Tensor


def _t(x, like=None):
    if isinstance(x, Tensor):
        return x
    a = x if type(x).__module__.startswith("cupy") else np.asarray(x)
    if like is not None:  # onto y_pred's device
        xp = get_array_module(like.data)
        a = xp.asarray(a) if xp is not np else as_numpy(a)
    return Tensor._make(a)


def _prepare(y_true, y_pred):
    """Tensors with y_true cast to y_pred's float dtype and shaped like it ((N,) -> (N, 1))."""
    y_pred = _t(y_pred)
    y_true = _t(y_true, like=y_pred)
    if y_true.dtype != y_pred.dtype:
        y_true = Tensor._make(y_true.data.astype(y_pred.dtype))
    if y_true.ndim == y_pred.ndim - 1 and y_pred.shape[-1] == 1:
        y_true = y_true.reshape(y_pred.shape)
    if y_true.shape != y_pred.shape:
        hint = ""
        if y_true.ndim == y_pred.ndim - 1 and y_pred.shape[-1] > 1:
            hint = (" (integer class labels? use loss='sparse_categorical_crossentropy', or one-hot them with "
                    "keras.utils.to_categorical)")
        raise ValueError(f"loss: y_true of shape {y_true.shape} does not match y_pred of shape {y_pred.shape}{hint}")
    return y_true, y_pred


def _clip(p, low, high):
    return p.clamp(min=low, max=high)


def _labels(y_true, y_pred):
    """Integer class labels for the sparse losses: (N,) or (N, 1) -> (N,)."""
    y_true = _t(y_true, like=y_pred)
    data = y_true.data
    if data.ndim == y_pred.ndim and data.shape[-1] == 1:
        data = data.reshape(data.shape[:-1])
    if data.shape != tuple(y_pred.shape[:-1]):
        hint = "; one-hot targets take loss='categorical_crossentropy'" if data.shape == tuple(y_pred.shape) else ""
        raise ValueError(
            f"sparse_categorical_crossentropy: labels of shape {tuple(y_true.shape)} do not match predictions "
            f"of shape {tuple(y_pred.shape)} (expected labels of shape {tuple(y_pred.shape[:-1])}{hint})"
        )
    if data.dtype.kind != "i":
        data = data.astype(np.int64)
    return Tensor._make(data)


def _flat_classes(fn, logits, target, target_is_labels):
    """Run an (N, C) loss on (..., C) inputs and give back shape (...)."""
    lead = tuple(logits.shape[:-1])
    c = logits.shape[-1]
    if len(lead) == 1:
        return fn(logits, target)
    flat_t = target.reshape(-1) if target_is_labels else target.reshape(-1, c)
    return fn(logits.reshape(-1, c), flat_t).reshape(lead)


# -- per-sample loss functions (Keras's keras.losses.<name>) -------------------------------------
def mean_squared_error(y_true, y_pred):
    """mean((y_true - y_pred)^2) over the last axis."""
    y_true, y_pred = _prepare(y_true, y_pred)
    return F.mse_loss(y_pred, y_true, reduction="none").mean(axis=-1)


def mean_absolute_error(y_true, y_pred):
    """mean(|y_true - y_pred|) over the last axis."""
    y_true, y_pred = _prepare(y_true, y_pred)
    return F.l1_loss(y_pred, y_true, reduction="none").mean(axis=-1)


def _smooth(y_true, label_smoothing, k):
    """Keras's label smoothing: y * (1 - ls) + ls / k (k = 2 for binary, the class count otherwise)."""
    ls = float(label_smoothing)
    return y_true if not ls else y_true * (1.0 - ls) + ls / k


def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0):
    """-mean(y log p + (1 - y) log(1 - p)) over the last axis (p clipped to [eps, 1 - eps])."""
    y_true, y_pred = _prepare(y_true, y_pred)
    y_true = _smooth(y_true, label_smoothing, 2)
    if from_logits:
        return F.binary_cross_entropy_with_logits(y_pred, y_true, reduction="none").mean(axis=-1)
    eps = backend.epsilon()
    p = _clip(y_pred, eps, 1.0 - eps)
    return F.binary_cross_entropy(p, y_true, reduction="none").mean(axis=-1)


def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0):
    """-sum(y log p) over the last axis; p normalised to sum 1 and clipped, as Keras does."""
    y_true, y_pred = _prepare(y_true, y_pred)
    y_true = _smooth(y_true, label_smoothing, y_pred.shape[-1])
    if from_logits:
        return -(y_true * F.log_softmax(y_pred, dim=-1)).sum(axis=-1)
    eps = backend.epsilon()
    p = y_pred / y_pred.sum(axis=-1, keepdims=True)
    p = _clip(p, eps, 1.0 - eps)
    return -(y_true * p.log()).sum(axis=-1)


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False):
    """-log p[label] with integer labels (shape (N,) or (N, 1))."""
    y_pred = _t(y_pred)
    labels = _labels(y_true, y_pred)
    if from_logits:
        return _flat_classes(lambda a, b: F.cross_entropy(a, b, reduction="none"), y_pred, labels, True)
    eps = backend.epsilon()
    p = y_pred / y_pred.sum(axis=-1, keepdims=True)
    logp = _clip(p, eps, 1.0 - eps).log()
    return _flat_classes(lambda a, b: F.nll_loss(a, b, reduction="none"), logp, labels, True)


def _hinge_labels(y_true):
    """Keras converts 0/1 labels to -1/+1 for the hinge losses."""
    xp = get_array_module(y_true.data)
    d = y_true.data
    if bool(xp.all((d == 0) | (d == 1))):
        return Tensor._make(2 * d - 1)
    return y_true


def hinge(y_true, y_pred):
    """mean(max(1 - y_true * y_pred, 0)) over the last axis, labels in {-1, 1} (0/1 converted)."""
    y_true, y_pred = _prepare(y_true, y_pred)
    y_true = _hinge_labels(y_true)
    return F.relu(1.0 - y_true * y_pred).mean(axis=-1)


def squared_hinge(y_true, y_pred):
    """mean(max(1 - y_true * y_pred, 0)^2) over the last axis."""
    y_true, y_pred = _prepare(y_true, y_pred)
    y_true = _hinge_labels(y_true)
    m = F.relu(1.0 - y_true * y_pred)
    return (m * m).mean(axis=-1)


def categorical_hinge(y_true, y_pred):
    """max(0, 1 + max_{wrong} p - p_{true}) with one-hot y_true (the multiclass SVM loss)."""
    y_true, y_pred = _prepare(y_true, y_pred)
    pos = (y_true * y_pred).sum(axis=-1)
    neg = ((1.0 - y_true) * y_pred).amax(axis=-1)
    return F.relu(neg - pos + 1.0)


def kl_divergence(y_true, y_pred):
    """sum(y_true * log(y_true / y_pred)) over the last axis, both clipped to [eps, 1]."""
    y_true, y_pred = _prepare(y_true, y_pred)
    eps = backend.epsilon()
    t = _clip(y_true, eps, 1.0)
    p = _clip(y_pred, eps, 1.0)
    return F.kl_div(p.log(), t, reduction="none").sum(axis=-1)


def huber(y_true, y_pred, delta=1.0):
    """Quadratic for |error| <= delta, linear beyond; mean over the last axis."""
    y_true, y_pred = _prepare(y_true, y_pred)
    return F.huber_loss(y_pred, y_true, reduction="none", delta=delta).mean(axis=-1)


def mean_squared_logarithmic_error(y_true, y_pred):
    """mean((log(max(y_pred, eps) + 1) - log(max(y_true, eps) + 1))^2) over the last axis."""
    y_true, y_pred = _prepare(y_true, y_pred)
    eps = backend.epsilon()
    d = (y_pred.clamp(min=eps) + 1.0).log() - (y_true.clamp(min=eps) + 1.0).log()
    return (d * d).mean(axis=-1)


def poisson(y_true, y_pred):
    """mean(y_pred - y_true * log(y_pred + eps)) over the last axis."""
    y_true, y_pred = _prepare(y_true, y_pred)
    return (y_pred - y_true * (y_pred + backend.epsilon()).log()).mean(axis=-1)


def mean_absolute_percentage_error(y_true, y_pred):
    """100 * mean(|y_true - y_pred| / max(|y_true|, eps)) over the last axis."""
    y_true, y_pred = _prepare(y_true, y_pred)
    return ((y_true - y_pred) / y_true.abs().clamp(min=backend.epsilon())).abs().mean(axis=-1) * 100.0


def _l2_normalize(x, axis):
    return x * (x * x).sum(axis=axis, keepdims=True).clamp(min=1e-12).rsqrt()


def cosine_similarity(y_true, y_pred, axis=-1):
    """-sum(l2_normalize(y_true) * l2_normalize(y_pred)) along ``axis`` (Keras's loss: -1 is best)."""
    y_true, y_pred = _prepare(y_true, y_pred)
    return -(_l2_normalize(y_true, axis) * _l2_normalize(y_pred, axis)).sum(axis=axis)


def log_cosh(y_true, y_pred):
    """mean(log(cosh(y_pred - y_true))) over the last axis, as x + softplus(-2x) - log 2 (no overflow)."""
    y_true, y_pred = _prepare(y_true, y_pred)
    x = y_pred - y_true
    return (x + F.softplus(-2.0 * x) - math.log(2.0)).mean(axis=-1)


# Keras's short names
msle = MSLE = mean_squared_logarithmic_error
logcosh = log_cosh
mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
kld = KLD = kullback_leibler_divergence = kl_divergence


# -- Loss classes (reduction to a scalar) ------------------------------------------------------------
class Loss:
    """Base: ``call(y_true, y_pred)`` gives per-sample losses; ``__call__`` reduces them."""

    def __init__(self, name=None, reduction="sum_over_batch_size"):
        if reduction not in ("sum_over_batch_size", "sum", "none", None, "mean"):
            raise ValueError(f"{type(self).__name__}: unknown reduction {reduction!r}")
        self.name = name or backend.snake_case(type(self).__name__)
        self.reduction = reduction

    def call(self, y_true, y_pred):  # pragma: no cover - abstract
        raise NotImplementedError

    def call_logits(self, y_true, logits, activation):
        """Per-sample losses from the logits of a final ``activation``, or None if not fused."""
        return None

    def __call__(self, y_true, y_pred, sample_weight=None):
        return reduce_loss(self.call(y_true, y_pred), sample_weight, self.reduction)

    def get_config(self):
        return {"name": self.name, "reduction": self.reduction}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def reduce_loss(losses, sample_weight=None, reduction="sum_over_batch_size"):
    """Keras's reductions: weighted sum divided by the number of losses (not by the weights)."""
    if sample_weight is not None:
        w = _t(sample_weight, like=losses)
        if w.dtype != losses.dtype:
            w = Tensor._make(w.data.astype(losses.dtype))
        while w.ndim > losses.ndim:
            w = w.reshape(w.shape[:-1]) if w.shape[-1] == 1 else w
            if w.ndim > losses.ndim:
                raise ValueError(f"loss: sample_weight of shape {w.shape} does not fit losses {losses.shape}")
        losses = losses * w
    if reduction in ("none", None):
        return losses
    if reduction == "sum":
        return losses.sum()
    return losses.sum() / float(max(losses.numel(), 1))


class LossFunctionWrapper(Loss):
    """A Loss around a per-sample function (``fn(y_true, y_pred, **kwargs)``)."""

    fn = None

    def __init__(self, fn=None, name=None, reduction="sum_over_batch_size", **kwargs):
        fn = fn or type(self).fn
        super().__init__(name or getattr(fn, "__name__", None), reduction)
        self._fn = fn
        self._fn_kwargs = kwargs

    def call(self, y_true, y_pred):
        return self._fn(y_true, y_pred, **self._fn_kwargs)

    def get_config(self):
        return {**super().get_config(), **self._fn_kwargs}


def _wrapper(cls_name, fn, default_name):
    def __init__(self, name=default_name, reduction="sum_over_batch_size"):
        LossFunctionWrapper.__init__(self, fn, name=name, reduction=reduction)

    def get_config(self):
        return Loss.get_config(self)

    return type(cls_name, (LossFunctionWrapper,), {"__init__": __init__, "get_config": get_config, "fn": fn,
                                                    "__doc__": f"Mean over the batch of ``{fn.__name__}``."})


MeanSquaredError = _wrapper("MeanSquaredError", mean_squared_error, "mean_squared_error")
MeanAbsoluteError = _wrapper("MeanAbsoluteError", mean_absolute_error, "mean_absolute_error")
Hinge = _wrapper("Hinge", hinge, "hinge")
SquaredHinge = _wrapper("SquaredHinge", squared_hinge, "squared_hinge")
CategoricalHinge = _wrapper("CategoricalHinge", categorical_hinge, "categorical_hinge")
KLDivergence = _wrapper("KLDivergence", kl_divergence, "kl_divergence")
MeanSquaredLogarithmicError = _wrapper("MeanSquaredLogarithmicError", mean_squared_logarithmic_error,
                                       "mean_squared_logarithmic_error")
Poisson = _wrapper("Poisson", poisson, "poisson")
LogCosh = _wrapper("LogCosh", log_cosh, "log_cosh")
MeanAbsolutePercentageError = _wrapper("MeanAbsolutePercentageError", mean_absolute_percentage_error,
                                       "mean_absolute_percentage_error")


class CosineSimilarity(LossFunctionWrapper):
    def __init__(self, axis=-1, name="cosine_similarity", reduction="sum_over_batch_size"):
        super().__init__(cosine_similarity, name=name, reduction=reduction, axis=int(axis))


class Huber(LossFunctionWrapper):
    def __init__(self, delta=1.0, name="huber_loss", reduction="sum_over_batch_size"):
        super().__init__(huber, name=name, reduction=reduction, delta=float(delta))


class BinaryCrossentropy(LossFunctionWrapper):
    """Binary cross entropy on probabilities (``from_logits=False``) or logits."""

    def __init__(self, from_logits=False, label_smoothing=0.0, name="binary_crossentropy",
                 reduction="sum_over_batch_size"):
        super().__init__(binary_crossentropy, name=name, reduction=reduction, from_logits=bool(from_logits),
                         label_smoothing=float(label_smoothing))
        self.from_logits = bool(from_logits)
        self.label_smoothing = float(label_smoothing)

    def call_logits(self, y_true, logits, activation):
        if self.from_logits or activation != "sigmoid":
            return None
        y_true, logits = _prepare(y_true, logits)
        y_true = _smooth(y_true, self.label_smoothing, 2)
        return F.binary_cross_entropy_with_logits(logits, y_true, reduction="none").mean(axis=-1)


class CategoricalCrossentropy(LossFunctionWrapper):
    """Cross entropy with one-hot (or soft) targets, on probabilities or logits."""

    def __init__(self, from_logits=False, label_smoothing=0.0, name="categorical_crossentropy",
                 reduction="sum_over_batch_size"):
        super().__init__(categorical_crossentropy, name=name, reduction=reduction, from_logits=bool(from_logits),
                         label_smoothing=float(label_smoothing))
        self.from_logits = bool(from_logits)
        self.label_smoothing = float(label_smoothing)

    def call_logits(self, y_true, logits, activation):
        if self.from_logits or activation != "softmax":
            return None
        return categorical_crossentropy(y_true, logits, from_logits=True, label_smoothing=self.label_smoothing)


class SparseCategoricalCrossentropy(LossFunctionWrapper):
    """Cross entropy with integer labels, on probabilities or logits."""

    def __init__(self, from_logits=False, name="sparse_categorical_crossentropy",
                 reduction="sum_over_batch_size"):
        super().__init__(sparse_categorical_crossentropy, name=name, reduction=reduction,
                         from_logits=bool(from_logits))
        self.from_logits = bool(from_logits)

    def call_logits(self, y_true, logits, activation):
        if self.from_logits or activation != "softmax":
            return None
        return sparse_categorical_crossentropy(y_true, logits, from_logits=True)


_CLASSES = {c.__name__: c for c in (MeanSquaredError, MeanAbsoluteError, BinaryCrossentropy,
                                    CategoricalCrossentropy, SparseCategoricalCrossentropy, Hinge, SquaredHinge,
                                    CategoricalHinge, KLDivergence, Huber, MeanSquaredLogarithmicError, Poisson,
                                    LogCosh, MeanAbsolutePercentageError, CosineSimilarity)}
_FUNCTIONS = {
    "mean_squared_error": MeanSquaredError, "mse": MeanSquaredError,
    "mean_absolute_error": MeanAbsoluteError, "mae": MeanAbsoluteError,
    "binary_crossentropy": BinaryCrossentropy, "bce": BinaryCrossentropy,
    "categorical_crossentropy": CategoricalCrossentropy,
    "sparse_categorical_crossentropy": SparseCategoricalCrossentropy, "hinge": Hinge,
    "squared_hinge": SquaredHinge, "categorical_hinge": CategoricalHinge, "kl_divergence": KLDivergence,
    "kld": KLDivergence, "kullback_leibler_divergence": KLDivergence, "huber": Huber, "huber_loss": Huber,
    "mean_squared_logarithmic_error": MeanSquaredLogarithmicError, "msle": MeanSquaredLogarithmicError,
    "poisson": Poisson, "log_cosh": LogCosh, "logcosh": LogCosh,
    "mean_absolute_percentage_error": MeanAbsolutePercentageError, "mape": MeanAbsolutePercentageError,
    "cosine_similarity": CosineSimilarity,
}
_BY_FUNCTION = {mean_squared_error: MeanSquaredError, mean_absolute_error: MeanAbsoluteError,
                binary_crossentropy: BinaryCrossentropy, categorical_crossentropy: CategoricalCrossentropy,
                sparse_categorical_crossentropy: SparseCategoricalCrossentropy, hinge: Hinge,
                squared_hinge: SquaredHinge, categorical_hinge: CategoricalHinge, kl_divergence: KLDivergence,
                huber: Huber, mean_squared_logarithmic_error: MeanSquaredLogarithmicError, poisson: Poisson,
                log_cosh: LogCosh, mean_absolute_percentage_error: MeanAbsolutePercentageError,
                cosine_similarity: CosineSimilarity}


def get(identifier):
    """A Loss from a name ('mse'), a built-in function (keras.losses.mean_squared_error), a Loss,
    a config dict, or any ``fn(y_true, y_pred)`` returning per-sample losses."""
    if identifier is None or isinstance(identifier, Loss):
        return identifier
    if isinstance(identifier, str):
        cls = _FUNCTIONS.get(identifier.lower()) or _CLASSES.get(identifier)
        if cls is not None:
            return cls()
        obj = get_custom_object(identifier)
        if obj is None:
            raise ValueError(f"Unknown loss {identifier!r}; known: {sorted(_FUNCTIONS)}")
        return get(obj() if isinstance(obj, type) else obj)
    if isinstance(identifier, dict):
        name = identifier.get("class_name")
        cls = _CLASSES.get(name)
        if cls is None:
            obj = get_custom_object(name)
            if obj is None:
                raise ValueError(f"Unknown loss class {name!r}; known: {sorted(_CLASSES)} "
                                 "(pass custom_objects= for your own)")
            return get(obj)
        return cls.from_config(identifier.get("config", {}))
    if identifier in _BY_FUNCTION:
        return _BY_FUNCTION[identifier]()
    if callable(identifier):
        return LossFunctionWrapper(identifier)
    raise TypeError(f"loss: expected a name, a function or a Loss, got {type(identifier).__name__}")


def serialize(loss):
    """A JSON-safe description of a Loss (custom functions by name)."""
    if type(loss) in _CLASSES.values():
        return {"class_name": type(loss).__name__, "config": loss.get_config()}
    fn = getattr(loss, "_fn", loss)
    return getattr(fn, "__name__", type(loss).__name__)


__all__ = ["Loss", "LossFunctionWrapper", "reduce_loss", "get", "serialize", *_CLASSES, "mean_squared_error",
           "mean_absolute_error", "binary_crossentropy", "categorical_crossentropy",
           "sparse_categorical_crossentropy", "hinge", "squared_hinge", "categorical_hinge", "kl_divergence",
           "huber", "mse", "mae", "kld", "MSE", "MAE", "KLD", "kullback_leibler_divergence",
           "mean_squared_logarithmic_error", "msle", "MSLE", "poisson", "log_cosh", "logcosh",
           "mean_absolute_percentage_error", "mape", "MAPE", "cosine_similarity"]
