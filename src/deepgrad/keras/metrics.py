"""Keras metrics: stateful objects averaged over an epoch (``update_state``, ``result``, ``reset_state``).

Metrics only read values (no gradients), so they work on the raw arrays with ``xp``
(numpy or cupy) and keep running sums; ``result()`` is a Python float.

``'accuracy'`` is resolved as Keras does, from the shapes of the targets and predictions:
binary accuracy for one output column, sparse categorical accuracy for integer labels,
categorical accuracy for one-hot targets.
"""
from __future__ import annotations

import numpy as np

from deepgrad.backend import get_array_module
from deepgrad.keras import backend
from deepgrad.keras import losses as _losses
from deepgrad.keras.object_registry import get_custom_object
from deepgrad.tensor import Tensor


def _arr(x):
    return x.data if isinstance(x, Tensor) else x


def _asarrays(y_true, y_pred):
    y_pred = _arr(y_pred)
    xp = get_array_module(y_pred)
    y_true = xp.asarray(_arr(y_true))
    return xp, y_true, y_pred


# -- per-sample metric functions ----------------------------------------------------------------------
def binary_accuracy(y_true, y_pred, threshold=0.5):
    """1 where (y_pred > threshold) equals y_true, averaged over the last axis."""
    xp, y_true, y_pred = _asarrays(y_true, y_pred)
    if y_true.ndim == y_pred.ndim - 1:
        y_true = y_true.reshape(y_pred.shape)
    return ((y_pred > threshold) == (y_true > 0.5)).astype(np.float32).mean(axis=-1)


def categorical_accuracy(y_true, y_pred):
    """1 where argmax(y_pred) equals argmax(y_true) (one-hot targets)."""
    xp, y_true, y_pred = _asarrays(y_true, y_pred)
    return (xp.argmax(y_pred, axis=-1) == xp.argmax(y_true, axis=-1)).astype(np.float32)


def sparse_categorical_accuracy(y_true, y_pred):
    """1 where argmax(y_pred) equals the integer label."""
    xp, y_true, y_pred = _asarrays(y_true, y_pred)
    if y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1:
        y_true = y_true.reshape(y_true.shape[:-1])
    return (xp.argmax(y_pred, axis=-1) == y_true.astype(np.int64)).astype(np.float32)


def _in_top_k(xp, y_pred, labels, k):
    k = min(k, y_pred.shape[-1])
    target = xp.take_along_axis(y_pred, labels.reshape(labels.shape + (1,)).astype(np.int64), axis=-1)
    higher = (y_pred > target).sum(axis=-1)  # the label is in the top k when fewer than k beat it
    return (higher < k).astype(np.float32)


def top_k_categorical_accuracy(y_true, y_pred, k=5):
    """1 where the true class (argmax of the one-hot target) is among the k largest predictions."""
    xp, y_true, y_pred = _asarrays(y_true, y_pred)
    return _in_top_k(xp, y_pred, xp.argmax(y_true, axis=-1), k)


def sparse_top_k_categorical_accuracy(y_true, y_pred, k=5):
    """1 where the integer label is among the k largest predictions."""
    xp, y_true, y_pred = _asarrays(y_true, y_pred)
    if y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1:
        y_true = y_true.reshape(y_true.shape[:-1])
    return _in_top_k(xp, y_pred, y_true, k)


def accuracy(y_true, y_pred):
    """1 where y_pred equals y_true exactly (``keras.metrics.Accuracy``)."""
    xp, y_true, y_pred = _asarrays(y_true, y_pred)
    if y_true.ndim == y_pred.ndim + 1 and y_true.shape[-1] == 1:
        y_true = y_true.reshape(y_true.shape[:-1])
    elif y_pred.ndim == y_true.ndim + 1 and y_pred.shape[-1] == 1:
        y_pred = y_pred.reshape(y_pred.shape[:-1])
    return (y_true.astype(y_pred.dtype) == y_pred).astype(np.float32)


