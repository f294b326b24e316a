"""Small helpers shared by the ops: argument spellings and shape bookkeeping."""
from __future__ import annotations


def axis_arg(dim=None, axis=None):
    """PyTorch ``dim`` or NumPy ``axis`` (either; lists become tuples)."""
    a = axis if dim is None else dim
    if isinstance(a, list):
        a = tuple(a)
    return a


def keep_arg(keepdim=False, keepdims=None):
    return bool(keepdims) if keepdims is not None else bool(keepdim)


def normalize_axes(axis, ndim):
    """A tuple of non-negative axes (all of them for None)."""
    if axis is None:
        return tuple(range(ndim))
    if not isinstance(axis, tuple):
        axis = (axis,)
    return tuple(a % ndim if ndim else 0 for a in axis)


def reduced_shape(shape, axis, keepdims):
    """Shape of a reduction's output with the reduced axes kept as size 1 (for broadcasting back).

    ``keepdims`` is accepted for symmetry; the result is the same either way."""
    axes = normalize_axes(axis, len(shape))
    return tuple(1 if i in axes else s for i, s in enumerate(shape))


def shape_arg(shape):
    """``reshape(2, 3)`` and ``reshape((2, 3))`` both mean (2, 3)."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    return tuple(shape)
