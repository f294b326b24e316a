"""Weight helpers of the attention and preprocessing layers: a new Keras-layout weight, and
``get_weights`` arrays kept in their stored shapes."""
from __future__ import annotations

from deepgrad.keras import initializers
from deepgrad.keras.layers.layer import init_param
from deepgrad.nn._util import empty_parameter


def new_weight(layer, name, shape, initializer, trainable=True):
    """A Parameter of ``shape`` (Keras layout) filled by ``initializer`` and registered on ``layer``."""
    w = empty_parameter(tuple(int(d) for d in shape))
    init_param(w, initializers.get(initializer), tuple(w.shape))
    if not trainable:
        w.requires_grad_(False)
    layer._add_weight(name, lambda: w, trainable=bool(trainable))
    return w


def keras_shaped(layer, arrays):
    """``get_weights`` arrays with their stored shapes (Layer.get_weights makes 0-d weights (1,))."""
    return [a.reshape(tuple(g().shape)) for a, (_, g, _, _) in zip(arrays, layer._ordered_entries())]
