"""``MultiheadAttention``, as ``torch.nn.MultiheadAttention`` (Vaswani et al., 2017).

Built from existing ops (linear, matmul, softmax), so it runs on the GPU and differentiates
unchanged.  Parameter names and initialization are PyTorch's: ``in_proj_weight`` (3E, E) packs
the query, key and value projections (xavier-uniform), ``in_proj_bias`` and ``out_proj.bias``
start at zero; with ``kdim``/``vdim`` different from ``embed_dim`` the three projections are
separate (``q_proj_weight``, ``k_proj_weight``, ``v_proj_weight``); ``add_bias_kv`` adds a learned
key and value (``bias_k``, ``bias_v``, (1, 1, E), xavier-normal) to every sequence and
``add_zero_attn`` a zero key and value.
"""
from __future__ import annotations

import math
import warnings

from deepgrad.autograd import is_grad_enabled
from deepgrad.nn import functional as F
from deepgrad.nn import init
from deepgrad.nn._compositions import _mask_bias, _safe_softmax
from deepgrad.nn._util import empty_parameter
from deepgrad.nn.linear import Linear
from deepgrad.nn.module import Module
from deepgrad.ops.linear import linear
from deepgrad.tensor import Tensor, as_tensor


class MultiheadAttentionError(ValueError, AssertionError):
    """Bad MultiheadAttention inputs: a ValueError, and the AssertionError PyTorch raises."""


class MaskShapeError(ValueError, RuntimeError):
    """An attn_mask of the wrong shape: a ValueError, and the RuntimeError PyTorch raises."""


class NonDynamicallyQuantizableLinear(Linear):
    """A Linear under the name PyTorch gives MultiheadAttention's output projection."""


def _float_mask(mask, name, like):
    """A bool (True = blocked) or float (added) mask as the float Tensor added to the scores."""
    if mask is None:
        return None
    mask = mask if isinstance(mask, Tensor) else as_tensor(mask, like=like)
    if mask.dtype.kind not in ("b", "f"):
        raise MultiheadAttentionError(f"MultiheadAttention: only bool and floating types of {name} are supported, "
                                      f"got {mask.dtype}")
    return _mask_bias(mask, like, keep_where_true=False)


def _pad_last(mask, xp):
    """``mask`` with one more 0 (attend) at the end of its last dim."""
    zero = Tensor._make(xp.zeros(tuple(mask.shape[:-1]) + (1,), dtype=mask.dtype))
    return F.cat([mask, zero], -1)


