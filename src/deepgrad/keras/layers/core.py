"""Weightless core layers: ``Identity`` and ``Rescaling`` (``x * scale + offset``, e.g. 1/255 for pixels)."""
from __future__ import annotations

from deepgrad.keras.layers.layer import Layer


class Identity(Layer):
    """Returns its input unchanged (a placeholder in a model)."""

    def call(self, x, training=False):
        return x


class Rescaling(Layer):
    """``x * scale + offset``: ``Rescaling(1 / 255)`` maps pixels to [0, 1]."""

    def __init__(self, scale, offset=0.0, **kwargs):
        super().__init__(**kwargs)
        self.scale = float(scale)
        self.offset = float(offset)

    def call(self, x, training=False):
        y = x * self.scale
        return y + self.offset if self.offset else y

    def get_config(self):
        return {**super().get_config(), "scale": self.scale, "offset": self.offset}


__all__ = ["Identity", "Rescaling"]
