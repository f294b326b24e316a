"""Keras 3's attention layers: ``MultiHeadAttention``, ``Attention`` (Luong) and ``AdditiveAttention`` (Bahdanau).

Weights are kept in Keras's layout (``query/kernel`` is (dim, heads, key_dim)).  The per-call
options ``return_attention_scores`` and ``use_causal_mask`` of a symbolic (functional) call are
remembered by the layer, so the model graph and a saved ``.keras`` file replay them; a layer is
therefore called with one set of options in a graph.  Masked scores get -1e9 before the softmax
(and, as Keras does, masked weights are zeroed after it except on Keras's fused path).
"""
from __future__ import annotations

import math
import string

import numpy as np

from deepgrad.keras import initializers, regularizers
from deepgrad.keras.layers._weights import keras_shaped, new_weight
from deepgrad.keras.layers.keras_tensor import KerasTensor
from deepgrad.keras.layers.layer import Layer
from deepgrad.ops.dropout import dropout as _dropout
from deepgrad.ops.elementwise import where
from deepgrad.ops.matrix import einsum
from deepgrad.ops.softmax import softmax
from deepgrad.tensor import Tensor

_OPTIONS = {"return_attention_scores": False, "use_causal_mask": False}


def _masked_softmax(scores, keep, n_axes, fused):
    """Softmax over the last ``n_axes`` axes of ``scores``; ``keep`` (bool array or None) masks positions.

    Masked scores become -1e9.  ``fused``: Keras's ``dot_product_attention`` path, where a fully masked
    row is uniform; otherwise (Keras's ``Softmax(mask)``) masked weights are zeroed after the softmax."""
    xp = scores.xp
    shape = tuple(scores.shape)
    if keep is not None:
        keep = xp.broadcast_to(keep, shape)
        scores = where(Tensor._make(keep), scores, -1e9)
    flat = shape[:len(shape) - n_axes] + (-1,)
    p = softmax(scores.reshape(*flat), dim=-1).reshape(*shape)
    if keep is not None and not fused:
        p = where(Tensor._make(keep), p, 0.0)
    return p


def _causal(xp, tq, ts):
    return xp.tril(xp.ones((1, tq, ts), dtype=bool))



def _bool(mask, xp):
    """A mask (Tensor or array, maybe on the host) as a boolean array on the inputs' device."""
    return xp.asarray(mask.data if isinstance(mask, Tensor) else mask).astype(bool)

class _OptionsCall:
    """Record the per-call options of a symbolic call on the layer (see the module docstring)."""

    def _set_options(self, options, symbolic):
        if symbolic:
            if self._nodes and options != self._call_options:
                raise ValueError(f"{type(self).__name__} '{self.name}': called again on symbolic inputs with other "
                                 f"options {options} (first call: {self._call_options}); use another layer")
            self._call_options = dict(options)
            return None
        previous, self._call_options = self._call_options, dict(options)
        return previous

    def _options_config(self, config):
        if any(self._call_options.values()):
            config["call_options"] = dict(self._call_options)
        return config


def _check_all_symbolic(layer, inputs):
    flags = [isinstance(t, KerasTensor) for t in inputs]
    if any(flags) and not all(flags):
        raise TypeError(f"{type(layer).__name__} '{layer.name}': mixes symbolic inputs (KerasTensors) with arrays; "
                        "pass every input as a KerasTensor (Input(...) or a layer output)")
    return all(flags)


def _attention_equations(rank, attn_axes):
    """Keras's einsum equations (query-key product, combination) for projected rank-``rank`` tensors."""
    letters = string.ascii_lowercase
    target = letters[:rank]
    batch_dims = tuple(np.delete(range(rank), attn_axes + (rank - 1,)))
    source, offset = "", rank
    for i in range(rank):
        if i in batch_dims or i == rank - 1:
            source += target[i]
        else:
            source += letters[offset]
            offset += 1
    product = "".join([target[i] for i in batch_dims] + [target[i] for i in attn_axes]
                      + [source[i] for i in attn_axes])
    return f"{source},{target}->{product}", f"{product},{source}->{target}", batch_dims


