"""Loss modules: thin wrappers around the functional losses (``F.mse_loss``, ``F.cross_entropy``, ...).

Only arguments that differ from PyTorch's defaults are passed on, besides ``reduction``.
"""
from __future__ import annotations

from deepgrad.nn import functional as F
from deepgrad.nn.module import Module
from deepgrad.tensor import Tensor

_REDUCTIONS = ("mean", "sum", "none")


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


class L1Loss(_Loss):
    """Mean absolute error: mean(|input - target|)."""

    _fn = "l1_loss"


class CrossEntropyLoss(_Loss):
    """Softmax cross entropy of logits (N, C, *) against class ids or class probabilities."""

    _fn = "cross_entropy"
    _defaults = {"weight": None, "ignore_index": -100, "label_smoothing": 0.0}

    def __init__(self, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean",
                 label_smoothing=0.0):
        super().__init__(reduction, weight=weight, ignore_index=ignore_index, label_smoothing=label_smoothing)


class NLLLoss(_Loss):
    """Negative log-likelihood of log-probabilities (N, C, *) at the target class ids."""

    _fn = "nll_loss"
    _defaults = {"weight": None, "ignore_index": -100}

    def __init__(self, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
        super().__init__(reduction, weight=weight, ignore_index=ignore_index)


class BCELoss(_Loss):
    """Binary cross entropy of probabilities: -(t log p + (1 - t) log(1 - p))."""

    _fn = "binary_cross_entropy"
    _defaults = {"weight": None}

    def __init__(self, weight=None, size_average=None, reduce=None, reduction="mean"):
        super().__init__(reduction, weight=weight)


class BCEWithLogitsLoss(_Loss):
    """Binary cross entropy of logits (sigmoid inside, numerically stable)."""

    _fn = "binary_cross_entropy_with_logits"
    _defaults = {"weight": None, "pos_weight": None}

    def __init__(self, weight=None, size_average=None, reduce=None, reduction="mean", pos_weight=None):
        super().__init__(reduction, weight=weight, pos_weight=pos_weight)


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
        super().__init__(reduction, beta=beta)


class MultiMarginLoss(_Loss):
    """The multiclass SVM hinge loss of seed 002: sum over j != y of max(0, margin - x_y + x_j)^p / C."""

    _fn = "multi_margin_loss"
    _defaults = {"p": 1, "margin": 1.0, "weight": None}

    def __init__(self, p=1, margin=1.0, weight=None, size_average=None, reduce=None, reduction="mean"):
        if p not in (1, 2):
            raise ValueError(f"MultiMarginLoss: only p == 1 and p == 2 are supported, got {p}")
        super().__init__(reduction, p=p, margin=margin, weight=weight)


class KLDivLoss(_Loss):
    """KL(target || input) with ``input`` given as log-probabilities (``log_target`` for log targets)."""

    _fn = "kl_div"
    _defaults = {"log_target": False}

    def __init__(self, size_average=None, reduce=None, reduction="mean", log_target=False):
        if reduction not in _REDUCTIONS + ("batchmean",):
            raise ValueError(f"KLDivLoss: reduction must be one of {_REDUCTIONS + ('batchmean',)}, got {reduction!r}")
        super().__init__("mean", log_target=log_target)
        self.reduction = reduction


__all__ = ["MSELoss", "L1Loss", "CrossEntropyLoss", "NLLLoss", "BCELoss", "BCEWithLogitsLoss", "HuberLoss",
           "SmoothL1Loss", "MultiMarginLoss", "KLDivLoss"]