def _loss_values(fn):
    """A metric function from a per-sample loss of deepgrad.keras.losses (values, no graph)."""
    def metric_fn(y_true, y_pred, **kwargs):
        from deepgrad.autograd import no_grad

        with no_grad():
            return _arr(fn(y_true, _arr(y_pred), **kwargs))

    metric_fn.__name__ = fn.__name__
    return metric_fn


# -- stateful metrics ---------------------------------------------------------------------------------------
class Metric:
    """Base: ``update_state(y_true, y_pred, sample_weight=None)``, ``result()``, ``reset_state()``."""

    def __init__(self, name=None, dtype=None):
        self.name = name or type(self).__name__.lower()
        self.reset_state()

    def reset_state(self):  # pragma: no cover - abstract
        raise NotImplementedError

    def update_state(self, y_true, y_pred, sample_weight=None):  # pragma: no cover - abstract
        raise NotImplementedError

    def result(self) -> float:  # pragma: no cover - abstract
        raise NotImplementedError

    def __call__(self, y_true, y_pred, sample_weight=None):
        self.update_state(y_true, y_pred, sample_weight)
        return self.result()

    def get_config(self):
        return {"name": self.name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def _same_rank(w, v):
    """Sample weights with trailing size-1 axes beyond the values' rank dropped (Keras's squeeze_or_expand)."""
    while w.ndim > v.ndim and w.shape[-1] == 1:
        w = w.reshape(w.shape[:-1])
    return w


class Mean(Metric):
    """Weighted mean of the values given to ``update_state(values, sample_weight)``."""

    def reset_state(self):
        self.total = 0.0
        self.count = 0.0

    def update_state(self, values, sample_weight=None):
        v = _arr(values)
        if isinstance(v, (int, float)):
            w = 1.0 if sample_weight is None else float(sample_weight)
            self.total += float(v) * w
            self.count += w
            return
        xp = get_array_module(v)
        if sample_weight is None:
            self.total += float(v.sum())
            self.count += float(v.size)
        else:
            w = _same_rank(xp.asarray(_arr(sample_weight), dtype=v.dtype), v)
            w = xp.broadcast_to(w.reshape(w.shape + (1,) * (v.ndim - w.ndim)), v.shape)
            self.total += float((v * w).sum())
            self.count += float(w.sum())

    def result(self):
        return self.total / self.count if self.count else 0.0


class Sum(Metric):
    """Weighted sum of the values given to ``update_state(values, sample_weight)``."""

    def __init__(self, name="sum", dtype=None):
        super().__init__(name=name, dtype=dtype)

    def reset_state(self):
        self.total = 0.0

    def update_state(self, values, sample_weight=None):
        v = _arr(values)
        xp = get_array_module(v)
        v = xp.asarray(v, dtype=np.float32)
        if sample_weight is not None:
            w = _same_rank(xp.asarray(_arr(sample_weight), dtype=np.float32), v)
            v = v * w.reshape(w.shape + (1,) * (v.ndim - w.ndim)) if w.ndim <= v.ndim else v * w
        self.total += float(v.sum())

    def result(self):
        return self.total


class MeanMetricWrapper(Mean):
    """The mean of a per-sample function ``fn(y_true, y_pred)`` over everything seen."""

    def __init__(self, fn, name=None, dtype=None, **kwargs):
        self._fn = fn
        self._fn_kwargs = kwargs
        super().__init__(name=name or getattr(fn, "__name__", "metric"), dtype=dtype)

    def update_state(self, y_true, y_pred, sample_weight=None):
        values = self._fn(y_true, y_pred, **self._fn_kwargs)
        if isinstance(values, Tensor):
            values = values.data
        super().update_state(values, sample_weight)

    def get_config(self):
        return {"name": self.name, **self._fn_kwargs}


def _mean_wrapper(cls_name, fn, default_name, **defaults):
    def __init__(self, name=default_name, dtype=None, **kwargs):
        MeanMetricWrapper.__init__(self, fn, name=name, dtype=dtype, **{**defaults, **kwargs})

    return type(cls_name, (MeanMetricWrapper,), {"__init__": __init__,
                                                 "__doc__": f"Mean over all samples of ``{fn.__name__}``."})


BinaryAccuracy = _mean_wrapper("BinaryAccuracy", binary_accuracy, "binary_accuracy", threshold=0.5)
CategoricalAccuracy = _mean_wrapper("CategoricalAccuracy", categorical_accuracy, "categorical_accuracy")
SparseCategoricalAccuracy = _mean_wrapper("SparseCategoricalAccuracy", sparse_categorical_accuracy,
                                          "sparse_categorical_accuracy")
TopKCategoricalAccuracy = _mean_wrapper("TopKCategoricalAccuracy", top_k_categorical_accuracy,
                                        "top_k_categorical_accuracy", k=5)
SparseTopKCategoricalAccuracy = _mean_wrapper("SparseTopKCategoricalAccuracy", sparse_top_k_categorical_accuracy,
                                              "sparse_top_k_categorical_accuracy", k=5)


Accuracy = _mean_wrapper("Accuracy", accuracy, "accuracy")


def _loss_metric(cls_name, loss_name, default_name, **defaults):
    return _mean_wrapper(cls_name, _loss_values(getattr(_losses, loss_name)), default_name, **defaults)


MeanSquaredError = _loss_metric("MeanSquaredError", "mean_squared_error", "mean_squared_error")
MeanAbsoluteError = _loss_metric("MeanAbsoluteError", "mean_absolute_error", "mean_absolute_error")
MeanAbsolutePercentageError = _loss_metric("MeanAbsolutePercentageError", "mean_absolute_percentage_error",
                                           "mean_absolute_percentage_error")
MeanSquaredLogarithmicError = _loss_metric("MeanSquaredLogarithmicError", "mean_squared_logarithmic_error",
                                           "mean_squared_logarithmic_error")
LogCoshError = _loss_metric("LogCoshError", "log_cosh", "logcosh")
KLDivergence = _loss_metric("KLDivergence", "kl_divergence", "kl_divergence")
Poisson = _loss_metric("Poisson", "poisson", "poisson")
Hinge = _loss_metric("Hinge", "hinge", "hinge")
SquaredHinge = _loss_metric("SquaredHinge", "squared_hinge", "squared_hinge")
CategoricalHinge = _loss_metric("CategoricalHinge", "categorical_hinge", "categorical_hinge")
BinaryCrossentropy = _loss_metric("BinaryCrossentropy", "binary_crossentropy", "binary_crossentropy",
                                  from_logits=False, label_smoothing=0.0)
CategoricalCrossentropy = _loss_metric("CategoricalCrossentropy", "categorical_crossentropy",
                                       "categorical_crossentropy", from_logits=False, label_smoothing=0.0)
SparseCategoricalCrossentropy = _loss_metric("SparseCategoricalCrossentropy", "sparse_categorical_crossentropy",
                                             "sparse_categorical_crossentropy", from_logits=False)


def cosine_similarity(y_true, y_pred, axis=-1):
    """sum(l2_normalize(y_true) * l2_normalize(y_pred)) along ``axis`` (the loss with the sign flipped)."""
    return -_loss_values(_losses.cosine_similarity)(y_true, y_pred, axis=axis)


CosineSimilarity = _mean_wrapper("CosineSimilarity", cosine_similarity, "cosine_similarity", axis=-1)


class RootMeanSquaredError(Mean):
    """sqrt of the (weighted) mean squared error over everything seen."""

    def __init__(self, name="root_mean_squared_error", dtype=None):
        super().__init__(name=name, dtype=dtype)

    def update_state(self, y_true, y_pred, sample_weight=None):
        xp, y_true, y_pred = _asarrays(y_true, y_pred)
        if y_true.ndim == y_pred.ndim - 1 and y_pred.shape[-1] == 1:
            y_true = y_true.reshape(y_pred.shape)
        d = y_pred.astype(np.float32) - y_true.astype(np.float32)
        super().update_state(d * d, sample_weight)

    def result(self):
        return float(np.sqrt(super().result()))


class _Confusion(Metric):
    """Counts for Precision/Recall: predictions above ``thresholds`` are positive."""

    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None, dtype=None):
        self.thresholds = 0.5 if thresholds is None else float(thresholds)
        if top_k is not None:
            raise NotImplementedError(f"{type(self).__name__}: top_k is not supported")
        self.class_id = class_id
        super().__init__(name=name, dtype=dtype)

    def reset_state(self):
        self.tp = self.fp = self.fn = 0.0

    def update_state(self, y_true, y_pred, sample_weight=None):
        xp, y_true, y_pred = _asarrays(y_true, y_pred)
        if y_true.ndim == y_pred.ndim - 1 and y_pred.shape[-1] == 1:
            y_true = y_true.reshape(y_pred.shape)
        if self.class_id is not None:
            y_true, y_pred = y_true[..., self.class_id], y_pred[..., self.class_id]
        pred = y_pred > self.thresholds
        true = y_true > 0.5
        w = 1.0
        if sample_weight is not None:
            w = xp.asarray(_arr(sample_weight), dtype=np.float32)
            w = w.reshape(w.shape + (1,) * (pred.ndim - w.ndim))
        self.tp += float((w * (pred & true)).sum())
        self.fp += float((w * (pred & ~true)).sum())
        self.fn += float((w * (~pred & true)).sum())

    def get_config(self):
        return {"name": self.name, "thresholds": self.thresholds, "class_id": self.class_id}


