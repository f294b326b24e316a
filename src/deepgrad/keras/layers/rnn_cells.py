"""Keras 3's RNN cells and the generic ``RNN(cell)`` layer.

A cell computes one time step: ``output, new_states = cell(x_t, states)``.  ``SimpleRNNCell``,
``LSTMCell`` and ``GRUCell`` hold the same weights as ``SimpleRNN``/``LSTM``/``GRU`` (kernel,
recurrent_kernel, bias, in Keras's layout and gate order) and use the same step equations.
``RNN(cell)`` runs a cell over (batch, timesteps, features); a list of cells is a
``StackedRNNCells``.  Any layer with a ``state_size`` (an int or a list of ints) and
``call(inputs, states)`` returning ``(output, new_states)`` works as a cell.  The time loop,
masks, ``go_backwards``, ``return_state``, ``stateful`` and initial states follow Keras's
``RNN``/``backend.rnn``.
"""
from __future__ import annotations

import inspect

from deepgrad.backend import to_device
from deepgrad.keras import backend
from deepgrad.keras.layers.layer import Layer, to_tensor
from deepgrad.keras.layers.rnn import _RNN, GRU, LSTM, SimpleRNN
from deepgrad.nn import functional as F
from deepgrad.ops.elementwise import where
from deepgrad.tensor import Tensor

_LAYER_ONLY = ("return_sequences", "return_state", "go_backwards", "stateful", "unroll", "zero_output_for_mask")


class _Cell:
    """What turns SimpleRNN/LSTM/GRU into their cells: one step on (batch, features) inputs."""

    _h5_cell = None  # Keras 3 keeps a cell's weights in its own vars

    def __init__(self, units, **kwargs):
        kwargs.pop("implementation", None)  # Keras's choice of kernels: the same numbers either way
        for key in _LAYER_ONLY:
            if key in kwargs:
                raise TypeError(f"{type(self).__name__}: unexpected keyword argument {key!r} (it belongs to RNN)")
        super().__init__(units, **kwargs)
        self._dp_mask = self._rec_mask = None

    @property
    def state_size(self):
        return [self.units] * self.state_count if self.state_count > 1 else self.units

    @property
    def output_size(self):
        return self.units

    def build(self, input_shape):
        shape = tuple(input_shape)
        if len(shape) != 2 or shape[-1] is None:
            raise ValueError(f"{type(self).__name__} '{self.name}': expected a step input of shape (batch, features) "
                             f"with known features, got {shape}")
        _RNN.build(self, (shape[0], None, shape[-1]))
        self.built, self.input_shape = True, shape

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.units)

    def __call__(self, inputs, states=None, training=None):
        return _call_cell_eagerly(self, inputs, states, training)

    def call(self, inputs, states, training=False):
        nested = isinstance(states, (list, tuple))
        states = [s if isinstance(s, Tensor) else to_tensor(s, inputs.dtype, inputs.device)
                  for s in (states if nested else [states])]
        if len(states) != self.state_count or any(tuple(s.shape) != (inputs.shape[0], self.units) for s in states):
            raise ValueError(f"{type(self).__name__} '{self.name}': expected {self.state_count} state(s) of shape "
                             f"(batch, units) = ({inputs.shape[0]}, {self.units}), got "
                             f"{[tuple(s.shape) for s in states]}")
        g, u, n = self.gates, self.units, inputs.shape[0]
        per_gate = g > 1 and bool(training and self.recurrent_dropout)  # Keras: one mask per gate then
        if training and self.dropout:
            if self._dp_mask is None:
                self._dp_mask = self._mask(inputs, (g, n, inputs.shape[-1]) if per_gate else tuple(inputs.shape),
                                           self.dropout)
            m = self._dp_mask
            xw = F.cat([F.matmul(inputs * m[i], self.kernel[:, i * u:(i + 1) * u]) for i in range(g)], dim=-1) \
                if m.ndim == 3 else F.matmul(inputs * m, self.kernel)
        else:
            xw = F.matmul(inputs, self.kernel)
        h = states[0]
        if training and self.recurrent_dropout:
            if self._rec_mask is None:
                self._rec_mask = self._mask(inputs, (g, n, u) if per_gate else (n, u), self.recurrent_dropout)
            r = self._rec_mask
            h = [h * r[i] for i in range(g)] if r.ndim == 3 else h * r
        new = self._step(xw, h, tuple(states))
        return new[0], (list(new) if nested or len(new) > 1 else new[0])

    def reset_dropout_mask(self):
        self._dp_mask = None

    def reset_recurrent_dropout_mask(self):
        self._rec_mask = None

    def get_initial_state(self, batch_size=None):
        states = _RNN.get_initial_state(self, batch_size)
        return states if self.state_count > 1 else states[0:1]

    def get_config(self):
        config = super().get_config()
        for key in _LAYER_ONLY:
            config.pop(key, None)
        return config


