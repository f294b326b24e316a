"""Sigmoid forward/backward and ReLU backward as one elementwise kernel each.

The array code launches four kernels for ``1 / (1 + exp(-x))`` and three for each backward
(``gy * (y * (1 - y))``, ``gy * (x > 0)``), each behind a Python-level op; these do it in one.
"""
from __future__ import annotations

from deepgrad.kernels._compile import elementwise


def sigmoid_forward(x):
    """``1 / (1 + exp(-x))`` of a floating CuPy array (exp overflowing to inf gives exactly 0)."""
    return elementwise("deepgrad_sigmoid", "T x", "T y", "y = (T)1 / ((T)1 + exp(-x))")(x)


def sigmoid_backward(y, gy):
    """``gy * (y * (1 - y))`` from the sigmoid's output ``y``."""
    return elementwise("deepgrad_sigmoid_backward", "T y, T gy", "T gx", "gx = gy * (y * ((T)1 - y))")(y, gy)


def relu_backward(x, gy):
    """``gy`` where ``x > 0``, else 0 (the gradient at 0 is 0, as in PyTorch)."""
    return elementwise("deepgrad_relu_backward", "T x, T gy", "T gx", "gx = x > (T)0 ? gy : (T)0")(x, gy)
