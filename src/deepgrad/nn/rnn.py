"""Recurrent layers, as ``torch.nn``: ``RNN``, ``LSTM``, ``GRU`` and their one-step cells.

Built from existing ops (linear, sigmoid, tanh, chunk, stack), so backpropagation through time
comes from the engine and runs on the GPU unchanged.  Parameter names, shapes, gate order
(LSTM: i, f, g, o; GRU: r, z, n), initialization U(-1/sqrt(H), 1/sqrt(H)) and the input/output
layouts (``batch_first``, unbatched inputs, ``(num_layers * directions, N, H)`` states) are PyTorch's.
LSTM's ``proj_size`` P > 0 projects each h_t to P features (``weight_hr_l{k}``, (P, H)), so h_n and
the output have P features per direction while c_n keeps H.
"""
from __future__ import annotations

import math
import warnings

from deepgrad.nn import functional as F
from deepgrad.nn import init
from deepgrad.nn._util import empty_parameter
from deepgrad.nn.module import Module
from deepgrad.ops.linear import linear
from deepgrad.tensor import Tensor

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


class RNNShapeError(ValueError, RuntimeError):
    """An input or state of the wrong size: a ValueError, and the RuntimeError PyTorch raises."""


def _zeros_like_state(x, shape):
    xp = x.xp
    return Tensor._make(xp.zeros(shape, dtype=x.dtype))


def _step(mode, xw, h, c, w_hh, b_hh, w_hr=None):
    """One time step from the input projection ``xw`` (x W_ih^T + b_ih) and the previous state
    (``w_hr``: LSTM's projection of h)."""
    if mode == "GRU":
        hw = linear(h, w_hh, b_hh)
        xr, xz, xn = F.chunk(xw, 3, -1)
        hr, hz, hn = F.chunk(hw, 3, -1)
        r = F.sigmoid(xr + hr)
        z = F.sigmoid(xz + hz)
        n = F.tanh(xn + r * hn)
        return n + z * (h - n), None
    gates = xw + linear(h, w_hh, b_hh)
    if mode == "RNN_TANH":
        return F.tanh(gates), None
    if mode == "RNN_RELU":
        return F.relu(gates), None
    i, f, g, o = F.chunk(gates, 4, -1)
    c = F.sigmoid(f) * c + F.sigmoid(i) * F.tanh(g)
    h = F.sigmoid(o) * F.tanh(c)
    return (h if w_hr is None else linear(h, w_hr)), c


