"""``Dropout(rate)``: zero a fraction ``rate`` of the inputs in training (inverted scaling), over ``nn.Dropout``.

Seed 001's ``Dropout(0.8)`` drops 80% of the units of each mini-batch; at test time the layer
is the identity (the survivors were already scaled by 1/(1-rate) in training, which is the
lecture's "multiply the weights by 1-p at test time" done the other way round).
"""
from __future__ import annotations

from deepgrad import nn
from deepgrad.keras.layers.layer import Layer


class Dropout(Layer):
    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        if not 0.0 <= float(rate) < 1.0:
            raise ValueError(f"Dropout: rate must be in [0, 1), got {rate!r}")
        if noise_shape is not None:
            raise NotImplementedError("Dropout: noise_shape is not supported")
        self.rate = float(rate)
        self.seed = seed
        self.dropout = nn.Dropout(self.rate)

    def call(self, x, training=False):
        self.dropout.training = bool(training)
        return self.dropout(x)

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}


__all__ = ["Dropout"]