class MultiheadAttention(Module):
    """Attention with ``num_heads`` heads of size embed_dim / num_heads.

    ``forward(query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
    average_attn_weights=True, is_causal=False)`` returns ``(output, weights)``; inputs are
    (L, N, E) (``batch_first``: (N, L, E)) or unbatched (L, E).  Boolean masks are True where
    attention is NOT allowed; float masks are added to the scores.  As PyTorch, ``is_causal`` is a
    hint that ``attn_mask`` is the causal mask: without ``key_padding_mask`` and ``need_weights``
    the causal mask is used in its place."""

    def __init__(self, embed_dim, num_heads, dropout=0.0, bias=True, add_bias_kv=False, add_zero_attn=False,
                 kdim=None, vdim=None, batch_first=False, device=None, dtype=None):
        super().__init__()
        if embed_dim <= 0 or num_heads <= 0:
            raise ValueError(f"MultiheadAttention: embed_dim and num_heads must be greater than 0, got "
                             f"embed_dim={embed_dim} and num_heads={num_heads} instead")
        if embed_dim % num_heads:
            raise MultiheadAttentionError(f"MultiheadAttention: embed_dim must be divisible by num_heads, got "
                                          f"embed_dim={embed_dim} and num_heads={num_heads}")
        self.embed_dim, self.num_heads, self.dropout = embed_dim, num_heads, dropout
        self.kdim = kdim if kdim is not None else embed_dim
        self.vdim = vdim if vdim is not None else embed_dim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.head_dim = embed_dim // num_heads
        self.batch_first = batch_first
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
        if add_bias_kv:
            self.bias_k = empty_parameter((1, 1, embed_dim), device, dtype)
            self.bias_v = empty_parameter((1, 1, embed_dim), device, dtype)
        else:
            self.bias_k = self.bias_v = None
        self.add_zero_attn = add_zero_attn
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
        if self.bias_k is not None:
            init.xavier_normal_(self.bias_k)
            init.xavier_normal_(self.bias_v)

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

    def _check(self, query, key, value, key_padding_mask, attn_mask):
        name, err = "MultiheadAttention", MultiheadAttentionError
        if query.ndim not in (2, 3):
            raise err(f"{name}: query should be unbatched 2D or batched 3D tensor but received {query.ndim}-D query "
                      f"tensor (shape {query.shape})")
        kind = "batched (3-D)" if query.ndim == 3 else "unbatched (2-D)"
        if key.ndim != query.ndim or value.ndim != query.ndim:
            raise err(f"{name}: for {kind} `query`, expected `key` and `value` to be {query.ndim}-D but found "
                      f"shapes {key.shape} and {value.shape}")
        for label, t, want in (("query", query, self.embed_dim), ("key", key, self.kdim), ("value", value, self.vdim)):
            if t.shape[-1] != want:
                raise err(f"{name}: expected {label} with {want} features in the last dim, got shape {t.shape}")
        if key.shape[:-1] != value.shape[:-1]:
            raise err(f"{name}: key shape {key.shape} does not match value shape {value.shape}")
        b = 0 if self.batch_first else 1
        if query.ndim == 3 and query.shape[b] != key.shape[b]:
            raise err(f"{name}: query {query.shape} and key {key.shape} have different batch sizes")
        if key_padding_mask is not None and key_padding_mask.ndim != query.ndim - 1:
            raise err(f"{name}: for {kind} `query`, expected `key_padding_mask` to be `None` or "
                      f"{query.ndim - 1}-D but found shape {tuple(key_padding_mask.shape)}")
        if attn_mask is not None and attn_mask.ndim not in (2, 3):
            raise err(f"{name}: for {kind} `query`, expected `attn_mask` to be `None`, 2-D or 3-D but found shape "
                      f"{tuple(attn_mask.shape)}")

    def _torch_fast_path(self, query, key, value, key_padding_mask, attn_mask):
        """Whether PyTorch would run this call on its fused inference kernel (eval, no gradients,
        batched self-attention with ``batch_first``, ...): that kernel ignores ``is_causal`` and gives
        NaN for a query that may attend to nothing, with or without ``need_weights``."""
        masks = [m for m in (key_padding_mask, attn_mask) if m is not None]
        if (self.training or query.ndim != 3 or not (query is key is value) or not self.batch_first
                or self.num_heads % 2 or self.in_proj_weight is None or self.in_proj_bias is None
                or self.bias_k is not None or self.add_zero_attn
                or any(getattr(m, "dtype", None) is None or m.dtype.kind == "f" for m in masks)):
            return False
        args = (query, self.in_proj_weight, self.in_proj_bias, self.out_proj.weight, self.out_proj.bias)
        return not (is_grad_enabled() and any(t.requires_grad for t in args))

    def forward(self, query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
                average_attn_weights=True, is_causal=False):
        self._check(query, key, value, key_padding_mask, attn_mask)
        fast = self._torch_fast_path(query, key, value, key_padding_mask, attn_mask)
        return self._attend(query, key, value, key_padding_mask, need_weights, attn_mask, average_attn_weights,
                            is_causal and not fast, fast)

    def _attend(self, query, key, value, key_padding_mask, need_weights, attn_mask, average_attn_weights, is_causal,
                fast):
        """The attention itself; ``fast``: as PyTorch's fused inference kernel (NaN where nothing may be
        attended)."""
        if is_causal and attn_mask is None:
            raise RuntimeError("MultiheadAttention: Need attn_mask if specifying the is_causal hint. You may use the "
                               "Transformer module method `generate_square_subsequent_mask` to create this mask.")
        if (key_padding_mask is not None and attn_mask is not None and isinstance(key_padding_mask, Tensor)
                and isinstance(attn_mask, Tensor) and key_padding_mask.dtype != attn_mask.dtype):
            warnings.warn("Support for mismatched key_padding_mask and attn_mask is deprecated. Use same type for "
                          "both instead.", stacklevel=2)
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
        xp = query.xp
        pad = _float_mask(key_padding_mask, "key_padding_mask", query)
        if pad is not None and tuple(pad.shape) != (bsz, src_len):
            raise MultiheadAttentionError(f"MultiheadAttention: expected key_padding_mask of shape {(bsz, src_len)}, "
                                          f"got {tuple(pad.shape)}")
        # as PyTorch: the causal hint replaces attn_mask when nothing else needs the mask itself
        causal = is_causal and pad is None and not need_weights
        mask = None if causal else _float_mask(attn_mask, "attn_mask", query)
        if mask is not None:
            want = (tgt_len, src_len) if mask.ndim == 2 else (bsz * h, tgt_len, src_len)
            if tuple(mask.shape) != want:
                raise MaskShapeError(f"MultiheadAttention: the shape of the {mask.ndim}D attn_mask is "
                                     f"{tuple(mask.shape)}, but should be {want}")
        q, k, v = self._project(query, key, value)
        if self.bias_k is not None:  # one learned key and value more for every sequence
            k = F.cat([k, F.expand(self.bias_k, 1, bsz, e)], 0)
            v = F.cat([v, F.expand(self.bias_v, 1, bsz, e)], 0)
            mask = _pad_last(mask, xp) if mask is not None else None
            pad = _pad_last(pad, xp) if pad is not None else None
        # (L, N, E) -> (N * heads, L, head_dim), as PyTorch lays the heads out
        q = F.transpose(q.reshape(tgt_len, bsz * h, hd), 0, 1)
        k = F.transpose(k.reshape(k.shape[0], bsz * h, hd), 0, 1)
        v = F.transpose(v.reshape(v.shape[0], bsz * h, hd), 0, 1)
        if self.add_zero_attn:  # and one zero key and value
            zeros = Tensor._make(xp.zeros((bsz * h, 1, hd), dtype=k.dtype))
            k, v = F.cat([k, zeros], 1), F.cat([v, zeros], 1)
            mask = _pad_last(mask, xp) if mask is not None else None
            pad = _pad_last(pad, xp) if pad is not None else None
        src_len = k.shape[1]
        scores = F.matmul(q * (1.0 / math.sqrt(hd)), F.transpose(k, -2, -1))  # (N * heads, L, S)
        if causal:  # scaled_dot_product_attention's is_causal: key j > query i is blocked
            blocked = xp.triu(xp.ones((tgt_len, src_len), dtype=bool), 1)
            mask = _mask_bias(Tensor._make(blocked), scores, keep_where_true=False)
        if mask is not None:
            scores = scores + mask
        if pad is not None:
            scores = (scores.reshape(bsz, h, tgt_len, src_len) + pad.reshape(bsz, 1, 1, src_len)).reshape(
                bsz * h, tgt_len, src_len)
        # as PyTorch: a query that may attend to nothing gives NaN weights, or 0 without need_weights
        weights = _safe_softmax(scores) if not (need_weights or fast) else F.softmax(scores, -1)
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