class SimpleRNNCell(_Cell, SimpleRNN):
    """One step of ``SimpleRNN``: ``h = activation(x kernel + h recurrent_kernel + bias)``; state_size = units."""


class LSTMCell(_Cell, LSTM):
    """One step of ``LSTM`` (gates i, f, c, o); state_size = [units, units] (h, c)."""

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", unit_forget_bias=True, **kwargs):
        super().__init__(units, activation=activation, recurrent_activation=recurrent_activation,
                         unit_forget_bias=unit_forget_bias, **kwargs)


class GRUCell(_Cell, GRU):
    """One step of ``GRU`` (gates z, r, h; ``reset_after=True`` by default); state_size = units."""

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", reset_after=True, **kwargs):
        super().__init__(units, activation=activation, recurrent_activation=recurrent_activation,
                         reset_after=reset_after, **kwargs)


def _call_cell_eagerly(cell, inputs, states, training):
    """``cell(x_t, states)``: one step on arrays or Tensors; ``(output, new_states)``."""
    from deepgrad.keras.layers.keras_tensor import is_symbolic

    if is_symbolic(inputs):
        raise TypeError(f"{type(cell).__name__} '{cell.name}': a cell runs one step on data; to use it in a model, "
                        f"wrap it: RNN({type(cell).__name__}(...))")
    x = to_tensor(inputs, cell.input_dtype, cell._weights_device())
    cell._maybe_build((None,) + tuple(x.shape[1:]))
    if states is None:
        states = cell.get_initial_state(x.shape[0])
    return cell.call(x, states, training=bool(training))


def _state_sizes(cell):
    size = cell.state_size
    return [int(size)] if isinstance(size, int) else [int(s) for s in size]


def _output_size(cell):
    size = getattr(cell, "output_size", None)
    return int(size) if size is not None else _state_sizes(cell)[0]


def _cell_call(cell, inputs, states, training):
    """``(output, new_states as a list)`` of one step of any cell."""
    if _takes_training(cell):
        out, new = cell.call(inputs, states, training=training)
    else:
        out, new = cell.call(inputs, states)
    return out, (list(new) if isinstance(new, (list, tuple)) else [new])


def _takes_training(cell):
    return "training" in inspect.signature(cell.call).parameters


def _build_cell(cell, step_shape):
    if isinstance(cell, StackedRNNCells):
        cell.build(step_shape)
    elif not cell.built:
        cell._maybe_build(step_shape)


def _check_cell(cell, where):
    if not callable(getattr(cell, "call", None)) or not hasattr(cell, "state_size"):
        raise ValueError(f"{where}: a cell must be a Layer with a `call(inputs, states)` method and a `state_size` "
                         f"attribute (an int or a list of ints), got {cell!r}")
    size = cell.state_size
    ok = isinstance(size, int) or (isinstance(size, (list, tuple)) and size and
                                   all(isinstance(s, int) or isinstance(s, (list, tuple)) for s in size))
    if not ok:
        raise ValueError(f"{where}: state_size must be an int or a list of ints (one per state), got {size!r}")


