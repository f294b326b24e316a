"""Blocks of seed 003 for very deep networks: ``Residual`` and ``Highway``.

Both give the signal (and its gradient) a path around each layer: a residual block adds the
input to the layer's output, a highway layer lets a learned gate T(x) choose between
transforming (H(x)) and carrying (x).  A 50-layer plain sigmoid stack does not train; the
same depth built from these blocks does (tests/nn/test_depth.py).
"""
from __future__ import annotations

from deepgrad.nn import functional as F
from deepgrad.nn import init
from deepgrad.nn.activation import ReLU
from deepgrad.nn.linear import Linear
from deepgrad.nn.module import Module


class Residual(Module):
    """y = x + fn(x) (He et al., 2015); ``fn`` must keep the shape of x."""

    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, x):
        y = self.fn(x)
        if y.shape != x.shape:
            raise ValueError(f"Residual: the wrapped module maps shape {x.shape} to {y.shape}; "
                             "x + fn(x) needs fn to keep the shape")
        return x + y


class Highway(Module):
    """y = T(x) * H(x) + (1 - T(x)) * x (Srivastava et al., 2015) with H(x) = activation(W_H x + b_H)
    and the gate T(x) = sigmoid(W_T x + b_T); b_T starts at ``gate_bias`` (-2) so that the
    layer begins by carrying its input.  A stack of L layers carries about
    (1 - sigmoid(gate_bias)) ** L of its input through at the start: deeper stacks want a more
    negative gate bias (-4 carries 40% through 50 layers, -2 only 0.2%)."""

    def __init__(self, features, activation=ReLU, gate_bias=-2.0, device=None, dtype=None):
        super().__init__()
        self.features = features
        self.H = Linear(features, features, device=device, dtype=dtype)
        self.T = Linear(features, features, device=device, dtype=dtype)
        init.constant_(self.T.bias, gate_bias)
        self.gate_bias = gate_bias
        if isinstance(activation, type):
            activation = activation()
        self.activation = activation

    def forward(self, x):
        if not x.shape or x.shape[-1] != self.features:
            raise ValueError(f"Highway(features={self.features}): expected input of shape (*, {self.features}), "
                             f"got shape {x.shape}")
        h = self.activation(self.H(x))
        t = F.sigmoid(self.T(x))
        return x + t * (h - x)  # = t * h + (1 - t) * x

    def extra_repr(self):
        return f"features={self.features}, gate_bias={self.gate_bias}"


__all__ = ["Residual", "Highway"]
