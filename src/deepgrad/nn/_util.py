"""Helpers shared by the layers: parameter creation and input-shape errors that name the layer."""
from __future__ import annotations

from deepgrad.backend import Device
from deepgrad.dtypes import get_default_dtype, to_dtype
from deepgrad.nn.parameter import Parameter


def _device(device):
    """``device``, or the default device (``deepgrad.set_default_device``, CPU unless set), as PyTorch."""
    from deepgrad.factories import get_default_device

    return Device(device if device is not None else get_default_device())


def empty_parameter(shape, device=None, dtype=None):
    """An uninitialized Parameter of ``shape`` on ``device`` (default: the default device) in
    ``dtype`` (default float32)."""
    xp = _device(device).xp
    dt = to_dtype(dtype) if dtype is not None else get_default_dtype()
    return Parameter(xp.empty(shape, dtype=dt))


def empty_array(shape, device=None, dtype=None):
    """An uninitialized array of ``shape`` on ``device`` in ``dtype`` (for buffers)."""
    xp = _device(device).xp
    dt = to_dtype(dtype) if dtype is not None else get_default_dtype()
    return xp.empty(shape, dtype=dt)


def shape_error(module, expected, actual):
    """ValueError naming the layer (its repr) and the expected and actual input shapes."""
    return ValueError(f"{module!r}: expected input of shape {expected}, got shape {tuple(actual)}")
