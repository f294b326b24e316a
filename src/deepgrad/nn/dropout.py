"""Dropout layers: active in training only (inverted dropout), the identity in eval.

In training each unit is zeroed with probability p and the survivors are scaled by 1/(1-p),
so the expected output equals the input; eval therefore needs no change.  The lectures' rule
("at test time multiply the weights by 1-p") is the same network, scaled the other way.
"""
from __future__ import annotations

from deepgrad.nn import functional as F
from deepgrad.nn.module import Module


class _DropoutNd(Module):
    def __init__(self, p=0.5, inplace=False):
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"{type(self).__name__}: dropout probability has to be between 0 and 1, got {p}")
        self.p = p
        self.inplace = inplace

    def extra_repr(self):
        return f"p={self.p}, inplace={self.inplace}"


class Dropout(_DropoutNd):
    """Zero each element with probability p in training, scale the rest by 1/(1-p)."""

    def forward(self, input):  # noqa: A002
        if not self.training or self.p == 0.0:
            return input
        return F.dropout(input, self.p, True)


class Dropout2d(_DropoutNd):
    """Zero whole channels of an (N, C, H, W) or (C, H, W) input with probability p in training."""

    def forward(self, input):  # noqa: A002
        if not self.training or self.p == 0.0:
            return input
        if input.ndim not in (3, 4):
            raise ValueError(f"{self!r}: expected input of shape (N, C, H, W) or (C, H, W), got shape {input.shape}")
        return _channel_dropout(input, self.p, input.ndim - 2)


class Dropout1d(_DropoutNd):
    """Zero whole channels of an (N, C, L) or (C, L) input with probability p in training."""

    def forward(self, input):  # noqa: A002
        if not self.training or self.p == 0.0:
            return input
        if input.ndim not in (2, 3):
            raise ValueError(f"{self!r}: expected input of shape (N, C, L) or (C, L), got shape {input.shape}")
        return _channel_dropout(input, self.p, 1)


class Dropout3d(_DropoutNd):
    """Zero whole channels of an (N, C, D, H, W) or (C, D, H, W) input with probability p in training."""

    def forward(self, input):  # noqa: A002
        if not self.training or self.p == 0.0:
            return input
        if input.ndim not in (4, 5):
            raise ValueError(f"{self!r}: expected input of shape (N, C, D, H, W) or (C, D, H, W), "
                             f"got shape {input.shape}")
        return F.dropout3d(input, self.p, True)


class AlphaDropout(_DropoutNd):
    """Dropout for SELU networks: keeps mean 0 and variance 1 (dropped units take SELU's saturation value)."""

    def forward(self, input):  # noqa: A002
        return F.alpha_dropout(input, self.p, self.training)


class FeatureAlphaDropout(_DropoutNd):
    """AlphaDropout of whole channels of an (N, C, *) input."""

    def forward(self, input):  # noqa: A002
        return F.feature_alpha_dropout(input, self.p, self.training)


def _channel_dropout(x, p, n_spatial):
    from deepgrad.random import generator
    from deepgrad.tensor import Tensor

    xp = x.xp
    if p == 1.0:
        return x * 0.0
    shape = x.shape[:-n_spatial] + (1,) * n_spatial
    keep = generator(xp).random(shape, dtype=xp.float32) >= p
    mask = keep.astype(x.dtype) * (1.0 / (1.0 - p))
    return x * Tensor._make(mask.astype(x.dtype, copy=False))


__all__ = ["Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout", "FeatureAlphaDropout"]
