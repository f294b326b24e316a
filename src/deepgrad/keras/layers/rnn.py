"""Recurrent layers with Keras 3's weights and equations: ``SimpleRNN``, ``LSTM``, ``GRU``.

Inputs are (batch, timesteps, features).  The weights are kept in Keras's layout (``kernel``
(features, k * units), ``recurrent_kernel`` (units, k * units), ``bias``) so ``get_weights`` and
``set_weights`` exchange Keras's arrays as they are; the gates are in Keras's order (LSTM: i, f,
c, o; GRU: z, r, h, with ``reset_after=True`` by default and its (2, 3 * units) bias).  The time
loop is written with deepgrad ops, so backpropagation through time comes from the engine (and
runs on the GPU).  ``dropout``/``recurrent_dropout`` use one mask per sequence, as Keras does (with
``recurrent_dropout``, LSTM and GRU draw one per gate, as Keras's ``implementation=1``).

``return_state=True`` returns ``[output, *states]`` (LSTM: h and c); ``call(x, initial_state=[...])``
starts from given states; a (batch, timesteps) ``mask`` (from ``Embedding(mask_zero=True)`` or
``Masking``) skips the masked steps: the states are carried over them and the output repeats the
last one (zeros with ``zero_output_for_mask``), as Keras's ``backend.rnn``.  ``stateful=True``
keeps the last states between calls (a fixed batch size; ``reset_states()`` zeroes them).
"""
from __future__ import annotations

import numpy as np

from deepgrad.backend import to_device
from deepgrad.keras import activations, initializers, regularizers
from deepgrad.keras.layers.dense import _no_constraint
from deepgrad.keras.layers.layer import Layer, init_param, to_tensor
from deepgrad.nn import functional as F
from deepgrad.nn._util import empty_parameter
from deepgrad.ops.elementwise import where
from deepgrad.random import generator
from deepgrad.tensor import Tensor


