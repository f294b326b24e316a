"""Regularization layers active in training only: ``GaussianNoise``, ``SpatialDropout1D``, ``SpatialDropout2D``.

``SpatialDropout`` zeroes whole channels (feature maps) of channels-last inputs through
``nn.Dropout1d``/``nn.Dropout2d`` (which work channels-first: the layer permutes around them).
"""
from __future__ import annotations

from deepgrad import nn
from deepgrad.keras.layers._conv_utils import check_data_format
from deepgrad.keras.layers.layer import Layer
from deepgrad.random import generator
from deepgrad.tensor import Tensor


class GaussianNoise(Layer):
    """Add zero-mean Gaussian noise of standard deviation ``stddev`` in training."""

    def __init__(self, stddev, seed=None, **kwargs):
        super().__init__(**kwargs)
        if float(stddev) < 0:
            raise ValueError(f"GaussianNoise: stddev must be >= 0, got {stddev!r}")
        self.stddev = float(stddev)
        self.seed = seed

    def call(self, x, training=False):
        if not training or self.stddev == 0.0:
            return x
        noise = generator(x.xp).standard_normal(tuple(x.shape)) * self.stddev
        return x + Tensor._make(noise.astype(x.dtype))

    def get_config(self):
        return {**super().get_config(), "stddev": self.stddev, "seed": self.seed}


class _SpatialDropout(Layer):
    rank = 4

    def __init__(self, rate, data_format=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        if not 0.0 <= float(rate) < 1.0:
            raise ValueError(f"{type(self).__name__}: rate must be in [0, 1), got {rate!r}")
        self.rate = float(rate)
        self.seed = seed
        self.data_format = check_data_format(data_format, self)
        self.dropout = (nn.Dropout2d if self.rank == 4 else nn.Dropout1d)(self.rate)

    def call(self, x, training=False):
        if x.ndim != self.rank:
            raise ValueError(f"{type(self).__name__} '{self.name}': expected a {self.rank}-D input, got shape "
                             f"{tuple(x.shape)}")
        if not training or self.rate == 0.0:
            return x
        self.dropout.training = True
        if self.data_format == "channels_first":
            return self.dropout(x)
        to_first = (0, self.rank - 1) + tuple(range(1, self.rank - 1))
        back = (0,) + tuple(range(2, self.rank)) + (1,)
        return self.dropout(x.permute(*to_first)).permute(*back)

    def get_config(self):
        config = {**super().get_config(), "rate": self.rate, "seed": self.seed}
        if self.rank == 4:
            config["data_format"] = self.data_format
        return config


class SpatialDropout2D(_SpatialDropout):
    """Zero whole channels of (N, H, W, C) images with probability ``rate`` in training."""


class SpatialDropout1D(_SpatialDropout):
    """Zero whole channels of (N, steps, C) sequences with probability ``rate`` in training."""

    rank = 3

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(rate, seed=seed, **kwargs)


__all__ = ["GaussianNoise", "SpatialDropout1D", "SpatialDropout2D"]
