"""Loss modules: thin wrappers around the functional losses (``F.mse_loss``, ``F.cross_entropy``, ...).

Only arguments that differ from PyTorch's defaults are passed on, besides ``reduction``.
"""
from __future__ import annotations

from deepgrad.nn import functional as F
from deepgrad.nn.module import Module
from deepgrad.tensor import Tensor

_REDUCTIONS = ("mean", "sum", "none")


def _legacy_reduction(size_average, reduce, reduction):
    """PyTorch's deprecated ``size_average``/``reduce`` flags, when given, decide the reduction."""
    if size_average is None and reduce is None:
        return reduction
    if reduce is False:
        return "none"
    return "sum" if size_average is False else "mean"


class _Loss(Module):
    _fn = ""
    _defaults: dict = {}

    def __init__(self, reduction="mean", **options):
        super().__init__()
        if reduction not in _REDUCTIONS:
            raise ValueError(f"{type(self).__name__}: reduction must be one of {_REDUCTIONS}, got {reduction!r}")
        self.reduction = reduction
        for k, v in options.items():
            if isinstance(v, Tensor):
                self.register_buffer(k, v)
            else:
                object.__setattr__(self, k, v)
        self._options = tuple(options)

    def _kwargs(self):
        kw = {"reduction": self.reduction}
        for k in self._options:
            v = getattr(self, k)
            if v is not self._defaults.get(k, None) and not (
                    isinstance(v, (int, float, bool)) and v == self._defaults.get(k)):
                kw[k] = v
        return kw

    def forward(self, input, target):  # noqa: A002
        return getattr(F, self._fn)(input, target, **self._kwargs())


class MSELoss(_Loss):
    """Mean squared error: mean((input - target)^2)."""

    _fn = "mse_loss"

    def __init__(self, size_average=None, reduce=None, reduction="mean"):
        super().__init__(_legacy_reduction(size_average, reduce, reduction))


class L1Loss(_Loss):
    """Mean absolute error: mean(|input - target|)."""

    _fn = "l1_loss"

    def __init__(self, size_average=None, reduce=None, reduction="mean"):
        super().__init__(_legacy_reduction(size_average, reduce, reduction))


class CrossEntropyLoss(_Loss):
    """Softmax cross entropy of logits (N, C, *) against class ids or class probabilities."""

    _fn = "cross_entropy"
    _defaults = {"weight": None, "ignore_index": -100, "label_smoothing": 0.0}

    def __init__(self, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean",
                 label_smoothing=0.0):
        super().__init__(_legacy_reduction(size_average, reduce, reduction), weight=weight, ignore_index=ignore_index,
                         label_smoothing=label_smoothing)