class Precision(_Confusion):
    """tp / (tp + fp), every output treated as a binary prediction (as Keras does)."""

    def result(self):
        d = self.tp + self.fp
        return self.tp / d if d else 0.0


class Recall(_Confusion):
    """tp / (tp + fn)."""

    def result(self):
        d = self.tp + self.fn
        return self.tp / d if d else 0.0


class AUC(Metric):
    """Area under the ROC (or PR) curve, from confusion counts at ``num_thresholds`` thresholds (as Keras)."""

    def __init__(self, num_thresholds=200, curve="ROC", summation_method="interpolation", name=None, dtype=None,
                 thresholds=None, multi_label=False, num_labels=None, label_weights=None, from_logits=False):
        if multi_label or label_weights is not None:
            raise NotImplementedError("AUC: multi_label and label_weights are not supported")
        self.curve = str(curve).upper()
        self.summation_method = str(summation_method).lower()
        if self.curve not in ("ROC", "PR"):
            raise ValueError(f"AUC: curve must be 'ROC' or 'PR', got {curve!r}")
        if self.summation_method not in ("interpolation", "minoring", "majoring"):
            raise ValueError(f"AUC: summation_method must be 'interpolation', 'minoring' or 'majoring', "
                             f"got {summation_method!r}")
        if thresholds is not None:
            inner = sorted(float(t) for t in thresholds)
            self.num_thresholds = len(inner) + 2
        else:
            if int(num_thresholds) <= 1:
                raise ValueError(f"AUC: num_thresholds must be > 1, got {num_thresholds}")
            self.num_thresholds = int(num_thresholds)
            inner = [(i + 1) / (self.num_thresholds - 1) for i in range(self.num_thresholds - 2)]
        self._thresholds = np.array([-backend.epsilon()] + inner + [1.0 + backend.epsilon()], dtype=np.float32)
        self.from_logits = bool(from_logits)
        self.multi_label = False
        super().__init__(name=name or backend.unique_name("auc"), dtype=dtype)  # Keras: auc, auc_1, ...

    @property
    def thresholds(self):
        return self._thresholds[1:-1].tolist()

    def reset_state(self):
        n = self.num_thresholds
        self.true_positives, self.false_positives = np.zeros(n), np.zeros(n)
        self.true_negatives, self.false_negatives = np.zeros(n), np.zeros(n)

    def update_state(self, y_true, y_pred, sample_weight=None):
        xp, y_true, y_pred = _asarrays(y_true, y_pred)
        y_pred = y_pred.astype(np.float32)
        if self.from_logits:
            y_pred = 1.0 / (1.0 + xp.exp(-y_pred))
        if y_true.ndim == y_pred.ndim - 1 and y_pred.shape[-1] == 1:
            y_true = y_true.reshape(y_pred.shape)
        w = xp.ones(y_pred.shape, dtype=np.float32)
        if sample_weight is not None:
            sw = xp.asarray(_arr(sample_weight), dtype=np.float32)
            w = w * sw.reshape(sw.shape + (1,) * (y_pred.ndim - sw.ndim))
        pred, true, w = y_pred.reshape(-1), (y_true > 0.5).reshape(-1), w.reshape(-1)
        pos = pred[None, :] > xp.asarray(self._thresholds)[:, None]  # (thresholds, values)
        tw, fw = w * true, w * ~true
        for name, counts in (("true_positives", pos @ tw), ("false_positives", pos @ fw),
                             ("false_negatives", ~pos @ tw), ("true_negatives", ~pos @ fw)):
            setattr(self, name, getattr(self, name) + np.asarray(counts.get() if hasattr(counts, "get") else counts,
                                                                    dtype=np.float64))

    def result(self):
        tp, fp, tn, fn = self.true_positives, self.false_positives, self.true_negatives, self.false_negatives
        n = self.num_thresholds

        def div(a, b):
            return np.divide(a, b, out=np.zeros_like(a), where=b != 0)

        if self.curve == "PR" and self.summation_method == "interpolation":
            dtp = tp[:n - 1] - tp[1:]
            p = tp + fp
            dp = p[:n - 1] - p[1:]
            slope = div(dtp, np.maximum(dp, 0))
            intercept = tp[1:] - slope * p[1:]
            both = (p[:n - 1] > 0) & (p[1:] > 0)
            ratio = np.where(both, div(p[:n - 1], np.maximum(p[1:], 0)), 1.0)
            return float(div(slope * (dtp + intercept * np.log(ratio)), np.maximum(tp[1:] + fn[1:], 0)).sum())
        recall = div(tp, tp + fn)
        x, y = (div(fp, fp + tn), recall) if self.curve == "ROC" else (recall, div(tp, tp + fp))
        if self.summation_method == "interpolation":
            heights = (y[:n - 1] + y[1:]) / 2.0
        elif self.summation_method == "minoring":
            heights = np.minimum(y[:n - 1], y[1:])
        else:
            heights = np.maximum(y[:n - 1], y[1:])
        return float(((x[:n - 1] - x[1:]) * heights).sum())

    def get_config(self):
        return {"name": self.name, "num_thresholds": self.num_thresholds, "curve": self.curve,
                "summation_method": self.summation_method, "from_logits": self.from_logits}