class _RNN(Layer):
    gates = 1
    state_count = 1  # LSTM: 2 (h, c)
    supports_masking = True
    _h5_cell = "simple_rnn_cell"  # Keras 3 keeps an RNN's weights in its cell: layers/<key>/cell/vars

    def __init__(self, units, activation="tanh", use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros", kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0, recurrent_dropout=0.0, seed=None,
                 return_sequences=False, return_state=False, go_backwards=False, stateful=False, unroll=False,
                 zero_output_for_mask=False, **kwargs):
        super().__init__(**kwargs)
        name = type(self).__name__
        if int(units) <= 0:
            raise ValueError(f"{name}: units must be a positive integer, got {units!r}")
        _no_constraint(self, kernel_constraint=kernel_constraint, recurrent_constraint=recurrent_constraint,
                       bias_constraint=bias_constraint)
        if activity_regularizer:
            raise NotImplementedError(f"{name}: activity_regularizer is not supported")
        for key, value in (("dropout", dropout), ("recurrent_dropout", recurrent_dropout)):
            if not 0.0 <= float(value) < 1.0:
                raise ValueError(f"{name}: {key} must be in [0, 1), got {value!r}")
        self.units = int(units)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.dropout, self.recurrent_dropout = float(dropout), float(recurrent_dropout)
        self.seed = seed
        self.return_sequences, self.go_backwards, self.unroll = bool(return_sequences), bool(go_backwards), bool(unroll)
        self.return_state, self.stateful = bool(return_state), bool(stateful)
        self.zero_output_for_mask = bool(zero_output_for_mask)
        self.states = None  # stateful: the last states, (batch, units) Tensors
        self._eager_batch = None

    def _check(self, shape):
        if len(shape) != 3:
            raise ValueError(f"{type(self).__name__} '{self.name}': expected a 3-D input (batch, timesteps, features), "
                             f"got shape {tuple(shape)}")
        if shape[-1] is None:
            raise ValueError(f"{type(self).__name__} '{self.name}': the number of features must be known, got "
                             f"{tuple(shape)}")

    def _bias_shape(self):
        return (self.gates * self.units,)

    def _initial_bias(self, shape):
        return self.bias_initializer(shape)

    def build(self, input_shape):
        self._check(input_shape)
        if self.stateful and input_shape[0] is None and self._eager_batch is None:
            raise ValueError(f"{type(self).__name__} '{self.name}': with stateful=True the batch size must be "
                             f"fixed (Input(batch_shape=(batch, timesteps, features))), got input shape "
                             f"{tuple(input_shape)}")
        n_in, k = input_shape[-1], self.gates * self.units
        self.kernel = empty_parameter((n_in, k))
        init_param(self.kernel, self.kernel_initializer, (n_in, k))
        self.recurrent_kernel = empty_parameter((self.units, k))
        init_param(self.recurrent_kernel, self.recurrent_initializer, (self.units, k))
        self._add_weight("kernel", lambda: self.kernel)
        self._add_weight("recurrent_kernel", lambda: self.recurrent_kernel)
        self.bias = None
        if self.use_bias:
            shape = self._bias_shape()
            self.bias = empty_parameter(shape)
            xp = self.bias.xp
            self.bias.data[...] = xp.asarray(self._initial_bias(shape), dtype=self.bias.data.dtype)
            self._add_weight("bias", lambda: self.bias)

    def _mask(self, like, shape, rate):
        keep = generator(like.xp).random(shape, dtype=like.xp.float32) >= rate
        return Tensor._make((keep.astype(like.dtype) * (1.0 / (1.0 - rate))).astype(like.dtype, copy=False))

    def __call__(self, inputs, training=None, **kwargs):
        if self.stateful and not self.built and hasattr(inputs, "shape"):
            self._eager_batch = inputs.shape[0]  # called on data: its batch size is the states' batch size
        return super().__call__(inputs, training=training, **kwargs)

    def _call_symbolic(self, inputs, initial_state=None, **kwargs):
        if initial_state is not None:  # check the states' number and shapes when the graph is made
            states = list(initial_state) if isinstance(initial_state, (list, tuple)) else [initial_state]
            self._check_states([s.shape for s in states], inputs.shape[0] if hasattr(inputs, "shape") else None)
        return super()._call_symbolic(inputs, initial_state=initial_state, **kwargs)

    def _check_states(self, shapes, n):
        name = f"{type(self).__name__} '{self.name}'"
        if len(shapes) != self.state_count:
            what = "[h, c]" if self.state_count == 2 else "[h]"
            raise ValueError(f"{name}: initial_state must be a list of {self.state_count} state tensor(s) {what} of "
                             f"shape (batch, units) = ({n}, {self.units}), got {len(shapes)}")
        for shape in shapes:
            if len(shape) != 2 or shape[-1] != self.units or None not in (n, shape[0]) and shape[0] != n:
                raise ValueError(f"{name}: each initial state must have shape (batch, units) = ({n}, {self.units}),"
                                 f" got {tuple(shape)}")

    def call(self, x, training=False, mask=None, initial_state=None):
        self._check(x.shape)
        n, steps = x.shape[0], x.shape[1]
        state = self._start_state(x, initial_state)
        # Keras: with recurrent dropout the gated cells draw a mask per gate (input and state), else one
        per_gate = self.gates > 1 and bool(training and self.recurrent_dropout)
        g, u = self.gates, self.units
        in_mask = rec_mask = None
        if training and self.dropout:
            in_mask = self._mask(x, (g, n, 1, x.shape[2]) if per_gate else (n, 1, x.shape[2]), self.dropout)
        if training and self.recurrent_dropout:
            rec_mask = self._mask(x, (g, n, u) if per_gate else (n, u), self.recurrent_dropout)
        keep = self._time_mask(mask, x)
        if in_mask is not None and per_gate:  # every step's input projection at once: (batch, timesteps, g * u)
            xw = F.cat([F.matmul(x * in_mask[i], self.kernel[:, i * u:(i + 1) * u]) for i in range(g)], dim=-1)
        else:
            xw = F.matmul(x if in_mask is None else x * in_mask, self.kernel)
        outputs, zeros = [], None if keep is None else self._zeros(x)
        order = range(steps - 1, -1, -1) if self.go_backwards else range(steps)
        for t in order:
            h = state[0] if rec_mask is None else [state[0] * rec_mask[i] for i in range(g)] if per_gate else \
                state[0] * rec_mask
            new = self._step(xw[:, t], h, state)
            out = new[0]
            if keep is not None:  # a masked step keeps the states and repeats the last output (or gives zeros)
                m = keep[:, t:t + 1]
                prev = outputs[-1] if outputs else zeros
                out = where(m, out, zeros if self.zero_output_for_mask else prev)
                new = tuple(where(m, a, b) for a, b in zip(new, state))
            state = new
            if self.return_sequences:
                outputs.append(out)
            else:
                outputs = [out]
        if self.stateful:
            self.states = [Tensor._make(s.data.copy()) for s in state]
        y = F.stack(outputs, dim=1) if self.return_sequences else outputs[-1]
        return [y, *state] if self.return_state else y

    def _zeros(self, x):
        return Tensor._make(x.xp.zeros((x.shape[0], self.units), dtype=x.dtype))

    def _time_mask(self, mask, x):
        """The (batch, timesteps) mask as a bool Tensor on ``x``'s device, or None."""
        if isinstance(mask, (list, tuple)):
            mask = mask[0] if mask else None
        if mask is None:
            return None
        data = mask.data if isinstance(mask, Tensor) else mask
        keep = x.xp.asarray(data).astype(bool)
        if keep.shape == tuple(x.shape[:2]) + (1,):
            keep = keep[..., 0]
        if keep.shape != tuple(x.shape[:2]):
            raise ValueError(f"{type(self).__name__} '{self.name}': the mask must have shape (batch, timesteps) = "
                             f"{tuple(x.shape[:2])}, got {tuple(keep.shape)}")
        return Tensor._make(keep)

    def _start_state(self, x, initial_state):
        """The states the loop starts from: ``initial_state``, the kept states (stateful) or zeros."""
        name, n = f"{type(self).__name__} '{self.name}'", x.shape[0]
        if self.stateful and initial_state is None:
            if self.states is None:
                self.states = list(self._initial_state(x))
            elif self.states[0].shape[0] != n:
                raise ValueError(f"{name}: stateful=True keeps states for batches of {self.states[0].shape[0]}, "
                                 f"got a batch of {n} (the batch size must stay the same; use "
                                 f"Input(batch_shape=...) and a batch_size that divides the data)")
        if initial_state is None:
            if self.stateful:
                return tuple(Tensor._make(to_device(s.data, x.device)) for s in self.states)
            return self._initial_state(x)
        states = list(initial_state) if isinstance(initial_state, (list, tuple)) else [initial_state]
        states = [s if isinstance(s, Tensor) else to_tensor(s, x.dtype, x.device) for s in states]
        self._check_states([tuple(s.shape) for s in states], n)
        return tuple(states)

    def get_initial_state(self, batch_size):
        """The zero states a sequence starts from: a list of (batch_size, units) Tensors."""
        like = self.kernel if self.built else Tensor._make(np.zeros((1, 1), np.float32))
        return [Tensor._make(like.xp.zeros((batch_size, self.units), dtype=like.dtype))
                for _ in range(self.state_count)]

    def reset_state(self):
        """Zero the kept states of a stateful layer."""
        if self.states is not None:
            self.states = [Tensor._make(s.xp.zeros_like(s.data)) for s in self.states]

    def reset_states(self):
        """Keras's other name for ``reset_state``."""
        self.reset_state()

    def compute_mask(self, inputs, mask=None):
        if isinstance(mask, (list, tuple)):
            mask = mask[0] if mask else None
        out = mask if self.return_sequences else None
        return [out] + [None] * self.state_count if self.return_state else out

    def _h_dot(self, h, first, last):
        """``h recurrent_kernel`` for gates ``first`` to ``last - 1``; ``h`` is one tensor, or one per gate."""
        u = self.units
        if not isinstance(h, list):
            whole = (first, last) == (0, self.gates)
            return F.matmul(h, self.recurrent_kernel if whole else self.recurrent_kernel[:, first * u:last * u])
        parts = [F.matmul(h[i], self.recurrent_kernel[:, i * u:(i + 1) * u]) for i in range(first, last)]
        return parts[0] if len(parts) == 1 else F.cat(parts, dim=-1)

    def _recurrent(self, xw, h):
        """``xw + h recurrent_kernel + bias``: a step's pre-activations."""
        z = xw + self._h_dot(h, 0, self.gates)
        if self.bias is not None:
            z = z + self.bias
        return z

    def _initial_state(self, x):
        zeros = Tensor._make(x.xp.zeros((x.shape[0], self.units), dtype=x.dtype))
        return (zeros,)

    def compute_output_shape(self, input_shape):
        self._check(input_shape)
        if self.return_sequences:
            out = (input_shape[0], input_shape[1], self.units)
        else:
            out = (input_shape[0], self.units)
        if self.return_state:
            return (out,) + ((input_shape[0], self.units),) * self.state_count
        return out

    @property
    def losses(self):
        if not self.built:
            return []
        pairs = [(self.kernel_regularizer, self.kernel), (self.recurrent_regularizer, self.recurrent_kernel),
                 (self.bias_regularizer, self.bias)]
        return [reg(w) for reg, w in pairs if reg is not None and w is not None]

    def get_config(self):
        return {**super().get_config(), "units": self.units, "activation": activations.serialize(self.activation),
                "use_bias": self.use_bias, "kernel_initializer": initializers.serialize(self.kernel_initializer),
                "recurrent_initializer": initializers.serialize(self.recurrent_initializer),
                "bias_initializer": initializers.serialize(self.bias_initializer),
                "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
                "recurrent_regularizer": regularizers.serialize(self.recurrent_regularizer),
                "bias_regularizer": regularizers.serialize(self.bias_regularizer),
                "dropout": self.dropout, "recurrent_dropout": self.recurrent_dropout, "seed": self.seed,
                "return_sequences": self.return_sequences, "return_state": self.return_state,
                "go_backwards": self.go_backwards, "stateful": self.stateful, "unroll": self.unroll,
                "zero_output_for_mask": self.zero_output_for_mask}