class NLLLoss(_Loss):
    """Negative log-likelihood of log-probabilities (N, C, *) at the target class ids."""

    _fn = "nll_loss"
    _defaults = {"weight": None, "ignore_index": -100}

    def __init__(self, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
        super().__init__(_legacy_reduction(size_average, reduce, reduction), weight=weight, ignore_index=ignore_index)


class BCELoss(_Loss):
    """Binary cross entropy of probabilities: -(t log p + (1 - t) log(1 - p))."""

    _fn = "binary_cross_entropy"
    _defaults = {"weight": None}

    def __init__(self, weight=None, size_average=None, reduce=None, reduction="mean"):
        super().__init__(_legacy_reduction(size_average, reduce, reduction), weight=weight)


class BCEWithLogitsLoss(_Loss):
    """Binary cross entropy of logits (sigmoid inside, numerically stable)."""

    _fn = "binary_cross_entropy_with_logits"
    _defaults = {"weight": None, "pos_weight": None}

    def __init__(self, weight=None, size_average=None, reduce=None, reduction="mean", pos_weight=None):
        super().__init__(_legacy_reduction(size_average, reduce, reduction), weight=weight, pos_weight=pos_weight)


class HuberLoss(_Loss):
    """Quadratic for |error| < delta, linear beyond."""

    _fn = "huber_loss"
    _defaults = {"delta": 1.0}

    def __init__(self, reduction="mean", delta=1.0):
        super().__init__(reduction, delta=delta)


class SmoothL1Loss(_Loss):
    """Huber loss divided by beta: 0.5 e^2 / beta for |e| < beta, |e| - 0.5 beta beyond."""

    _fn = "smooth_l1_loss"
    _defaults = {"beta": 1.0}

    def __init__(self, size_average=None, reduce=None, reduction="mean", beta=1.0):
        super().__init__(_legacy_reduction(size_average, reduce, reduction), beta=beta)


class MultiMarginLoss(_Loss):
    """The multiclass SVM hinge loss of seed 002: sum over j != y of max(0, margin - x_y + x_j)^p / C."""

    _fn = "multi_margin_loss"
    _defaults = {"p": 1, "margin": 1.0, "weight": None}

    def __init__(self, p=1, margin=1.0, weight=None, size_average=None, reduce=None, reduction="mean"):
        if p not in (1, 2):
            raise ValueError(f"MultiMarginLoss: only p == 1 and p == 2 are supported, got {p}")
        super().__init__(_legacy_reduction(size_average, reduce, reduction), p=p, margin=margin, weight=weight)


class KLDivLoss(_Loss):
    """KL(target || input) with ``input`` given as log-probabilities (``log_target`` for log targets)."""

    _fn = "kl_div"
    _defaults = {"log_target": False}

    def __init__(self, size_average=None, reduce=None, reduction="mean", log_target=False):
        if reduction not in _REDUCTIONS + ("batchmean",):
            raise ValueError(f"KLDivLoss: reduction must be one of {_REDUCTIONS + ('batchmean',)}, got {reduction!r}")
        super().__init__("mean", log_target=log_target)
        self.reduction = _legacy_reduction(size_average, reduce, reduction)


class SoftMarginLoss(_Loss):
    """log(1 + exp(-y x)) for targets y in {1, -1}."""

    _fn = "soft_margin_loss"

    def __init__(self, size_average=None, reduce=None, reduction="mean"):
        super().__init__(_legacy_reduction(size_average, reduce, reduction))


class HingeEmbeddingLoss(_Loss):
    """x where y = 1, max(0, margin - x) where y = -1 (y in {1, -1}: similar or dissimilar pairs)."""

    _fn = "hinge_embedding_loss"
    _defaults = {"margin": 1.0}

    def __init__(self, margin=1.0, size_average=None, reduce=None, reduction="mean"):
        super().__init__(_legacy_reduction(size_average, reduce, reduction), margin=margin)


class MultiLabelSoftMarginLoss(_Loss):
    """Per sample, the mean over classes of the binary cross entropy of logits (multi-label)."""

    _fn = "multilabel_soft_margin_loss"
    _defaults = {"weight": None}

    def __init__(self, weight=None, size_average=None, reduce=None, reduction="mean"):
        super().__init__(_legacy_reduction(size_average, reduce, reduction), weight=weight)


class PoissonNLLLoss(_Loss):
    """exp(x) - y x for log-rates x (``log_input``), or x - y log(x + eps) for rates."""

    _fn = "poisson_nll_loss"
    _defaults = {"log_input": True, "full": False, "eps": 1e-8}

    def __init__(self, log_input=True, full=False, size_average=None, eps=1e-8, reduce=None, reduction="mean"):
        super().__init__(_legacy_reduction(size_average, reduce, reduction), log_input=log_input, full=full, eps=eps)


class GaussianNLLLoss(Module):
    """Negative log-likelihood of ``target`` under N(input, var): 0.5 (log var + (input - target)^2 / var)."""

    def __init__(self, *, full=False, eps=1e-6, reduction="mean"):
        super().__init__()
        if reduction not in _REDUCTIONS:
            raise ValueError(f"GaussianNLLLoss: reduction must be one of {_REDUCTIONS}, got {reduction!r}")
        self.full, self.eps, self.reduction = full, eps, reduction

    def forward(self, input, target, var):  # noqa: A002
        return F.gaussian_nll_loss(input, target, var, full=self.full, eps=self.eps, reduction=self.reduction)


class _PairLoss(Module):
    """A loss of two inputs and a target of 1 / -1 (``margin``)."""

    _fn = ""

    def __init__(self, margin=0.0, size_average=None, reduce=None, reduction="mean"):
        super().__init__()
        reduction = _legacy_reduction(size_average, reduce, reduction)
        if reduction not in _REDUCTIONS:
            raise ValueError(f"{type(self).__name__}: reduction must be one of {_REDUCTIONS}, got {reduction!r}")
        self.margin, self.reduction = margin, reduction

    def forward(self, input1, input2, target):
        return getattr(F, self._fn)(input1, input2, target, margin=self.margin, reduction=self.reduction)


class MarginRankingLoss(_PairLoss):
    """max(0, -y (x1 - x2) + margin): x1 should rank above x2 where y = 1, below where y = -1."""

    _fn = "margin_ranking_loss"


class CosineEmbeddingLoss(_PairLoss):
    """1 - cos(x1, x2) where y = 1, max(0, cos(x1, x2) - margin) where y = -1."""

    _fn = "cosine_embedding_loss"


class TripletMarginLoss(Module):
    """max(0, margin + d(anchor, positive) - d(anchor, negative)), d the pairwise p-norm distance."""

    def __init__(self, margin=1.0, p=2.0, eps=1e-6, swap=False, size_average=None, reduce=None, reduction="mean"):
        super().__init__()
        reduction = _legacy_reduction(size_average, reduce, reduction)
        if reduction not in _REDUCTIONS:
            raise ValueError(f"TripletMarginLoss: reduction must be one of {_REDUCTIONS}, got {reduction!r}")
        if margin <= 0:
            raise ValueError(f"TripletMarginLoss: margin must be greater than 0, got {margin}")
        self.margin, self.p, self.eps, self.swap, self.reduction = margin, p, eps, swap, reduction

    def forward(self, anchor, positive, negative):
        return F.triplet_margin_loss(anchor, positive, negative, margin=self.margin, p=self.p, eps=self.eps,
                                     swap=self.swap, reduction=self.reduction)


__all__ = ["MSELoss", "L1Loss", "CrossEntropyLoss", "NLLLoss", "BCELoss", "BCEWithLogitsLoss", "HuberLoss",
           "SmoothL1Loss", "MultiMarginLoss", "KLDivLoss", "SoftMarginLoss", "PoissonNLLLoss", "GaussianNLLLoss",
           "MarginRankingLoss", "CosineEmbeddingLoss", "TripletMarginLoss", "HingeEmbeddingLoss",
           "MultiLabelSoftMarginLoss"]