class RNNBase(Module):
    """The stacked (and optionally bidirectional) recurrent layer behind RNN, LSTM and GRU."""

    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, proj_size=0, device=None, dtype=None):
        super().__init__()
        name = type(self).__name__
        for key, v in (("input_size", input_size), ("hidden_size", hidden_size), ("num_layers", num_layers)):
            if isinstance(v, bool) or not isinstance(v, int):
                raise TypeError(f"{name}: {key} should be of type int, got: {type(v).__name__}")
            if v < 1:
                raise ValueError(f"{name}: {key} must be greater than zero, got {v!r}")
        for key, v in (("bias", bias), ("batch_first", batch_first), ("bidirectional", bidirectional)):
            if not isinstance(v, bool):
                raise TypeError(f"{name}: {key} should be of type bool, got: {type(v).__name__}")
        if isinstance(dropout, bool) or not 0 <= dropout <= 1:
            raise ValueError(f"{name}: dropout should be a number in range [0, 1] representing the probability of "
                             f"an element being zeroed, got {dropout!r}")
        if dropout > 0 and num_layers == 1:
            warnings.warn(f"{name}: dropout option adds dropout after all but last recurrent layer, so non-zero "
                          f"dropout expects num_layers greater than 1, but got dropout={dropout} and "
                          f"num_layers={num_layers}", stacklevel=3)
        if isinstance(proj_size, bool) or not isinstance(proj_size, int) or proj_size < 0:
            raise ValueError(f"{name}: proj_size should be a positive integer or zero to disable projections, got "
                             f"{proj_size!r}")
        if proj_size and mode != "LSTM":
            raise ValueError(f"{name}: proj_size argument is only supported for LSTM, not RNN or GRU")
        if proj_size >= hidden_size:
            raise ValueError(f"{name}: proj_size has to be smaller than hidden_size, got proj_size={proj_size} and "
                             f"hidden_size={hidden_size}")
        self.mode = mode
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias, self.batch_first, self.dropout = bias, batch_first, float(dropout)
        self.bidirectional, self.proj_size = bidirectional, proj_size
        gate_size = _GATES[mode] * hidden_size
        directions = 2 if bidirectional else 1
        real_hidden = proj_size or hidden_size  # the size of h (LSTM with projections: proj_size)
        self._flat_weights_names = []
        self._all_weights = []
        for layer in range(num_layers):
            layer_input = input_size if layer == 0 else real_hidden * directions
            for d in range(directions):
                suffix = f"_l{layer}" + ("_reverse" if d else "")
                shapes = [("weight_ih", (gate_size, layer_input)), ("weight_hh", (gate_size, real_hidden))]
                if bias:
                    shapes += [("bias_ih", (gate_size,)), ("bias_hh", (gate_size,))]
                if proj_size:
                    shapes += [("weight_hr", (proj_size, hidden_size))]
                self._all_weights.append([pname + suffix for pname, _ in shapes])
                for pname, shape in shapes:
                    setattr(self, pname + suffix, empty_parameter(shape, device, dtype))
                    self._flat_weights_names.append(pname + suffix)
        self.reset_parameters()

    def reset_parameters(self):
        """Every weight and bias ~ U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))."""
        bound = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for p in self.parameters():
            init.uniform_(p, -bound, bound)

    def flatten_parameters(self):
        """A no-op (PyTorch compacts cuDNN weights here)."""

    @property
    def all_weights(self):
        """The parameters of each layer and direction: [[w_ih, w_hh, b_ih, b_hh(, w_hr)], ...]."""
        return [[getattr(self, name) for name in names] for names in self._all_weights]

    def _weights(self, layer, d):
        """(w_ih, w_hh, b_ih, b_hh, w_hr) of one layer and direction (None where absent)."""
        suffix = f"_l{layer}" + ("_reverse" if d else "")
        return tuple(getattr(self, p + suffix, None) for p in ("weight_ih", "weight_hh", "bias_ih", "bias_hh",
                                                                "weight_hr"))

    def _check_input(self, input, hx):  # noqa: A002
        name = type(self).__name__
        if input.ndim not in (2, 3):
            raise ValueError(f"{name}: expected a 2-D (unbatched) or 3-D input, got shape {input.shape}")
        if input.shape[-1] != self.input_size:
            raise RNNShapeError(f"{name}: input.size(-1) must be equal to input_size. Expected {self.input_size}, "
                                f"got {input.shape[-1]} (input shape {input.shape})")

    def _state_shapes(self, n):
        """The shapes of h_0 and c_0 for a batch of ``n`` (``n=None``: unbatched)."""
        k = self.num_layers * (2 if self.bidirectional else 1)
        batch = () if n is None else (n,)
        return (k,) + batch + (self.proj_size or self.hidden_size,), (k,) + batch + (self.hidden_size,)

    def _initial_state(self, hx, n, like, sorted_indices=None, unbatched=False):
        """(h_0, c_0) for a batch of ``n`` (zeros when ``hx`` is None), checked and, for a packed batch,
        put in length order; an unbatched ``hx`` (``unbatched``) gets its batch dim of 1."""
        name = type(self).__name__
        lstm = self.mode == "LSTM"
        h_shape, c_shape = self._state_shapes(n)
        if hx is None:
            return _zeros_like_state(like, h_shape), (_zeros_like_state(like, c_shape) if lstm else None)
        if lstm:
            if not (isinstance(hx, (tuple, list)) and len(hx) == 2):
                raise ValueError(f"{name}: hx must be a tuple (h_0, c_0), got {type(hx).__name__}")
            h0, c0 = hx
        else:
            h0, c0 = hx, None
        if unbatched:
            h_shape, c_shape = self._state_shapes(None)
        for label, t, shape in (("h_0", h0, h_shape), ("c_0", c0, c_shape)):
            if t is not None and tuple(t.shape) != shape:
                raise RNNShapeError(f"{name}: expected {label} of shape {shape}, got {tuple(t.shape)}")
        if unbatched:
            h0 = F.unsqueeze(h0, 1)
            c0 = F.unsqueeze(c0, 1) if c0 is not None else None
        if sorted_indices is not None:
            idx = Tensor._make(like.xp.asarray(sorted_indices))
            h0 = F.index_select(h0, 1, idx)
            c0 = F.index_select(c0, 1, idx) if c0 is not None else None
        return h0, c0

    def _forward_packed(self, packed, hx):
        """The layers over a PackedSequence: at time step t only the first batch_sizes[t] (longest)
        sequences advance; the others keep their last state, so padding never enters."""
        from deepgrad.nn.utils.rnn import PackedSequence

        data, batch_sizes, sorted_indices, unsorted_indices = packed
        name = type(self).__name__
        if data.ndim != 2 or data.shape[-1] != self.input_size:
            raise RNNShapeError(f"{name}: expected packed data of shape (*, {self.input_size}), got {data.shape}")
        sizes = [int(b) for b in batch_sizes]
        offsets = [0]
        for b in sizes:
            offsets.append(offsets[-1] + b)
        directions = 2 if self.bidirectional else 1
        lstm = self.mode == "LSTM"
        h0, c0 = self._initial_state(hx, sizes[0], data, sorted_indices)
        h_n, c_n = [], []
        layer_input = data
        for layer in range(self.num_layers):
            outs = []
            for d in range(directions):
                w_ih, w_hh, b_ih, b_hh, w_hr = self._weights(layer, d)
                xw = linear(layer_input, w_ih, b_ih)
                k = layer * directions + d
                first_h, first_c = h0[k], (c0[k] if lstm else None)
                seq = [None] * len(sizes)
                if d == 0:
                    h, c = first_h, first_c
                    for t, bs in enumerate(sizes):
                        hn, cn = _step(self.mode, xw[offsets[t]:offsets[t + 1]], h[:bs], c[:bs] if lstm else None,
                                       w_hh, b_hh, w_hr)
                        seq[t] = hn
                        h = hn if bs == h.shape[0] else F.cat([hn, h[bs:]], 0)
                        if lstm:
                            c = cn if bs == c.shape[0] else F.cat([cn, c[bs:]], 0)
                else:  # backwards: a sequence starts (from h_0) at its own last step
                    h = first_h[:sizes[-1]]
                    c = first_c[:sizes[-1]] if lstm else None
                    for t in range(len(sizes) - 1, -1, -1):
                        bs = sizes[t]
                        if h.shape[0] < bs:
                            h = F.cat([h, first_h[h.shape[0]:bs]], 0)
                            c = F.cat([c, first_c[c.shape[0]:bs]], 0) if lstm else None
                        h, c = _step(self.mode, xw[offsets[t]:offsets[t + 1]], h, c, w_hh, b_hh, w_hr)
                        seq[t] = h
                outs.append(F.cat(seq, 0))
                h_n.append(h)
                c_n.append(c)
            layer_input = outs[0] if directions == 1 else F.cat(outs, -1)
            if self.dropout and self.training and layer < self.num_layers - 1:
                layer_input = F.dropout(layer_input, self.dropout, True)
        h_n = F.stack(h_n, 0)
        c_n = F.stack(c_n, 0) if lstm else None
        if unsorted_indices is not None:
            idx = Tensor._make(data.xp.asarray(unsorted_indices))
            h_n = F.index_select(h_n, 1, idx)
            c_n = F.index_select(c_n, 1, idx) if lstm else None
        out = PackedSequence(layer_input, batch_sizes, sorted_indices, unsorted_indices)
        return out, ((h_n, c_n) if lstm else h_n)

    def forward(self, input, hx=None):  # noqa: A002
        from deepgrad.nn.utils.rnn import PackedSequence

        if isinstance(input, PackedSequence):
            return self._forward_packed(input, hx)
        self._check_input(input, hx)
        batched = input.ndim == 3
        if input.shape[1 if batched and self.batch_first else 0] == 0:
            raise RNNShapeError(f"{type(self).__name__}: Expected sequence length to be larger than 0 in RNN, got "
                                f"input shape {input.shape}")
        x = input if batched else F.unsqueeze(input, 1)  # (L, 1, H_in) or (N, 1, H_in) with batch_first
        if not batched and self.batch_first:
            x = F.unsqueeze(input, 0)
        if self.batch_first:
            x = F.transpose(x, 0, 1)  # time major inside: (L, N, H_in)
        directions = 2 if self.bidirectional else 1
        n = x.shape[1]
        lstm = self.mode == "LSTM"
        h0, c0 = self._initial_state(hx, n, x, unbatched=hx is not None and not batched)
        h_n, c_n = [], []
        layer_input = x
        for layer in range(self.num_layers):
            outs = []
            for d in range(directions):
                w_ih, w_hh, b_ih, b_hh, w_hr = self._weights(layer, d)
                k = layer * directions + d
                h, c = h0[k], (c0[k] if lstm else None)
                xw = linear(layer_input, w_ih, b_ih)  # every time step's input projection at once
                steps = range(xw.shape[0] - 1, -1, -1) if d else range(xw.shape[0])
                seq = [None] * xw.shape[0]
                for t in steps:
                    h, c = _step(self.mode, xw[t], h, c, w_hh, b_hh, w_hr)
                    seq[t] = h
                outs.append(F.stack(seq, 0) if seq else _zeros_like_state(x, (0, n, h.shape[-1])))
                h_n.append(h)
                c_n.append(c)
            layer_input = outs[0] if directions == 1 else F.cat(outs, -1)
            if self.dropout and self.training and layer < self.num_layers - 1:
                layer_input = F.dropout(layer_input, self.dropout, True)
        output = layer_input
        h_n = F.stack(h_n, 0)
        c_n = F.stack(c_n, 0) if lstm else None
        if self.batch_first:
            output = F.transpose(output, 0, 1)
        if not batched:
            output = output[0] if self.batch_first else output[:, 0]
            h_n = h_n[:, 0]
            c_n = c_n[:, 0] if lstm else None
        return output, ((h_n, c_n) if lstm else h_n)

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s