class SimpleRNN(_RNN):
    """``h_t = activation(x_t kernel + h_{t-1} recurrent_kernel + bias)``."""

    def _step(self, xw, h, state):
        return (self.activation(self._recurrent(xw, h)),)


class _GatedRNN(_RNN):
    """LSTM and GRU: a ``recurrent_activation`` for the gates."""

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", **kwargs):
        super().__init__(units, activation=activation, **kwargs)
        self.recurrent_activation = activations.get(recurrent_activation)

    def get_config(self):
        return {**super().get_config(), "recurrent_activation": activations.serialize(self.recurrent_activation)}


class LSTM(_GatedRNN):
    """Long short-term memory, Keras's gates i, f, c, o; ``unit_forget_bias`` starts the forget bias at 1."""

    gates = 4
    state_count = 2
    _h5_cell = "lstm_cell"

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", unit_forget_bias=True,
                 use_cudnn="auto", **kwargs):
        super().__init__(units, activation, recurrent_activation, **kwargs)
        self.unit_forget_bias = bool(unit_forget_bias)

    def _initial_bias(self, shape):
        u = self.units
        if not self.unit_forget_bias:
            return self.bias_initializer(shape)
        return np.concatenate([self.bias_initializer((u,)), np.ones((u,), np.float32),
                               self.bias_initializer((2 * u,))])

    def _initial_state(self, x):
        h = _RNN._initial_state(self, x)[0]
        return (h, h)

    def _step(self, xw, h, state):
        zi, zf, zc, zo = F.chunk(self._recurrent(xw, h), 4, -1)
        i, f, o = self.recurrent_activation(zi), self.recurrent_activation(zf), self.recurrent_activation(zo)
        c = f * state[1] + i * self.activation(zc)
        return (o * self.activation(c), c)

    def get_config(self):
        return {**super().get_config(), "unit_forget_bias": self.unit_forget_bias}


