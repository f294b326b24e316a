"""Layer wrappers: ``Bidirectional(LSTM(...))`` and ``TimeDistributed(Dense(...))``, as Keras 3.

``Bidirectional`` runs a copy of the recurrent layer over the reversed sequence
(``backward_<name>``, ``go_backwards`` flipped) next to the forward copy (``forward_<name>``),
turns the backward sequence back into time order, and merges the two ('concat', 'sum', 'mul',
'ave').  Its weights are the forward layer's, then the backward layer's.  ``TimeDistributed``
applies its layer to every time step at once by folding time into the batch.
"""
from __future__ import annotations

from deepgrad.keras.layers.layer import Layer
from deepgrad.nn import functional as F


def _copy(layer, **changes):
    """A fresh, unbuilt layer of the same class and config (with ``changes``)."""
    return type(layer).from_config({**layer.get_config(), **changes})


def _serialize(layer):
    return {"class_name": type(layer).__name__, "config": layer.get_config()}


def _deserialize(entry):
    from deepgrad.keras.models.saving import layer_from_entry

    return layer_from_entry(entry)


class _Wrapper(Layer):
    def _children(self):  # pragma: no cover - abstract
        raise NotImplementedError

    def _weight_entries(self):
        out = []
        for child in self._children():
            out.extend(child._ordered_entries())
        return out

    def to(self, device):
        for child in self._children():
            child.to(device)
        return self

    @property
    def losses(self):
        return [p for child in self._children() for p in child.losses]


class Bidirectional(_Wrapper):
    """``Bidirectional(layer, merge_mode='concat', backward_layer=None)`` around SimpleRNN/LSTM/GRU."""

    _MODES = ("concat", "sum", "mul", "ave", None)

    def __init__(self, layer, merge_mode="concat", weights=None, backward_layer=None, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(layer, Layer) or not hasattr(layer, "go_backwards"):
            raise ValueError(f"Bidirectional: expected a recurrent layer (SimpleRNN, LSTM, GRU), got {layer!r}")
        if merge_mode not in self._MODES:
            raise ValueError(f"Bidirectional: merge_mode must be one of {self._MODES}, got {merge_mode!r}")
        if weights is not None:
            raise NotImplementedError("Bidirectional: weights= is not supported; use set_weights")
        base = layer.name.removeprefix("forward_").removeprefix("backward_")
        self.forward_layer = _copy(layer, name=f"forward_{base}")
        if backward_layer is None:
            self.backward_layer = _copy(layer, name=f"backward_{base}", go_backwards=not layer.go_backwards)
        else:
            if backward_layer.return_sequences != layer.return_sequences:
                raise ValueError("Bidirectional: the forward and backward layers must agree on return_sequences")
            self.backward_layer = _copy(backward_layer)
        self.merge_mode = merge_mode
        self.return_sequences = layer.return_sequences

    def _children(self):
        return [self.forward_layer, self.backward_layer]

    def _h5_children(self):  # Keras 3's .weights.h5 layout
        return [("forward_layer", self.forward_layer), ("backward_layer", self.backward_layer)]

    def build(self, input_shape):
        for child in self._children():
            child._maybe_build(input_shape)

    def call(self, x, training=False):
        y_fwd = self.forward_layer.call(x, training=training)
        y_bwd = self.backward_layer.call(x, training=training)
        if self.return_sequences:
            y_bwd = F.flip(y_bwd, 1)  # back into time order
        if self.merge_mode == "concat":
            return F.cat([y_fwd, y_bwd], dim=-1)
        if self.merge_mode == "sum":
            return y_fwd + y_bwd
        if self.merge_mode == "mul":
            return y_fwd * y_bwd
        if self.merge_mode == "ave":
            return (y_fwd + y_bwd) * 0.5
        raise NotImplementedError("Bidirectional: merge_mode=None (two outputs) is not supported")

    def compute_output_shape(self, input_shape):
        shape = tuple(self.forward_layer.compute_output_shape(input_shape))
        if self.merge_mode == "concat":
            shape = shape[:-1] + (shape[-1] * 2,)
        return shape

    def get_config(self):
        return {**super().get_config(), "merge_mode": self.merge_mode,
                "layer": _serialize(self.forward_layer), "backward_layer": _serialize(self.backward_layer)}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["layer"] = _deserialize(config["layer"])
        if config.get("backward_layer") is not None:
            config["backward_layer"] = _deserialize(config["backward_layer"])
        return cls(**config)


class TimeDistributed(_Wrapper):
    """``TimeDistributed(layer)``: ``layer`` applied to each of the ``timesteps`` slices of (batch, timesteps, ...)."""

    def __init__(self, layer, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(layer, Layer):
            raise ValueError(f"TimeDistributed: expected a Layer, got {layer!r}")
        self.layer = layer

    def _children(self):
        return [self.layer]

    def _h5_children(self):
        return [("layer", self.layer)]

    def _check(self, shape):
        if len(shape) < 3:
            raise ValueError(f"TimeDistributed '{self.name}': expected an input of at least 3 dimensions (batch, "
                             f"timesteps, ...), got shape {tuple(shape)}")

    def build(self, input_shape):
        self._check(input_shape)
        self.layer._maybe_build((None,) + tuple(input_shape[2:]))

    def call(self, x, training=False):
        self._check(x.shape)
        n, t = x.shape[0], x.shape[1]
        y = self.layer.call(x.reshape((n * t,) + tuple(x.shape[2:])), training=training)
        return y.reshape((n, t) + tuple(y.shape[1:]))

    def compute_output_shape(self, input_shape):
        self._check(input_shape)
        inner = self.layer.compute_output_shape((None,) + tuple(input_shape[2:]))
        return (input_shape[0], input_shape[1]) + tuple(inner[1:])

    def get_config(self):
        return {**super().get_config(), "layer": _serialize(self.layer)}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["layer"] = _deserialize(config["layer"])
        return cls(**config)


__all__ = ["Bidirectional", "TimeDistributed"]