class MultiHeadAttention(_OptionsCall, Layer):
    """``MultiHeadAttention(num_heads, key_dim, value_dim=None, dropout=0.0, use_bias=True, output_shape=None,
    attention_axes=None, ...)``, called as ``layer(query, value, key=None, attention_mask=None,
    return_attention_scores=False, training=None, use_causal_mask=False)``."""

    supports_masking = True

    def __init__(self, num_heads, key_dim, value_dim=None, dropout=0.0, use_bias=True, output_shape=None,
                 attention_axes=None, sliding_window=None, flash_attention=None, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, use_gate=False, seed=None, call_options=None,
                 **kwargs):
        for arg, val in (("num_heads", num_heads), ("key_dim", key_dim), ("value_dim", value_dim)):
            if val is None and arg == "value_dim":
                continue
            if isinstance(val, bool) or not isinstance(val, (int, np.integer)) or val <= 0:
                raise ValueError(f"MultiHeadAttention: {arg} must be a positive integer, got {val!r}")
        if not 0.0 <= float(dropout) < 1.0:
            raise ValueError(f"MultiHeadAttention: dropout must be in [0, 1), got {dropout!r}")
        if sliding_window is not None and (not isinstance(sliding_window, int) or sliding_window <= 0):
            raise ValueError(f"MultiHeadAttention: sliding_window must be None or a positive integer, "
                             f"got {sliding_window!r}")
        for arg, val in (("activity_regularizer", activity_regularizer), ("kernel_constraint", kernel_constraint),
                         ("bias_constraint", bias_constraint)):
            if val is not None:
                raise NotImplementedError(f"MultiHeadAttention: {arg} is not supported")
        if use_gate:
            raise NotImplementedError("MultiHeadAttention: use_gate=True is not supported")
        super().__init__(**kwargs)
        self.num_heads, self.key_dim = int(num_heads), int(key_dim)
        self.value_dim = int(value_dim) if value_dim else self.key_dim
        self.dropout = float(dropout)
        self.use_bias = bool(use_bias)
        if isinstance(output_shape, (int, np.integer)):
            output_shape = (int(output_shape),)
        elif output_shape:
            try:
                output_shape = tuple(int(d) for d in output_shape)
            except TypeError:
                raise ValueError(f"MultiHeadAttention: output_shape must be an int, tuple or list, "
                                 f"got {output_shape!r}") from None
        self._output_shape = tuple(output_shape) if output_shape else None
        if isinstance(attention_axes, int):
            attention_axes = (attention_axes,)
        elif attention_axes is not None and not isinstance(attention_axes, (list, tuple)):
            raise ValueError(f"MultiHeadAttention: attention_axes must be an int, list or tuple, "
                             f"got {attention_axes!r}")
        self.attention_axes = None if attention_axes is None else tuple(int(a) for a in attention_axes)
        self.sliding_window = sliding_window
        self.flash_attention = flash_attention
        self.seed = seed
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self._call_options = {**_OPTIONS, "key": False, "attention_mask": False, **(call_options or {})}
        self._penalties = []

    # -- calling ----------------------------------------------------------------------------------------
    def __call__(self, query, value=None, key=None, query_mask=None, value_mask=None, key_mask=None,
                 attention_mask=None, return_attention_scores=False, training=None, use_causal_mask=False,
                 mask=None):
        if value is None:
            if isinstance(query, (list, tuple)):  # a graph replayed (load_model): inputs laid out as recorded
                return Layer.__call__(self, list(query), training=training, mask=mask)
            raise TypeError(f"MultiHeadAttention '{self.name}': missing the value input; call it as "
                            "layer(query, value) or layer(query, value, key)")
        inputs = [query, value] + ([key] if key is not None else [])
        inputs += [attention_mask] if attention_mask is not None else []
        options = {"return_attention_scores": bool(return_attention_scores),
                   "use_causal_mask": bool(use_causal_mask), "key": key is not None,
                   "attention_mask": attention_mask is not None}
        symbolic = _check_all_symbolic(self, inputs)
        given = (query_mask, value_mask, key_mask)
        if symbolic and any(m is not None for m in given):
            raise NotImplementedError(f"MultiHeadAttention '{self.name}': query_mask/value_mask/key_mask on "
                                      "symbolic inputs; give the inputs Keras masks (Embedding(mask_zero=True))")
        previous = self._set_options(options, symbolic)
        if symbolic:
            return Layer.__call__(self, inputs)
        if mask is None and any(m is not None for m in given):
            from deepgrad.keras.layers.masking import get_keras_mask

            mask = [get_keras_mask(query), value_mask if value_mask is not None else get_keras_mask(value)]
            if key is not None:
                mask.append(key_mask if key_mask is not None else get_keras_mask(key))
            mask += [None] * (len(inputs) - len(mask))
        try:
            return Layer.__call__(self, inputs, training=training, mask=mask)
        finally:
            self._call_options = previous

    def _split(self, items):
        o = self._call_options
        if len(items) != 2 + o["key"] + o["attention_mask"]:
            raise ValueError(f"MultiHeadAttention '{self.name}': expected {2 + o['key'] + o['attention_mask']} "
                             f"inputs (query, value{', key' if o['key'] else ''}"
                             f"{', attention_mask' if o['attention_mask'] else ''}), got {len(items)}")
        q, v = items[0], items[1]
        k = items[2] if o["key"] else None
        am = items[-1] if o["attention_mask"] else None
        return q, v, k, am

    # -- building ---------------------------------------------------------------------------------------
    def build(self, input_shape):
        q, v, k, _ = self._split(list(input_shape))
        k = v if k is None else k
        if tuple(v[1:-1]) != tuple(k[1:-1]):
            raise ValueError(f"MultiHeadAttention '{self.name}': all dimensions of value and key but the last must "
                             f"be equal, got value shape {tuple(v)} and key shape {tuple(k)}")
        if len(q) != len(v) or len(q) < 3:
            raise ValueError(f"MultiHeadAttention '{self.name}': query and value must have the same rank (3 or more: "
                             f"batch, positions..., features), got query shape {tuple(q)} and value shape {tuple(v)}")
        if None in (q[-1], v[-1], k[-1]):
            raise ValueError(f"MultiHeadAttention '{self.name}': the feature (last) dimensions must be known, got "
                             f"query {tuple(q)}, value {tuple(v)}, key {tuple(k)}")
        h, kd, vd = self.num_heads, self.key_dim, self.value_dim
        self._penalties = []
        out = self._output_shape or (q[-1],)
        for part, dim, head_dim in (("query", q[-1], kd), ("key", k[-1], kd), ("value", v[-1], vd)):
            setattr(self, f"_{part}_kernel", self._kernel(f"{part}/kernel", (dim, h, head_dim)))
            setattr(self, f"_{part}_bias", self._bias(f"{part}/bias", (h, head_dim)))
        self._output_kernel = self._kernel("attention_output/kernel", (h, vd) + tuple(out))
        self._output_bias = self._bias("attention_output/bias", tuple(out))
        rank = len(q) + 1
        if self.attention_axes is None:
            axes = tuple(range(1, rank - 2))
        else:
            axes = tuple(a if a >= 0 else (rank - 1) + a for a in self.attention_axes)
        if any(not 1 <= a <= rank - 3 for a in axes):
            raise ValueError(f"MultiHeadAttention '{self.name}': attention_axes {self.attention_axes} out of range "
                             f"for query shape {tuple(q)}")
        self._axes = self.attention_axes = axes  # Keras's config shows the resolved axes once built
        self._rank = len(q)
        self._dot_eq, self._combine_eq, self._batch_dims = _attention_equations(rank, axes)

    def _kernel(self, name, shape):
        w = new_weight(self, name, shape, self.kernel_initializer)
        self._penalties.append((self.kernel_regularizer, w))
        return w

    def _bias(self, name, shape):
        if not self.use_bias:
            return None
        w = new_weight(self, name, shape, self.bias_initializer)
        self._penalties.append((self.bias_regularizer, w))
        return w

    @property
    def losses(self):
        return [reg(w) for reg, w in self._penalties if reg is not None]

    def _h5_children(self):
        """Keras 3's ``.weights.h5`` layout: one group per projection (``query_dense/vars/0`` the kernel, ...)."""
        parts = []
        for key, prefix in (("query_dense", "query"), ("key_dense", "key"), ("value_dense", "value"),
                            ("output_dense", "attention_output"), ("_dropout_layer", None), ("_softmax", None)):
            part = Layer(name=f"{self.name}/{key}")
            part._weights = [e for e in self._weights if prefix and e[0].startswith(prefix + "/")]
            parts.append((key, part))
        return parts

    # -- computing --------------------------------------------------------------------------------------
    def _project(self, x, kernel, bias, what):
        if x.shape[-1] != kernel.shape[0]:
            raise ValueError(f"MultiHeadAttention '{self.name}': {what} has {x.shape[-1]} features, the layer was "
                             f"built for {kernel.shape[0]} (input shape {tuple(x.shape)})")
        y = (x @ kernel.reshape(kernel.shape[0], -1)).reshape(*x.shape[:-1], *kernel.shape[1:])
        return y + bias if bias is not None else y

    def _attention_mask(self, q, v, masks, am):
        xp = q.xp
        keep = None
        o = self._call_options
        if masks is not None:
            qm, vm = masks[0], masks[1]
            km = masks[2] if o["key"] else None
            if qm is not None:
                keep = _bool(qm, xp)[..., None]
            for m in (vm, km):
                if m is not None:
                    m = _bool(m, xp)[..., None, :]
                    keep = m if keep is None else keep & m
        if o["use_causal_mask"]:
            m = _causal(xp, q.shape[1], v.shape[1])
            keep = m if keep is None else keep & m
        if self.sliding_window is not None:
            i, j = xp.arange(q.shape[1])[:, None], xp.arange(v.shape[1])[None, :]
            m = (xp.abs(i - j) < self.sliding_window)[None]
            keep = m if keep is None else keep & m
        if am is not None:
            m = xp.asarray(am.data if isinstance(am, Tensor) else am) != 0
            keep = m if keep is None else m & keep
        return keep

    def call(self, inputs, training=False, mask=None):
        q, v, k, am = self._split(list(inputs))
        k = v if k is None else k
        o = self._call_options
        if any(t.ndim != self._rank for t in (q, v, k)):
            raise ValueError(f"MultiHeadAttention '{self.name}': built for rank-{self._rank} inputs, got query "
                             f"{tuple(q.shape)}, value {tuple(v.shape)}, key {tuple(k.shape)}")
        keep = self._attention_mask(q, v, mask, am)
        query = self._project(q, self._query_kernel, self._query_bias, "query")
        key = self._project(k, self._key_kernel, self._key_bias, "key")
        value = self._project(v, self._value_kernel, self._value_bias, "value")
        query = query * (1.0 / math.sqrt(float(self.key_dim)))
        scores = einsum(self._dot_eq, key, query)
        if keep is not None:
            for _ in range(scores.ndim - keep.ndim):
                keep = scores.xp.expand_dims(keep, axis=-len(self._axes) * 2 - 1)
            try:
                np.broadcast_shapes(tuple(keep.shape), tuple(scores.shape))
            except ValueError:
                raise ValueError(f"MultiHeadAttention '{self.name}': attention_mask of shape {tuple(am.shape)} does "
                                 f"not broadcast to the attention scores {tuple(scores.shape)} (expected (batch, "
                                 f"target, source) = {(q.shape[0], q.shape[1], v.shape[1])})") from None
        fused = self.dropout == 0.0 and not o["return_attention_scores"] and q.ndim == 3
        weights = _masked_softmax(scores, keep, len(self._axes), fused)
        used = _dropout(weights, self.dropout, training=True) if training and self.dropout > 0 else weights
        out = einsum(self._combine_eq, used, value)
        h, vd = self.num_heads, self.value_dim
        kern = self._output_kernel
        y = (out.reshape(*out.shape[:-2], h * vd) @ kern.reshape(h * vd, -1)).reshape(*out.shape[:-2],
                                                                                       *kern.shape[2:])
        if self._output_bias is not None:
            y = y + self._output_bias
        return (y, weights) if o["return_attention_scores"] else y

    def compute_mask(self, inputs, mask=None):
        qm = mask[0] if isinstance(mask, (list, tuple)) and mask else None
        return [qm, None] if self._call_options["return_attention_scores"] else qm

    def compute_output_shape(self, input_shape, value_shape=None, key_shape=None):
        """From the list of input shapes, or as Keras: ``(query_shape, value_shape, key_shape=None)``."""
        if value_shape is not None:
            k = value_shape if key_shape is None else key_shape
            if tuple(value_shape[1:-1]) != tuple(k[1:-1]):
                raise ValueError(f"MultiHeadAttention '{self.name}': all dimensions of value and key but the last "
                                 f"must be equal, got value shape {tuple(value_shape)} and key shape {tuple(k)}")
            return tuple(input_shape[:-1]) + (self._output_shape or (input_shape[-1],))
        q, v, _, _ = self._split(list(input_shape))
        out = tuple(q[:-1]) + (self._output_shape or (q[-1],))
        if not self._call_options["return_attention_scores"]:
            return out
        rank = len(q) + 1
        axes = getattr(self, "_axes", tuple(range(1, rank - 2)))
        proj_q = tuple(q[:-1]) + (self.num_heads,)
        batch = [proj_q[i] for i in range(rank - 1) if i not in axes]
        return [out, tuple(batch + [q[a] for a in axes] + [v[a] for a in axes])]

    def get_config(self):
        config = {**super().get_config(), "num_heads": self.num_heads, "key_dim": self.key_dim,
                  "value_dim": self.value_dim, "dropout": self.dropout, "use_bias": self.use_bias, "use_gate": False,
                  "output_shape": None if self._output_shape is None else list(self._output_shape),
                  "attention_axes": None if self.attention_axes is None else list(self.attention_axes),
                  "sliding_window": self.sliding_window,
                  "kernel_initializer": initializers.serialize(self.kernel_initializer),
                  "bias_initializer": initializers.serialize(self.bias_initializer),
                  "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
                  "bias_regularizer": regularizers.serialize(self.bias_regularizer), "activity_regularizer": None,
                  "kernel_constraint": None, "bias_constraint": None, "seed": self.seed}
        return self._options_config(config)