def _serialize(cell):
    return {"class_name": type(cell).__name__, "config": cell.get_config()}


def _deserialize(entry):
    from deepgrad.keras.models.saving import layer_from_entry

    return layer_from_entry(entry)


class StackedRNNCells(Layer):
    """Cells run one after the other at each step (the output of one is the input of the next);
    the states are the cells' states, one list per cell."""

    def __init__(self, cells, **kwargs):
        super().__init__(**kwargs)
        cells = list(cells)
        if not cells:
            raise ValueError("StackedRNNCells: expected a non-empty list of cells")
        for cell in cells:
            _check_cell(cell, "StackedRNNCells")
        self.cells = cells

    @property
    def state_size(self):
        return [c.state_size for c in self.cells]

    def __call__(self, inputs, states=None, training=None):
        return _call_cell_eagerly(self, inputs, states, training)

    @property
    def output_size(self):
        return _output_size(self.cells[-1])

    def build(self, input_shape):
        shape = tuple(input_shape)
        for cell in self.cells:
            _build_cell(cell, shape)
            shape = (shape[0], _output_size(cell))
        self.built = True

    def get_initial_state(self, batch_size=None):
        return [_initial_states(cell, batch_size, None) for cell in self.cells]

    def call(self, inputs, states, training=False):
        new_states = []
        for cell, s in zip(self.cells, states):
            nested = isinstance(s, (list, tuple))
            inputs, new = _cell_call(cell, inputs, list(s) if nested else [s], training)
            new_states.append(new if nested else new[0])
        return inputs, new_states

    def _weight_entries(self):
        return [e for cell in self.cells for e in cell._ordered_entries()]

    def _h5_children(self):  # Keras 3's .weights.h5 layout: cell/cells/<lstm_cell, lstm_cell_1, ...>
        used, out = {}, []
        for cell in self.cells:
            key = backend.snake_case(type(cell).__name__)
            used[key] = used.get(key, -1) + 1
            out.append((f"cells/{key}" + (f"_{used[key]}" if used[key] else ""), cell))
        return out

    def to(self, device):
        for cell in self.cells:
            cell.to(device)
        return self

    @property
    def losses(self):
        return [p for cell in self.cells for p in cell.losses]

    def get_config(self):
        return {**super().get_config(), "cells": [_serialize(c) for c in self.cells]}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["cells"] = [_deserialize(c) for c in config["cells"]]
        return cls(**config)


def _initial_states(cell, batch_size, like):
    """A cell's zero states: a list (one per state), or for stacked cells a list of such lists."""
    if isinstance(cell, StackedRNNCells):
        return [_initial_states(c, batch_size, like) for c in cell.cells]
    fn = getattr(cell, "get_initial_state", None)
    if fn is not None and isinstance(cell, _Cell):
        return fn(batch_size)
    if fn is not None:
        states = fn(batch_size=batch_size)
        return list(states) if isinstance(states, (list, tuple)) else [states]
    xp = like.xp if like is not None else __import__("numpy")
    return [Tensor._make(xp.zeros((batch_size, s), dtype="float32")) for s in _state_sizes(cell)]


def _flatten(states):
    out = []
    for s in states:
        out.extend(_flatten(s) if isinstance(s, (list, tuple)) else [s])
    return out


def _unflatten(flat, like):
    """``flat`` (a list) in the nesting of ``like``."""
    it = iter(flat)

    def rebuild(s):
        return [rebuild(a) for a in s] if isinstance(s, (list, tuple)) else next(it)

    return rebuild(like)