class GRU(_GatedRNN):
    """Gated recurrent unit, Keras's gates z, r, h; ``reset_after=True`` (the default) applies the reset gate
    after the recurrent matmul and has separate input and recurrent biases (shape (2, 3 * units))."""

    gates = 3
    _h5_cell = "gru_cell"

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", reset_after=True,
                 use_cudnn="auto", **kwargs):
        super().__init__(units, activation, recurrent_activation, **kwargs)
        self.reset_after = bool(reset_after)

    def _bias_shape(self):
        return (2, 3 * self.units) if self.reset_after else (3 * self.units,)

    def _step(self, xw, h, state):
        u = self.units
        if self.bias is not None:
            xw = xw + (self.bias[0] if self.reset_after else self.bias)
        xz, xr, xh = F.chunk(xw, 3, -1)
        if self.reset_after:
            inner = self._h_dot(h, 0, 3)
            if self.bias is not None:
                inner = inner + self.bias[1]
            rz, rr, rh = F.chunk(inner, 3, -1)
            z, r = self.recurrent_activation(xz + rz), self.recurrent_activation(xr + rr)
            hh = self.activation(xh + r * rh)
        else:
            rz, rr = F.chunk(self._h_dot(h, 0, 2), 2, -1)
            z, r = self.recurrent_activation(xz + rz), self.recurrent_activation(xr + rr)
            h_h = h[2] if isinstance(h, list) else h
            hh = self.activation(xh + F.matmul(r * h_h, self.recurrent_kernel[:, 2 * u:]))
        return (z * state[0] + (1.0 - z) * hh,)  # the state itself, not its recurrent-dropout copy (Keras)

    def get_config(self):
        return {**super().get_config(), "reset_after": self.reset_after}


__all__ = ["SimpleRNN", "LSTM", "GRU"]