_CLASSES = {c.__name__: c for c in (Accuracy, Sum, MeanSquaredError, MeanAbsoluteError, MeanAbsolutePercentageError,
                                    MeanSquaredLogarithmicError, LogCoshError, KLDivergence, Poisson, Hinge,
                                    SquaredHinge, CategoricalHinge, BinaryCrossentropy, CategoricalCrossentropy,
                                    SparseCategoricalCrossentropy, CosineSimilarity, RootMeanSquaredError, AUC,
                                    Mean, BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy,
                                    TopKCategoricalAccuracy, SparseTopKCategoricalAccuracy, Precision, Recall)}
_BY_NAME = {"binary_accuracy": BinaryAccuracy, "categorical_accuracy": CategoricalAccuracy,
            "sparse_categorical_accuracy": SparseCategoricalAccuracy,
            "top_k_categorical_accuracy": TopKCategoricalAccuracy,
            "sparse_top_k_categorical_accuracy": SparseTopKCategoricalAccuracy,
            "precision": Precision, "recall": Recall}
_BY_NAME.update({backend.snake_case(n): c for n, c in _CLASSES.items()  # Keras: every class by its snake-case name
                 if backend.snake_case(n) not in _BY_NAME and c is not Mean})
_BY_FUNCTION = {binary_accuracy: BinaryAccuracy, categorical_accuracy: CategoricalAccuracy,
                sparse_categorical_accuracy: SparseCategoricalAccuracy,
                top_k_categorical_accuracy: TopKCategoricalAccuracy,
                sparse_top_k_categorical_accuracy: SparseTopKCategoricalAccuracy}