class RNN(Layer):
    """``RNN(cell)``: runs ``cell`` over the time steps of (batch, timesteps, features) inputs, as Keras 3."""

    supports_masking = True

    def __init__(self, cell, return_sequences=False, return_state=False, go_backwards=False, stateful=False,
                 unroll=False, zero_output_for_mask=False, **kwargs):
        if isinstance(cell, (list, tuple)):
            cell = StackedRNNCells(cell)
        _check_cell(cell, "RNN")
        super().__init__(**kwargs)
        self.cell = cell
        self.return_sequences, self.return_state = bool(return_sequences), bool(return_state)
        self.go_backwards, self.stateful, self.unroll = bool(go_backwards), bool(stateful), bool(unroll)
        self.zero_output_for_mask = bool(zero_output_for_mask)
        self.states = None
        self._eager_batch = None

    # the state list, flattened: one (batch, size) tensor per state
    def _flat_sizes(self):
        size = self.cell.state_size
        sizes = [size] if isinstance(size, int) else list(size)
        out = []
        for s in sizes:
            out.extend([s] if isinstance(s, int) else list(s))
        return [int(s) for s in out]

    @property
    def state_size(self):
        size = self.cell.state_size
        return [size] if isinstance(size, int) else list(size)

    @property
    def state_count(self):
        """How many state tensors ``return_state`` gives (stacked cells: all of them)."""
        return len(self._flat_sizes())

    def _check(self, shape):
        if len(shape) != 3:
            raise ValueError(f"RNN '{self.name}': expected a 3-D input (batch, timesteps, features), got shape "
                             f"{tuple(shape)}")

    def __call__(self, inputs, training=None, **kwargs):
        from deepgrad.keras.layers.keras_tensor import is_symbolic

        if self.stateful and not self.built and hasattr(inputs, "shape"):
            self._eager_batch = inputs.shape[0]
        out = super().__call__(inputs, training=training, **kwargs)
        if self.return_state and isinstance(self.cell, StackedRNNCells) and not is_symbolic(out):
            out = [out[0], *_unflatten(out[1:], _initial_states_shape(self.cell))]  # Keras: a list per cell
        return out

    def build(self, input_shape):
        self._check(input_shape)
        if self.stateful and input_shape[0] is None and self._eager_batch is None:
            raise ValueError(f"RNN '{self.name}': with stateful=True the batch size must be fixed "
                             f"(Input(batch_shape=(batch, timesteps, features))), got input shape {tuple(input_shape)}")
        _build_cell(self.cell, (input_shape[0],) + tuple(input_shape[2:]))

    def _weight_entries(self):
        return list(self.cell._ordered_entries())

    def _h5_children(self):  # Keras 3's .weights.h5 layout: layers/<rnn>/cell/...
        return [("cell", self.cell)]

    def to(self, device):
        self.cell.to(device)
        return self

    @property
    def losses(self):
        return list(self.cell.losses)

    def _check_states(self, shapes, n):
        sizes = self._flat_sizes()
        if len(shapes) != len(sizes) or any(len(s) != 2 or s[-1] != k or None not in (n, s[0]) and s[0] != n
                                            for s, k in zip(shapes, sizes)):
            raise ValueError(f"RNN '{self.name}': initial_state must be {len(sizes)} tensor(s) of shapes "
                             f"{[(n, k) for k in sizes]}, got {[tuple(s) for s in shapes]}")

    def _call_symbolic(self, inputs, initial_state=None, **kwargs):
        if initial_state is not None:
            states = _flatten(initial_state) if isinstance(initial_state, (list, tuple)) else [initial_state]
            self._check_states([s.shape for s in states], inputs.shape[0] if hasattr(inputs, "shape") else None)
        return super()._call_symbolic(inputs, initial_state=initial_state, **kwargs)

    def get_initial_state(self, batch_size):
        return _initial_states(self.cell, batch_size, None)

    def _start(self, x, initial_state):
        """The flat list of states the loop starts from."""
        n = x.shape[0]
        if initial_state is not None:
            flat = _flatten(initial_state) if isinstance(initial_state, (list, tuple)) else [initial_state]
            flat = [s if isinstance(s, Tensor) else to_tensor(s, x.dtype, x.device) for s in flat]
            self._check_states([tuple(s.shape) for s in flat], n)
            return flat
        if self.stateful and self.states is not None:
            if self.states[0].shape[0] != n:
                raise ValueError(f"RNN '{self.name}': stateful=True keeps states for batches of "
                                 f"{self.states[0].shape[0]}, got a batch of {n}")
            return [Tensor._make(to_device(s.data, x.device)) for s in self.states]
        flat = [s if isinstance(s, Tensor) else to_tensor(s, x.dtype, x.device)
                for s in _flatten(_initial_states(self.cell, n, x))]
        return [Tensor._make(to_device(s.data, x.device).astype(x.dtype, copy=False)) for s in flat]

    def call(self, x, training=False, mask=None, initial_state=None):
        self._check(x.shape)
        flat = self._start(x, initial_state)
        nest = _initial_states_shape(self.cell)
        keep = _RNN._time_mask(self, mask, x)
        _reset_masks(self.cell)
        outputs, zeros = [], None
        order = range(x.shape[1] - 1, -1, -1) if self.go_backwards else range(x.shape[1])
        for t in order:
            out, new = _cell_call(self.cell, x[:, t], _unflatten(flat, nest), bool(training))
            new = _flatten(new)
            if keep is not None:  # a masked step keeps the states and repeats the last output (or gives zeros)
                m = keep[:, t:t + 1]
                if zeros is None:
                    zeros = Tensor._make(x.xp.zeros(tuple(out.shape), dtype=out.dtype))
                prev = outputs[-1] if outputs else zeros
                out = where(m, out, zeros if self.zero_output_for_mask else prev)
                new = [where(m, a, b) for a, b in zip(new, flat)]
            flat = new
            if self.return_sequences:
                outputs.append(out)
            else:
                outputs = [out]
        _reset_masks(self.cell)
        if self.stateful:
            self.states = [Tensor._make(s.data.copy()) for s in flat]
        y = F.stack(outputs, dim=1) if self.return_sequences else outputs[-1]
        return [y, *flat] if self.return_state else y

    # the same as the recurrent layers': zero the kept states; the output's mask (and None per state)
    reset_state, reset_states, compute_mask = _RNN.reset_state, _RNN.reset_states, _RNN.compute_mask

    def compute_output_shape(self, input_shape):
        self._check(input_shape)
        n, size = input_shape[0], _output_size(self.cell)
        out = (n, input_shape[1], size) if self.return_sequences else (n, size)
        if self.return_state:
            return (out,) + tuple((n, s) for s in self._flat_sizes())
        return out

    def get_config(self):
        return {**super().get_config(), "return_sequences": self.return_sequences, "return_state": self.return_state,
                "go_backwards": self.go_backwards, "stateful": self.stateful, "unroll": self.unroll,
                "zero_output_for_mask": self.zero_output_for_mask, "cell": _serialize(self.cell)}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["cell"] = _deserialize(config["cell"])
        return cls(**config)


def _initial_states_shape(cell):
    """The nesting of a cell's states (what ``cell.call`` is given): a list, or a list of lists (stacked)."""
    if isinstance(cell, StackedRNNCells):
        return [_initial_states_shape(c) for c in cell.cells]
    return [0] * len(_state_sizes(cell))


def _reset_masks(cell):
    for c in (cell.cells if isinstance(cell, StackedRNNCells) else [cell]):
        if isinstance(c, StackedRNNCells):
            _reset_masks(c)
        elif isinstance(c, _Cell):
            c.reset_dropout_mask()
            c.reset_recurrent_dropout_mask()


__all__ = ["RNN", "SimpleRNNCell", "LSTMCell", "GRUCell", "StackedRNNCells"]
