"""Padding layers: ``ZeroPad1d/2d``, ``ConstantPad1d/2d``, ``ReflectionPad1d/2d``, ``ReplicationPad1d/2d``,
``CircularPad1d/2d`` (PyTorch's names; ``padding`` an int or (left, right[, top, bottom]))."""
from __future__ import annotations

from deepgrad.nn._util import shape_error
from deepgrad.nn.module import Module
from deepgrad.ops.shape import pad


class _PadNd(Module):
    _nd = 2
    _mode = "constant"

    def __init__(self, padding):
        super().__init__()
        n = 2 * self._nd
        padding = tuple(int(p) for p in padding) if isinstance(padding, (tuple, list)) else (int(padding),) * n
        if len(padding) != n:
            raise ValueError(f"{type(self).__name__}: padding must be an int or a {n}-tuple, got {padding!r}")
        self.padding = padding
        self.value = 0.0

    def forward(self, input):  # noqa: A002
        nd = self._nd
        if input.ndim not in (nd + 1, nd + 2) and not (self._mode == "constant" and input.ndim >= nd):
            want = "(N, C, H, W) or (C, H, W)" if nd == 2 else "(N, C, L) or (C, L)"
            raise shape_error(self, want, input.shape)
        return pad(input, self.padding, self._mode, self.value if self._mode == "constant" else None)

    def extra_repr(self):
        return f"{self.padding}"


class ConstantPad1d(_PadNd):
    """Pad the last dim of (N, C, L) with ``value``."""

    _nd = 1

    def __init__(self, padding, value):
        super().__init__(padding)
        self.value = value

    def extra_repr(self):
        return f"padding={self.padding}, value={self.value}"


class ConstantPad2d(ConstantPad1d):
    """Pad the last two dims of (N, C, H, W) with ``value``."""

    _nd = 2


class ZeroPad1d(ConstantPad1d):
    """Pad the last dim of (N, C, L) with zeros."""

    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self):
        return f"{self.padding}"


class ZeroPad2d(ZeroPad1d):
    """Pad the last two dims of (N, C, H, W) with zeros."""

    _nd = 2


class ReflectionPad1d(_PadNd):
    """Pad the last dim by reflection (the edge not repeated)."""

    _nd = 1
    _mode = "reflect"


class ReflectionPad2d(ReflectionPad1d):
    """Pad the last two dims by reflection."""

    _nd = 2


class ReplicationPad1d(_PadNd):
    """Pad the last dim by repeating the edge value."""

    _nd = 1
    _mode = "replicate"


class ReplicationPad2d(ReplicationPad1d):
    """Pad the last two dims by repeating the edge values."""

    _nd = 2


class CircularPad1d(_PadNd):
    """Pad the last dim by wrapping around."""

    _nd = 1
    _mode = "circular"


class CircularPad2d(CircularPad1d):
    """Pad the last two dims by wrapping around."""

    _nd = 2


__all__ = ["ZeroPad1d", "ZeroPad2d", "ConstantPad1d", "ConstantPad2d", "ReflectionPad1d", "ReflectionPad2d",
           "ReplicationPad1d", "ReplicationPad2d", "CircularPad1d", "CircularPad2d"]
