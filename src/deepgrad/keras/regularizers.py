"""Weight penalties added to the training loss: ``l1``, ``l2``, ``l1_l2`` (seed 001's R(W)).

``Dense(64, kernel_regularizer=l2(0.01))`` adds 0.01 * sum(W^2) to the loss that ``fit``
minimises and reports, as Keras does.  Keras's L2 has no factor 1/2.
"""
from __future__ import annotations

from deepgrad.keras.object_registry import get_custom_object


class Regularizer:
    """Base: ``__call__(weight_tensor)`` returns a scalar penalty Tensor."""

    def __call__(self, x):  # pragma: no cover - abstract
        raise NotImplementedError

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class L1L2(Regularizer):
    """l1 * sum(|w|) + l2 * sum(w^2)."""

    def __init__(self, l1=0.0, l2=0.0):
        self.l1, self.l2 = float(l1), float(l2)

    def __call__(self, x):
        penalty = None
        if self.l1:
            penalty = self.l1 * x.abs().sum()
        if self.l2:
            term = self.l2 * (x * x).sum()
            penalty = term if penalty is None else penalty + term
        if penalty is None:
            penalty = (x * 0.0).sum()
        return penalty

    def get_config(self):
        return {"l1": self.l1, "l2": self.l2}


class L1(L1L2):
    def __init__(self, l1=0.01):
        super().__init__(l1=l1)

    def get_config(self):
        return {"l1": self.l1}


class L2(L1L2):
    def __init__(self, l2=0.01):
        super().__init__(l2=l2)

    def get_config(self):
        return {"l2": self.l2}


def l1(l1=0.01):  # noqa: D103 - Keras's lower-case constructors
    """L1 penalty ``l1 * sum(|w|)``."""
    return L1(l1)


def l2(l2=0.01):
    """L2 penalty ``l2 * sum(w^2)``."""
    return L2(l2)


def l1_l2(l1=0.01, l2=0.01):
    """Both penalties."""
    return L1L2(l1, l2)


_CLASSES = {"L1": L1, "L2": L2, "L1L2": L1L2}
_ALIASES = {"l1": L1, "l2": L2, "l1_l2": L1L2}


def get(identifier):
    """A regularizer from None, a name ('l2'), a config dict, an instance or a callable."""
    if identifier is None or isinstance(identifier, Regularizer):
        return identifier
    if isinstance(identifier, str):
        cls = _ALIASES.get(identifier) or _CLASSES.get(identifier)
        if cls is None:
            obj = get_custom_object(identifier)
            if obj is None:
                raise ValueError(f"Unknown regularizer {identifier!r}; known: {sorted(_ALIASES)}")
            return obj
        return cls()
    if isinstance(identifier, dict):
        cls = _CLASSES.get(identifier.get("class_name"))
        if cls is None:
            raise ValueError(f"Unknown regularizer class {identifier.get('class_name')!r}; known: {sorted(_CLASSES)}")
        return cls.from_config(identifier.get("config", {}))
    if callable(identifier):
        return identifier
    raise TypeError(f"regularizer: expected a name, dict or callable, got {type(identifier).__name__}")


def serialize(reg):
    if reg is None:
        return None
    if isinstance(reg, Regularizer):
        return {"class_name": type(reg).__name__, "config": reg.get_config()}
    return getattr(reg, "__name__", str(reg))


__all__ = ["Regularizer", "L1", "L2", "L1L2", "l1", "l2", "l1_l2", "get", "serialize"]