class Attention(_OptionsCall, Layer):
    """``Attention(use_scale=False, score_mode='dot', dropout=0.0)``: Luong attention, called on
    ``[query, value]`` or ``[query, value, key]`` (optional ``mask=[query_mask, value_mask]``,
    ``return_attention_scores``, ``use_causal_mask``)."""

    def __init__(self, use_scale=False, score_mode="dot", dropout=0.0, seed=None, call_options=None, **kwargs):
        super().__init__(**kwargs)
        if score_mode not in ("dot", "concat"):
            raise ValueError(f"{type(self).__name__}: score_mode must be one of 'dot', 'concat', got {score_mode!r}")
        if not 0.0 <= float(dropout) < 1.0:
            raise ValueError(f"{type(self).__name__}: dropout must be in [0, 1), got {dropout!r}")
        self.use_scale = bool(use_scale)
        self.score_mode = score_mode
        self.dropout = float(dropout)
        self.seed = seed
        self._call_options = {**_OPTIONS, **(call_options or {})}

    def __call__(self, inputs, training=None, mask=None, return_attention_scores=None, use_causal_mask=None):
        self._validate(inputs, mask)
        symbolic = _check_all_symbolic(self, inputs)
        given = {"return_attention_scores": return_attention_scores, "use_causal_mask": use_causal_mask}
        # a graph replayed by load_model calls with no options: keep the ones its config restored
        options = {k: bool(self._call_options[k] if v is None and symbolic and not self._nodes else v)
                   for k, v in given.items()}
        previous = self._set_options(options, symbolic)
        if symbolic:
            if mask is not None:
                raise NotImplementedError(f"{type(self).__name__} '{self.name}': mask= on symbolic inputs; give the "
                                          "inputs Keras masks (Embedding(mask_zero=True) or Masking)")
            return Layer.__call__(self, list(inputs))
        try:
            return Layer.__call__(self, list(inputs), training=training,
                                  mask=None if mask is None else list(mask) + [None] * (len(inputs) - len(mask)))
        finally:
            self._call_options = previous

    def _validate(self, inputs, mask=None):
        name = type(self).__name__
        if not isinstance(inputs, (list, tuple)):
            raise ValueError(f"{name} '{self.name}' must be called on a list of inputs, [query, value] or "
                             f"[query, value, key], got {type(inputs).__name__}")
        if not 2 <= len(inputs) <= 3:
            raise ValueError(f"{name} '{self.name}' takes a list of 2 or 3 inputs ([query, value] or "
                             f"[query, value, key]), got {len(inputs)}")
        if mask is not None and (not isinstance(mask, (list, tuple)) or not 2 <= len(mask) <= 3):
            raise ValueError(f"{name} '{self.name}': mask must be a list [query_mask, value_mask], got {mask!r}")

    def build(self, input_shape):
        self._validate(input_shape)
        q, v = input_shape[0], input_shape[1]
        k = input_shape[2] if len(input_shape) > 2 else v
        if q[-1] != k[-1] and None not in (q[-1], k[-1]):
            raise ValueError(f"{type(self).__name__} '{self.name}': query and key must have the same last "
                             f"dimension, got query shape {tuple(q)} and key shape {tuple(k)}")
        if v[-2] != k[-2] and None not in (v[-2], k[-2]):
            raise ValueError(f"{type(self).__name__} '{self.name}': value and key must have the same number of "
                             f"steps, got value shape {tuple(v)} and key shape {tuple(k)}")
        self._build_scale(input_shape)

    def _check_shapes(self, q, v, k):
        name = f"{type(self).__name__} '{self.name}'"
        if q.ndim < 2 or q.ndim != k.ndim or k.ndim != v.ndim:
            raise ValueError(f"{name}: query, value and key must have the same rank (2 or more), got "
                             f"{tuple(q.shape)}, {tuple(v.shape)} and {tuple(k.shape)}")
        if q.shape[-1] != k.shape[-1]:
            raise ValueError(f"{name}: query and key must have the same last dimension, got query shape "
                             f"{tuple(q.shape)} and key shape {tuple(k.shape)}")
        if v.shape[-2] != k.shape[-2]:
            raise ValueError(f"{name}: value and key must have the same number of steps, got value shape "
                             f"{tuple(v.shape)} and key shape {tuple(k.shape)}")
        if self.scale is not None and self.scale.ndim == 1 and self.scale.shape[0] != q.shape[-1]:
            raise ValueError(f"{name}: built for {self.scale.shape[0]} features, got query shape {tuple(q.shape)}")

    def _build_scale(self, input_shape):
        self.scale = new_weight(self, "scale", (), "ones") if self.use_scale else None
        self.concat_score_weight = (new_weight(self, "concat_score_weight", (), "ones")
                                    if self.score_mode == "concat" else None)

    def _scores(self, q, k):
        if self.score_mode == "dot":
            s = q @ k.transpose(-2, -1)
            return s * self.scale if self.scale is not None else s
        z = q.unsqueeze(-2) + k.unsqueeze(-3)
        if self.scale is not None:
            z = self.scale * z
        return self.concat_score_weight * z.tanh().sum(dim=-1)

    def call(self, inputs, training=False, mask=None):
        q, v = inputs[0], inputs[1]
        k = inputs[2] if len(inputs) > 2 else v
        xp = q.xp
        self._check_shapes(q, v, k)
        qm = vm = None
        if mask is not None:
            qm, vm = mask[0], mask[1]
        s = self._scores(q, k)
        keep = None if vm is None else _bool(vm, xp)[..., None, :]
        if self._call_options["use_causal_mask"]:
            c = _causal(xp, s.shape[-2], s.shape[-1])
            keep = c if keep is None else keep & c
        if keep is not None:
            s = where(Tensor._make(xp.broadcast_to(keep, tuple(s.shape))), s, s - 1e9)
        weights = softmax(s, dim=-1)
        used = _dropout(weights, self.dropout, training=True) if training and self.dropout > 0 else weights
        out = used @ v
        if qm is not None:
            out = where(Tensor._make(_bool(qm, xp)[..., None]), out, 0.0)
        # Keras returns the weights after the dropout here (MultiHeadAttention: before it)
        return (out, used) if self._call_options["return_attention_scores"] else out

    def get_weights(self):
        return keras_shaped(self, super().get_weights())  # Keras's 0-d ``scale`` stays 0-d

    def compute_mask(self, inputs, mask=None):
        qm = mask[0] if isinstance(mask, (list, tuple)) and mask else None
        return [qm, None] if self._call_options["return_attention_scores"] else qm

    def compute_output_shape(self, input_shape):
        q, v = input_shape[0], input_shape[1]
        k = input_shape[2] if len(input_shape) > 2 else v
        out = tuple(q[:-1]) + (v[-1],)
        return [out, tuple(q[:-1]) + (k[-2],)] if self._call_options["return_attention_scores"] else out

    def get_config(self):
        config = {**super().get_config(), "use_scale": self.use_scale, "score_mode": self.score_mode,
                  "dropout": self.dropout, "seed": self.seed}
        return self._options_config(config)


class AdditiveAttention(Attention):
    """``AdditiveAttention(use_scale=True, dropout=0.0)``: Bahdanau attention,
    ``scores = sum(scale * tanh(query + key))`` with a learned (dim,) ``scale``."""

    def __init__(self, use_scale=True, dropout=0.0, **kwargs):
        super().__init__(use_scale=use_scale, dropout=dropout, **kwargs)

    def _build_scale(self, input_shape):
        dim = input_shape[0][-1]
        self.scale = new_weight(self, "scale", (dim,), "glorot_uniform") if self.use_scale else None
        self.concat_score_weight = None

    def _scores(self, q, k):
        z = (q.unsqueeze(-2) + k.unsqueeze(-3)).tanh()
        return (z * self.scale if self.scale is not None else z).sum(dim=-1)

    def get_config(self):
        config = super().get_config()
        del config["score_mode"]
        return config


__all__ = ["AdditiveAttention", "Attention", "MultiHeadAttention"]
