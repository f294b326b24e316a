"""Recurrent layers with Keras 3's weights and equations: ``SimpleRNN``, ``LSTM``, ``GRU``.

Inputs are (batch, timesteps, features).  The weights are kept in Keras's layout (``kernel``
(features, k * units), ``recurrent_kernel`` (units, k * units), ``bias``) so ``get_weights`` and
``set_weights`` exchange Keras's arrays as they are; the gates are in Keras's order (LSTM: i, f,
c, o; GRU: z, r, h, with ``reset_after=True`` by default and its (2, 3 * units) bias).  The time
loop is written with deepgrad ops, so backpropagation through time comes from the engine (and
runs on the GPU).  ``dropout``/``recurrent_dropout`` use one mask per sequence, as Keras does.
Not supported: ``return_state``, ``stateful``, masking.
"""
from __future__ import annotations

import numpy as np

from deepgrad.keras import activations, initializers, regularizers
from deepgrad.keras.layers.dense import _no_constraint
from deepgrad.keras.layers.layer import Layer, init_param
from deepgrad.nn import functional as F
from deepgrad.nn._util import empty_parameter
from deepgrad.random import generator
from deepgrad.tensor import Tensor


class _RNN(Layer):
    gates = 1
    _h5_cell = "simple_rnn_cell"  # Keras 3 keeps an RNN's weights in its cell: layers/<key>/cell/vars

    def __init__(self, units, activation="tanh", use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros", kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0, recurrent_dropout=0.0, seed=None,
                 return_sequences=False, return_state=False, go_backwards=False, stateful=False, unroll=False,
                 **kwargs):
        super().__init__(**kwargs)
        name = type(self).__name__
        if int(units) <= 0:
            raise ValueError(f"{name}: units must be a positive integer, got {units!r}")
        _no_constraint(self, kernel_constraint=kernel_constraint, recurrent_constraint=recurrent_constraint,
                       bias_constraint=bias_constraint)
        for key, value in (("return_state", return_state), ("stateful", stateful),
                           ("activity_regularizer", activity_regularizer)):
            if value:
                raise NotImplementedError(f"{name}: {key} is not supported")
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
        self.return_sequences, self.go_backwards, self.unroll = bool(return_sequences), bool(go_backwards), unroll

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

    def call(self, x, training=False):
        self._check(x.shape)
        n, steps = x.shape[0], x.shape[1]
        if training and self.dropout:
            x = x * self._mask(x, (n, 1, x.shape[2]), self.dropout).reshape(n, 1, x.shape[2])
        rec_mask = self._mask(x, (n, self.units), self.recurrent_dropout) if training and self.recurrent_dropout \
            else None
        xw = F.matmul(x, self.kernel)  # every step's input projection at once: (batch, timesteps, k * units)
        state = self._initial_state(x)
        outputs = []
        order = range(steps - 1, -1, -1) if self.go_backwards else range(steps)
        for t in order:
            h = state[0] if rec_mask is None else state[0] * rec_mask
            state = self._step(xw[:, t], h, state)
            if self.return_sequences:
                outputs.append(state[0])
        if self.return_sequences:
            return F.stack(outputs, dim=1)
        return state[0]

    def _recurrent(self, xw, h):
        """``xw + h recurrent_kernel + bias``: a step's pre-activations."""
        z = xw + F.matmul(h, self.recurrent_kernel)
        if self.bias is not None:
            z = z + self.bias
        return z

    def _initial_state(self, x):
        zeros = Tensor._make(x.xp.zeros((x.shape[0], self.units), dtype=x.dtype))
        return (zeros,)

    def compute_output_shape(self, input_shape):
        self._check(input_shape)
        if self.return_sequences:
            return (input_shape[0], input_shape[1], self.units)
        return (input_shape[0], self.units)

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
                "return_sequences": self.return_sequences, "go_backwards": self.go_backwards}


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
            inner = F.matmul(h, self.recurrent_kernel)
            if self.bias is not None:
                inner = inner + self.bias[1]
            rz, rr, rh = F.chunk(inner, 3, -1)
            z, r = self.recurrent_activation(xz + rz), self.recurrent_activation(xr + rr)
            hh = self.activation(xh + r * rh)
        else:
            inner = F.matmul(h, self.recurrent_kernel[:, :2 * u])
            rz, rr = F.chunk(inner, 2, -1)
            z, r = self.recurrent_activation(xz + rz), self.recurrent_activation(xr + rr)
            hh = self.activation(xh + F.matmul(r * h, self.recurrent_kernel[:, 2 * u:]))
        return (z * h + (1.0 - z) * hh,)

    def get_config(self):
        return {**super().get_config(), "reset_after": self.reset_after}


__all__ = ["SimpleRNN", "LSTM", "GRU"]