def resolve_accuracy(name, y_true_shape, y_pred_shape, y_true_is_int=False):
    """The accuracy Keras picks for ``'accuracy'``/``'acc'`` given the target and output shapes."""
    if y_pred_shape[-1] == 1:
        cls = BinaryAccuracy
    elif len(y_true_shape) < len(y_pred_shape) or (y_true_shape[-1] == 1 and y_pred_shape[-1] > 1):
        cls = SparseCategoricalAccuracy
    else:
        cls = CategoricalAccuracy
    return cls(name=name)


def get(identifier, y_true_shape=None, y_pred_shape=None):
    """A Metric from a name, a function, a Metric or a config dict.

    ``'accuracy'`` needs the shapes (see ``resolve_accuracy``); loss names ('mse', 'mae', ...)
    give the mean of that loss.
    """
    if isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, str):
        if identifier in ("accuracy", "acc"):
            if y_true_shape is None:
                raise ValueError("metrics.get('accuracy') needs the target and output shapes to pick the accuracy")
            return resolve_accuracy(identifier, y_true_shape, y_pred_shape)
        cls = _BY_NAME.get(identifier) or _CLASSES.get(identifier)
        if cls is not None:
            return cls(name=identifier) if identifier in _BY_NAME else cls()
        from deepgrad.keras import losses  # a loss used as a metric ('mse', 'mae', ...)

        try:
            loss = losses.get(identifier)
        except ValueError:
            loss = None
        if loss is not None:
            return _LossMetric(loss, identifier)
        obj = get_custom_object(identifier)
        if obj is None:
            raise ValueError(f"Unknown metric {identifier!r}; known: {sorted(_BY_NAME)} and the loss names")
        return get(obj() if isinstance(obj, type) else obj)
    if isinstance(identifier, dict):
        cls = _CLASSES.get(identifier.get("class_name"))
        if cls is None:
            raise ValueError(f"Unknown metric class {identifier.get('class_name')!r}; known: {sorted(_CLASSES)}")
        return cls.from_config(identifier.get("config", {}))
    if identifier in _BY_FUNCTION:
        return _BY_FUNCTION[identifier]()
    if callable(identifier):
        return MeanMetricWrapper(identifier)
    raise TypeError(f"metric: expected a name, a function or a Metric, got {type(identifier).__name__}")


class _LossMetric(MeanMetricWrapper):
    """The per-sample values of a loss, averaged (``metrics=['mae']``)."""

    def __init__(self, loss, name):
        super().__init__(loss.call, name=name)


def serialize(metric):
    if isinstance(metric, str):
        return metric
    if type(metric) in _CLASSES.values():
        return {"class_name": type(metric).__name__, "config": metric.get_config()}
    return getattr(metric, "name", getattr(metric, "__name__", str(metric)))


__all__ = ["Metric", "Mean", "MeanMetricWrapper", *_CLASSES, "binary_accuracy", "categorical_accuracy",
           "sparse_categorical_accuracy", "top_k_categorical_accuracy", "sparse_top_k_categorical_accuracy",
           "get", "serialize", "resolve_accuracy"]
