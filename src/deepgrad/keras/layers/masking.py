"""Keras masks: which time steps of a (batch, timesteps, ...) sequence are real, which are padding.

A mask is a boolean (batch, timesteps) Tensor.  ``Embedding(mask_zero=True)`` and ``Masking``
make one; layers with ``supports_masking`` pass it on (``compute_mask``; the merging layers
combine their inputs' masks); the recurrent layers, ``GlobalAveragePooling1D``, the losses and the
metrics use it.  Models carry masks beside the values; a Tensor
returned by a layer called eagerly keeps its mask in a weak table (``get_keras_mask``), as Keras
keeps ``tensor._keras_mask``.
"""
from __future__ import annotations

import weakref

import numpy as np

from deepgrad.keras.layers.layer import Layer
from deepgrad.ops.elementwise import where
from deepgrad.tensor import Tensor

_MASKS: dict = {}  # id(tensor) -> (weak reference to the tensor, its mask)


def get_keras_mask(x):
    """The mask a layer attached to Tensor ``x`` (None if none)."""
    entry = _MASKS.get(id(x))
    return entry[1] if entry is not None and entry[0]() is x else None


def set_keras_mask(x, mask):
    if not isinstance(x, Tensor):
        return
    key = id(x)
    if mask is None:
        _MASKS.pop(key, None)
        return

    def forget(ref, key=key):
        if _MASKS.get(key, (None,))[0] is ref:
            del _MASKS[key]

    _MASKS[key] = (weakref.ref(x, forget), mask)


def as_mask(mask, like=None):
    """A boolean Tensor from a mask given as an array/list/Tensor (None stays None)."""
    if mask is None:
        return None
    data = mask.data if isinstance(mask, Tensor) else mask
    xp = like.xp if like is not None else None
    if xp is None:
        import numpy as xp
    return Tensor._make(xp.asarray(data).astype(bool))


def merge_mask(layer, inputs, mask=None):
    """Add/Subtract/Multiply/Average/Maximum/Minimum (Keras): a step is kept if any input keeps it;
    no mask when some input has none."""
    if not isinstance(mask, (list, tuple)) or any(m is None for m in mask):
        return None
    out = mask[0].data
    for m in mask[1:]:
        out = out | m.data
    return Tensor._make(out)


def concatenate_mask(layer, inputs, mask=None):
    """Concatenate (Keras): the inputs' masks (all-true for an unmasked input) joined along the axis,
    then any over the last axis."""
    if not isinstance(mask, (list, tuple)) or all(m is None for m in mask):
        return None
    xp = inputs[0].xp
    parts = []
    for x, m in zip(inputs, mask):
        if m is None:
            parts.append(xp.ones(x.shape, dtype=bool))
        else:
            m = m.data
            parts.append(xp.broadcast_to(m[..., None], x.shape) if m.ndim < x.ndim else m)
    return Tensor._make(xp.concatenate(parts, axis=layer.axis).any(axis=-1))


class Masking(Layer):
    """``Masking(mask_value=0.)``: a time step whose features all equal ``mask_value`` is masked (and zeroed)."""

    supports_masking = True

    def __init__(self, mask_value=0.0, **kwargs):
        super().__init__(**kwargs)
        self.mask_value = float(mask_value)

    def _keep(self, x):
        data = x.data if isinstance(x, Tensor) else np.asarray(x, dtype=np.float32)
        return (data != self.mask_value).any(axis=-1)

    def call(self, x, training=False):
        keep = self._keep(x)
        return where(Tensor._make(keep[..., None]), x, 0.0)

    def compute_mask(self, x, mask=None):
        return Tensor._make(self._keep(x))

    def get_config(self):
        return {**super().get_config(), "mask_value": self.mask_value}


__all__ = ["Masking", "get_keras_mask", "set_keras_mask"]
