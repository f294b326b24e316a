"""Session-wide settings of deepgrad.keras: layer-name counters, epsilon, float dtype.

``clear_session()`` resets the counters so that the next Dense is called ``dense`` again,
as in Keras.
"""
from __future__ import annotations

import re

_EPSILON = 1e-7
_FLOATX = "float32"
_name_counts: dict[str, int] = {}


def epsilon() -> float:
    """The fuzz factor Keras clips probabilities with (1e-7)."""
    return _EPSILON


def set_epsilon(value: float):
    global _EPSILON
    _EPSILON = float(value)


def floatx() -> str:
    """The float dtype of layers and inputs ('float32')."""
    return _FLOATX


def clear_session():
    """Forget the layer-name counters (the next Dense is ``dense`` again)."""
    _name_counts.clear()


def snake_case(name: str) -> str:
    """``BatchNormalization`` -> ``batch_normalization``, ``Conv2D`` -> ``conv2d``."""
    s = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    s = re.sub(r"([a-z])([A-Z])", r"\1_\2", s)
    return s.lower()


def unique_name(base: str) -> str:
    """``dense``, then ``dense_1``, ``dense_2``, ... within one session."""
    n = _name_counts.get(base, 0)
    _name_counts[base] = n + 1
    return base if n == 0 else f"{base}_{n}"


__all__ = ["epsilon", "set_epsilon", "floatx", "clear_session"]