class RNN(RNNBase):
    """Elman RNN: h_t = tanh(x_t W_ih^T + b_ih + h_(t-1) W_hh^T + b_hh) (``nonlinearity='relu'`` for relu)."""

    def __init__(self, input_size, hidden_size, num_layers=1, nonlinearity="tanh", bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, device=None, dtype=None, proj_size=0):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNN: Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'.")
        self.nonlinearity = nonlinearity
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", input_size, hidden_size, num_layers,
                         bias, batch_first, dropout, bidirectional, proj_size, device, dtype)


class LSTM(RNNBase):
    """Long short-term memory; returns ``output, (h_n, c_n)``."""

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, proj_size=0, device=None, dtype=None):
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         proj_size, device, dtype)


class GRU(RNNBase):
    """Gated recurrent unit; returns ``output, h_n``."""

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, device=None, dtype=None, proj_size=0):
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         proj_size, device, dtype)


class RNNCellBase(Module):
    """One time step of an RNN, LSTM or GRU for a batch (N, input_size) or one sample (input_size,)."""

    _mode = ""

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__()
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        gate_size = _GATES[self._mode] * hidden_size
        self.weight_ih = empty_parameter((gate_size, input_size), device, dtype)
        self.weight_hh = empty_parameter((gate_size, hidden_size), device, dtype)
        if bias:
            self.bias_ih = empty_parameter((gate_size,), device, dtype)
            self.bias_hh = empty_parameter((gate_size,), device, dtype)
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    reset_parameters = RNNBase.reset_parameters

    def _run(self, input, hx):  # noqa: A002
        name = type(self).__name__
        if input.ndim not in (1, 2) or input.shape[-1] != self.input_size:
            err = ValueError if input.ndim not in (1, 2) else RNNShapeError
            raise err(f"{name}: expected input of shape (N, {self.input_size}) or ({self.input_size},), "
                      f"got shape {input.shape}")
        batched = input.ndim == 2
        x = input if batched else F.unsqueeze(input, 0)
        lstm = self._mode == "LSTM"
        shape = (x.shape[0], self.hidden_size)
        if hx is None:
            h = _zeros_like_state(x, shape)
            c = _zeros_like_state(x, shape) if lstm else None
        else:
            h, c = hx if lstm else (hx, None)
            for label, t in (("hx", h), ("cx", c)):
                if t is not None and tuple(t.shape) != (shape if batched else shape[1:]):
                    raise RNNShapeError(f"{name}: expected {label} of shape {shape if batched else shape[1:]}, "
                                        f"got {tuple(t.shape)}")
            if not batched:
                h = F.unsqueeze(h, 0)
                c = F.unsqueeze(c, 0) if c is not None else None
        h, c = _step(self._mode, linear(x, self.weight_ih, self.bias_ih), h, c, self.weight_hh, self.bias_hh)
        if not batched:
            h = h[0]
            c = c[0] if c is not None else None
        return (h, c) if lstm else h

    def forward(self, input, hx=None):  # noqa: A002
        return self._run(input, hx)

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        return s


class RNNCell(RNNCellBase):
    """h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh) (or relu)."""

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None, dtype=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNNCell: Unknown nonlinearity: {nonlinearity}")
        self.nonlinearity = nonlinearity
        self._mode = "RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU"
        super().__init__(input_size, hidden_size, bias, device, dtype)

    def extra_repr(self):
        s = super().extra_repr()
        return s if self.nonlinearity == "tanh" else s + f", nonlinearity={self.nonlinearity}"


class LSTMCell(RNNCellBase):
    """One LSTM step: returns ``(h', c')``."""

    _mode = "LSTM"


class GRUCell(RNNCellBase):
    """One GRU step: returns ``h'``."""

    _mode = "GRU"


__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]
