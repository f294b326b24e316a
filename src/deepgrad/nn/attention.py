"""``MultiheadAttention``, as ``torch.nn.MultiheadAttention`` (Vaswani et al., 2017).

Built from existing ops (linear, matmul, softmax), so it runs on the GPU and differentiates
unchanged.  Parameter names and initialization are PyTorch's: ``in_proj_weight`` (3E, E) packs
the query, key and value projections (xavier-uniform), ``in_proj_bias`` and ``out_proj.bias``
start at zero; with ``kdim``/``vdim`` different from ``embed_dim`` the three projections are
separate (``q_proj_weight``, ``k_proj_weight``, ``v_proj_weight``).
"""
from __future__ import annotations

import math

from deepgrad.nn import functional as F
from deepgrad.nn import init
from deepgrad.nn._compositions import _mask_bias, _safe_softmax
from deepgrad.nn._util import empty_parameter
from deepgrad.nn.linear import Linear
from deepgrad.nn.module import Module
from deepgrad.ops.linear import linear


class NonDynamicallyQuantizableLinear(Linear):
    """A Linear under the name PyTorch gives MultiheadAttention's output projection."""


class MultiheadAttention(Module):
    """Attention with ``num_heads`` heads of size embed_dim / num_heads.

    ``forward(query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
    average_attn_weights=True, is_causal=False)`` returns ``(output, weights)``; inputs are
    (L, N, E) (``batch_first``: (N, L, E)) or unbatched (L, E).  Boolean masks are True where
    attention is NOT allowed; float masks are added to the scores."""

    def __init__(self, embed_dim, num_heads, dropout=0.0, bias=True, add_bias_kv=False, add_zero_attn=False,
                 kdim=None, vdim=None, batch_first=False, device=None, dtype=None):
        super().__init__()
        if embed_dim <= 0 or num_heads <= 0:
            raise ValueError(f"MultiheadAttention: embed_dim and num_heads must be greater than 0, got "
                             f"embed_dim={embed_dim} and num_heads={num_heads} instead")
        if embed_dim % num_heads:
            raise ValueError(f"MultiheadAttention: embed_dim must be divisible by num_heads, got embed_dim="
                             f"{embed_dim} and num_heads={num_heads}")
        if add_bias_kv or add_zero_attn:
            raise NotImplementedError("MultiheadAttention: add_bias_kv and add_zero_attn are not supported")
        self.embed_dim, self.num_heads, self.dropout = embed_dim, num_heads, dropout
        self.kdim = kdim if kdim is not None else embed_dim
        self.vdim = vdim if vdim is not None else embed_dim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.head_dim = embed_dim // num_heads
        self.batch_first = batch_first
        self.add_zero_attn = add_zero_attn
        self.bias_k = self.bias_v = None
        if self._qkv_same_embed_dim:
            self.in_proj_weight = empty_parameter((3 * embed_dim, embed_dim), device, dtype)
            for name in ("q_proj_weight", "k_proj_weight", "v_proj_weight"):
                self.register_parameter(name, None)
        else:
            self.q_proj_weight = empty_parameter((embed_dim, embed_dim), device, dtype)
            self.k_proj_weight = empty_parameter((embed_dim, self.kdim), device, dtype)
            self.v_proj_weight = empty_parameter((embed_dim, self.vdim), device, dtype)
            self.register_parameter("in_proj_weight", None)
        if bias:
            self.in_proj_bias = empty_parameter((3 * embed_dim,), device, dtype)
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = NonDynamicallyQuantizableLinear(embed_dim, embed_dim, bias=bias, device=device, dtype=dtype)
        self._reset_parameters()

    def _reset_parameters(self):
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight)
        else:
            init.xavier_uniform_(self.q_proj_weight)
            init.xavier_uniform_(self.k_proj_weight)
            init.xavier_uniform_(self.v_proj_weight)
        if self.in_proj_bias is not None:
            init.constant_(self.in_proj_bias, 0.0)
            init.constant_(self.out_proj.bias, 0.0)

    def _project(self, query, key, value):
        e = self.embed_dim
        b = self.in_proj_bias
        bq, bk, bv = (None, None, None) if b is None else (b[:e], b[e:2 * e], b[2 * e:])
        if self._qkv_same_embed_dim:
            w = self.in_proj_weight
            wq, wk, wv = w[:e], w[e:2 * e], w[2 * e:]
        else:
            wq, wk, wv = self.q_proj_weight, self.k_proj_weight, self.v_proj_weight
        return linear(query, wq, bq), linear(key, wk, bk), linear(value, wv, bv)

    def _check(self, query, key, value):
        name = "MultiheadAttention"
        if query.ndim not in (2, 3) or key.ndim != query.ndim or value.ndim != query.ndim:
            raise ValueError(f"{name}: query, key and value must all be 3-D (batched) or 2-D (unbatched), got shapes "
                             f"{query.shape}, {key.shape} and {value.shape}")
        for label, t, want in (("query", query, self.embed_dim), ("key", key, self.kdim), ("value", value, self.vdim)):
            if t.shape[-1] != want:
                raise ValueError(f"{name}: expected {label} with {want} features in the last dim, got shape {t.shape}")
        if key.shape[:-1] != value.shape[:-1]:
            raise ValueError(f"{name}: key shape {key.shape} does not match value shape {value.shape}")

    def forward(self, query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
                average_attn_weights=True, is_causal=False):
        self._check(query, key, value)
        if is_causal and attn_mask is None:
            raise RuntimeError("MultiheadAttention: Need attn_mask if specifying the is_causal hint (pass the causal "
                               "mask itself as attn_mask)")
        batched = query.ndim == 3
        if not batched:  # one sequence: a batch of 1 in the middle
            query, key, value = (F.unsqueeze(t, 1) for t in (query, key, value))
            if key_padding_mask is not None:
                key_padding_mask = F.unsqueeze(key_padding_mask, 0)
        elif self.batch_first:
            query, key, value = (F.transpose(t, 0, 1) for t in (query, key, value))
        tgt_len, bsz, e = query.shape
        src_len = key.shape[0]
        h, hd = self.num_heads, self.head_dim
        q, k, v = self._project(query, key, value)
        # (L, N, E) -> (N * heads, L, head_dim), as PyTorch lays the heads out
        q = F.transpose(q.reshape(tgt_len, bsz * h, hd), 0, 1)
        k = F.transpose(k.reshape(src_len, bsz * h, hd), 0, 1)
        v = F.transpose(v.reshape(src_len, bsz * h, hd), 0, 1)
        scores = F.matmul(q * (1.0 / math.sqrt(hd)), F.transpose(k, -2, -1))  # (N * heads, L, S)
        if attn_mask is not None:
            if attn_mask.ndim == 2 and tuple(attn_mask.shape) != (tgt_len, src_len):
                raise ValueError(f"MultiheadAttention: the shape of the 2D attn_mask is {tuple(attn_mask.shape)}, "
                                 f"but should be {(tgt_len, src_len)}")
            if attn_mask.ndim == 3 and tuple(attn_mask.shape) != (bsz * h, tgt_len, src_len):
                raise ValueError(f"MultiheadAttention: the shape of the 3D attn_mask is {tuple(attn_mask.shape)}, "
                                 f"but should be {(bsz * h, tgt_len, src_len)}")
            if attn_mask.ndim not in (2, 3):
                raise ValueError(f"MultiheadAttention: attn_mask must be 2-D or 3-D, got shape {attn_mask.shape}")
            scores = scores + _mask_bias(attn_mask, scores, keep_where_true=False)
        if key_padding_mask is not None:
            if tuple(key_padding_mask.shape) != (bsz, src_len):
                raise ValueError(f"MultiheadAttention: expected key_padding_mask of shape {(bsz, src_len)}, got "
                                 f"{tuple(key_padding_mask.shape)}")
            pad = _mask_bias(key_padding_mask, scores, keep_where_true=False).reshape(bsz, 1, 1, src_len)
            scores = (scores.reshape(bsz, h, tgt_len, src_len) + pad).reshape(bsz * h, tgt_len, src_len)
        # as PyTorch: a query that may attend to nothing gives NaN weights, or 0 without need_weights
        weights = _safe_softmax(scores) if not need_weights else F.softmax(scores, -1)
        if self.dropout > 0.0 and self.training:
            weights = F.dropout(weights, self.dropout, True)
        out = F.matmul(weights, v)  # (N * heads, L, head_dim)
        out = F.transpose(out, 0, 1).reshape(tgt_len * bsz, e)
        out = self.out_proj(out).reshape(tgt_len, bsz, e)
        if not batched:
            out = out[:, 0]
        elif self.batch_first:
            out = F.transpose(out, 0, 1)
        if not need_weights:
            return out, None
        weights = weights.reshape(bsz, h, tgt_len, src_len)
        if average_attn_weights:
            weights = F.mean(weights, 1)
        if not batched:
            weights = weights[0]
        return out, weights


__all__ = ["MultiheadAttention"]
