"""Layer wrappers: ``Bidirectional(LSTM(...))`` and ``TimeDistributed(Dense(...))``, as Keras 3.

``Bidirectional`` runs a copy of the recurrent layer over the reversed sequence
(``backward_<name>``, ``go_backwards`` flipped) next to the forward copy (``forward_<name>``),
turns the backward sequence back into time order, and merges the two ('concat', 'sum', 'mul',
'ave', or None: both).  Its weights are the forward layer's, then the backward layer's.  ``TimeDistributed``
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
    """``Bidirectional(layer, merge_mode='concat', backward_layer=None)`` around SimpleRNN/LSTM/GRU.

    With ``return_state=True`` the output is followed by the forward layer's states, then the
    backward layer's; ``initial_state`` takes them in the same order.  ``merge_mode=None`` returns
    the two outputs separately.  A mask reaches both layers (returning sequences, masked steps give
    zeros, as Keras forces ``zero_output_for_mask``)."""

    _MODES = ("concat", "sum", "mul", "ave", None)
    supports_masking = True

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
            if backward_layer.go_backwards == layer.go_backwards:
                raise ValueError(f"Bidirectional: the forward and backward layers must differ in go_backwards, got "
                                 f"{layer.go_backwards} for both")
            for key in ("return_sequences", "return_state", "stateful"):
                if getattr(backward_layer, key) != getattr(layer, key):
                    raise ValueError(f"Bidirectional: the forward and backward layers must agree on {key}, got "
                                     f"{getattr(layer, key)} and {getattr(backward_layer, key)}")
            self.backward_layer = _copy(backward_layer)
        for child in self._children():  # Keras: masked steps of returned sequences are zeros
            child.zero_output_for_mask = child.return_sequences
        self.merge_mode = merge_mode
        self.return_sequences = layer.return_sequences
        self.return_state = layer.return_state
        self.stateful = layer.stateful

    def _children(self):
        return [self.forward_layer, self.backward_layer]

    def _h5_children(self):  # Keras 3's .weights.h5 layout
        return [("forward_layer", self.forward_layer), ("backward_layer", self.backward_layer)]

    def __call__(self, inputs, training=None, **kwargs):
        if self.stateful and not self.built and hasattr(inputs, "shape"):
            for child in self._children():
                child._eager_batch = inputs.shape[0]
        return super().__call__(inputs, training=training, **kwargs)

    def build(self, input_shape):
        for child in self._children():
            child._maybe_build(input_shape)

    def _split_states(self, initial_state):
        """The forward layer's initial states and the backward layer's (None, None without any)."""
        if initial_state is None:
            return None, None
        states = list(initial_state) if isinstance(initial_state, (list, tuple)) else [initial_state]
        n = self.forward_layer.state_count
        if len(states) != 2 * n:
            raise ValueError(f"Bidirectional '{self.name}': initial_state must be a list of {2 * n} state "
                             f"tensors (the forward layer's {n}, then the backward layer's {n}), got {len(states)}")
        return states[:n], states[n:]

    def _call_symbolic(self, inputs, initial_state=None, **kwargs):
        self._split_states(initial_state)  # the number of states is checked when the graph is made
        return super()._call_symbolic(inputs, initial_state=initial_state, **kwargs)

    def call(self, x, training=False, mask=None, initial_state=None):
        fwd_state, bwd_state = self._split_states(initial_state)
        y_fwd = self.forward_layer.call(x, training=training, mask=mask, initial_state=fwd_state)
        y_bwd = self.backward_layer.call(x, training=training, mask=mask, initial_state=bwd_state)
        states = []
        if self.return_state:
            states = list(y_fwd[1:]) + list(y_bwd[1:])
            y_fwd, y_bwd = y_fwd[0], y_bwd[0]
        if self.return_sequences:
            y_bwd = F.flip(y_bwd, 1)  # back into time order
        if self.merge_mode == "concat":
            out = [F.cat([y_fwd, y_bwd], dim=-1)]
        elif self.merge_mode == "sum":
            out = [y_fwd + y_bwd]
        elif self.merge_mode == "mul":
            out = [y_fwd * y_bwd]
        elif self.merge_mode == "ave":
            out = [(y_fwd + y_bwd) * 0.5]
        else:
            out = [y_fwd, y_bwd]
        out += states
        return out if len(out) > 1 else out[0]

    def compute_output_shape(self, input_shape):
        shape = self.forward_layer.compute_output_shape(input_shape)
        states = []
        if self.return_state:
            shape, states = shape[0], list(shape[1:])
        shape = tuple(shape)
        if self.merge_mode == "concat":
            shape = shape[:-1] + (None if shape[-1] is None else shape[-1] * 2,)
        out = [shape, shape] if self.merge_mode is None else [shape]
        out += states + states
        return tuple(out) if len(out) > 1 else out[0]

    def compute_mask(self, inputs, mask=None):
        if isinstance(mask, (list, tuple)):
            mask = mask[0] if mask else None
        out = mask if self.return_sequences else None
        out = [out, out] if self.merge_mode is None else [out]
        if self.return_state:
            out += [None] * (2 * self.forward_layer.state_count)
        return out if len(out) > 1 else out[0]

    def reset_state(self):
        """Zero the kept states of both layers (stateful=True)."""
        if not self.stateful:
            raise AttributeError(f"Bidirectional '{self.name}': reset_state needs a stateful layer (stateful=True)")
        for child in self._children():
            child.reset_state()

    def reset_states(self):
        self.reset_state()

    @property
    def states(self):
        if self.forward_layer.states and self.backward_layer.states:
            return tuple(self.forward_layer.states + self.backward_layer.states)
        return None

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

    supports_masking = True  # a (batch, timesteps) mask passes through

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
