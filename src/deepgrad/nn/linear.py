"""Fully connected layers: ``Linear`` (weight shaped (out, in) as PyTorch), ``Bilinear``, ``Identity``."""
from __future__ import annotations

import math
import operator

from deepgrad.nn import init
from deepgrad.nn._util import empty_parameter, shape_error
from deepgrad.nn.module import Module
from deepgrad.ops.linear import bilinear, linear


class Identity(Module):
    """Returns its input unchanged (any arguments are accepted and ignored)."""

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, input):  # noqa: A002
        return input


class Linear(Module):
    """y = x W^T + b for x of shape (*, in_features); W has shape (out_features, in_features).

    Initialized as PyTorch: W ~ kaiming_uniform(a=sqrt(5)), i.e. U(-1/sqrt(in), 1/sqrt(in)),
    and b ~ U(-1/sqrt(in), 1/sqrt(in))."""

    def __init__(self, in_features, out_features, bias=True, device=None, dtype=None):
        super().__init__()
        _check_sizes("Linear", in_features=in_features, out_features=out_features)
        self.in_features = int(in_features)
        self.out_features = int(out_features)
        self.weight = empty_parameter((self.out_features, self.in_features), device, dtype)
        if bias:
            self.bias = empty_parameter((self.out_features,), device, dtype)
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in = self.in_features
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input):  # noqa: A002
        shape = input.shape
        if not shape or shape[-1] != self.in_features:
            raise shape_error(self, f"(*, {self.in_features})", shape)
        return linear(input, self.weight, self.bias)

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class Bilinear(Module):
    """y_k = x1^T A_k x2 + b_k; A has shape (out_features, in1_features, in2_features)."""

    def __init__(self, in1_features, in2_features, out_features, bias=True, device=None, dtype=None):
        super().__init__()
        _check_sizes("Bilinear", in1_features=in1_features, in2_features=in2_features, out_features=out_features)
        self.in1_features, self.in2_features, self.out_features = in1_features, in2_features, out_features
        self.weight = empty_parameter((out_features, in1_features, in2_features), device, dtype)
        if bias:
            self.bias = empty_parameter((out_features,), device, dtype)
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        bound = 1 / math.sqrt(self.weight.shape[1])
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1, input2):
        if not input1.shape or input1.shape[-1] != self.in1_features:
            raise shape_error(self, f"(*, {self.in1_features}) for input1", input1.shape)
        if not input2.shape or input2.shape[-1] != self.in2_features:
            raise shape_error(self, f"(*, {self.in2_features}) for input2", input2.shape)
        return bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self):
        return (f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
                f"out_features={self.out_features}, bias={self.bias is not None}")


def _check_sizes(name, **sizes):
    for key, n in sizes.items():
        try:
            ok = operator.index(n) >= 0
        except TypeError:
            raise TypeError(f"{name}: {key} must be an int, got {type(n).__name__}") from None
        if not ok:
            raise ValueError(f"{name}: {key} must be a non-negative int, got {n!r}")


__all__ = ["Identity", "Linear", "Bilinear"]
