"""The Transformer (Vaswani et al., 2017) as ``torch.nn``: ``TransformerEncoderLayer`` /
``TransformerDecoderLayer`` (post-norm by default, ``norm_first`` for pre-norm), their stacks
``TransformerEncoder`` / ``TransformerDecoder``, and the full encoder-decoder ``Transformer``, built
from ``MultiheadAttention``, ``Linear``, ``Dropout`` and ``LayerNorm`` with PyTorch's parameter names.

As PyTorch, ``is_causal`` is a hint that the mask given is the causal one (``None``: detected
from the mask), and an encoder in eval mode without gradients, on a right-padded batch with
``src_key_padding_mask`` (``batch_first``, ``enable_nested_tensor``), returns zeros at the padded
positions (PyTorch runs such a batch as a nested tensor)."""
from __future__ import annotations

import copy
import warnings

from deepgrad.autograd import is_grad_enabled
from deepgrad.factories import full
from deepgrad.nn import functional as F
from deepgrad.nn import init
from deepgrad.nn._compositions import _mask_bias
from deepgrad.nn.activation import GELU, ReLU
from deepgrad.nn.attention import MultiheadAttention
from deepgrad.nn.container import ModuleList
from deepgrad.nn.dropout import Dropout
from deepgrad.nn.linear import Linear
from deepgrad.nn.module import Module
from deepgrad.nn.normalization import LayerNorm
from deepgrad.tensor import Tensor, as_tensor


def _activation(name, activation):
    if isinstance(activation, str):
        if activation not in ("relu", "gelu"):
            raise RuntimeError(f"{name}: activation should be relu/gelu, not {activation}")
        return F.relu if activation == "relu" else F.gelu
    if not callable(activation):
        raise TypeError(f"{name}: activation must be 'relu', 'gelu' or a callable, got {type(activation).__name__}")
    return activation


def _generate_square_subsequent_mask(sz, device=None, dtype=None):
    """(sz, sz) float mask: -inf above the diagonal (a position may not attend to later ones), 0 elsewhere."""
    return F.triu(full((sz, sz), float("-inf"), dtype=dtype, device=device), 1)


def _detect_is_causal_mask(mask, is_causal=None, size=None):
    """``is_causal`` if given, else whether ``mask`` is the float causal mask of ``size`` (as PyTorch)."""
    if is_causal is not None or mask is None:
        return is_causal is True
    if not isinstance(mask, Tensor) or mask.dtype.kind != "f":
        return False
    sz = size if size is not None else mask.shape[-2]
    if tuple(mask.shape) != (sz, sz):
        return False
    xp = mask.xp
    return bool((mask.data == xp.triu(xp.full((sz, sz), -xp.inf, dtype=mask.dtype), 1)).all())


def _seq_len(src, batch_first):
    return src.shape[0] if src.ndim == 2 else src.shape[1 if batch_first else 0]


def _check_mask_dtype(mask, name):
    if mask is not None and isinstance(mask, Tensor) and mask.dtype.kind not in ("b", "f"):
        raise AssertionError(f"only bool and floating types of {name} are supported, got {mask.dtype}")


def _canonical_mask(mask, name, like):
    """A bool mask (True = blocked) as the float mask PyTorch's encoder turns it into (-inf where blocked)."""
    if mask is not None and not isinstance(mask, Tensor):
        mask = as_tensor(mask, like=like)
    _check_mask_dtype(mask, name)
    if isinstance(mask, Tensor) and mask.dtype.kind == "b":
        return _mask_bias(mask, like, keep_where_true=False)
    return mask


class _FeedForward(Module):
    """Shared pieces of the encoder and decoder layers: the feed-forward block and the options."""

    def _init_layer(self, blocks, d_model, nhead, dim_feedforward, dropout, activation, layer_norm_eps, batch_first,
                    norm_first, bias, device, dtype):
        """Register, in PyTorch's order, self_attn (and multihead_attn for 3 ``blocks``), the feed-forward
        block, then norm1..norm<blocks> and dropout1..dropout<blocks>."""
        attn = dict(dropout=dropout, bias=bias, batch_first=batch_first, device=device, dtype=dtype)
        self.self_attn = MultiheadAttention(d_model, nhead, **attn)
        if blocks == 3:
            self.multihead_attn = MultiheadAttention(d_model, nhead, **attn)
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, device=device, dtype=dtype)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, device=device, dtype=dtype)
        self.norm_first = norm_first
        self.batch_first = batch_first
        norm = dict(eps=layer_norm_eps, bias=bias, device=device, dtype=dtype)
        for i in range(1, blocks + 1):
            setattr(self, f"norm{i}", LayerNorm(d_model, **norm))
        for i in range(1, blocks + 1):
            setattr(self, f"dropout{i}", Dropout(dropout))
        self.activation = _activation(type(self).__name__, activation)

    def _ff_block(self, x):
        return self.dropout_ff(self.linear2(self.dropout(self.activation(self.linear1(x)))))

    def _sa_block(self, x, attn_mask, key_padding_mask, is_causal=False, fast=False):
        if fast:  # PyTorch's fused encoder-layer kernel: no hooks, NaN where nothing may be attended
            x = self.self_attn._attend(x, x, x, key_padding_mask, False, attn_mask, True, False, True)[0]
        else:
            x = self.self_attn(x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask, need_weights=False,
                               is_causal=is_causal)[0]
        return self.dropout1(x)


class TransformerEncoderLayer(_FeedForward):
    """Self-attention then a feed-forward network, each with a residual connection and LayerNorm."""

    def __init__(self, d_model, nhead, dim_feedforward=2048, dropout=0.1, activation=F.relu, layer_norm_eps=1e-5,
                 batch_first=False, norm_first=False, bias=True, device=None, dtype=None):
        super().__init__()
        self._init_layer(2, d_model, nhead, dim_feedforward, dropout, activation, layer_norm_eps, batch_first,
                         norm_first, bias, device, dtype)
        act = self.activation
        self.activation_relu_or_gelu = (1 if act is F.relu or isinstance(act, ReLU) else
                                        2 if act is F.gelu or isinstance(act, GELU) else 0)

    @property
    def dropout_ff(self):
        return self.dropout2

    def _torch_fast_path(self, src):
        """Whether PyTorch would run this call on its fused inference kernel (eval, no gradients, batched,
        ``batch_first``, relu/gelu, no hooks, ...)."""
        attn = self.self_attn
        if (self.training or src.ndim != 3 or not attn.batch_first or attn.in_proj_bias is None
                or not attn._qkv_same_embed_dim or not self.activation_relu_or_gelu or self.norm1.eps != self.norm2.eps
                or attn.num_heads % 2 or any(m._forward_hooks or m._forward_pre_hooks for m in self.modules())):
            return False
        args = [src, attn.in_proj_weight, attn.in_proj_bias, attn.out_proj.weight, attn.out_proj.bias,
                self.norm1.weight, self.norm1.bias, self.norm2.weight, self.norm2.bias, self.linear1.weight,
                self.linear1.bias, self.linear2.weight, self.linear2.bias]
        return not (is_grad_enabled() and any(t is not None and t.requires_grad for t in args))

    def forward(self, src, src_mask=None, src_key_padding_mask=None, is_causal=False):
        src_key_padding_mask = _canonical_mask(src_key_padding_mask, "src_key_padding_mask", src)
        src_mask = _canonical_mask(src_mask, "src_mask", src)
        fast = self._torch_fast_path(src)
        x = src
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), src_mask, src_key_padding_mask, is_causal, fast)
            return x + self._ff_block(self.norm2(x))
        x = self.norm1(x + self._sa_block(x, src_mask, src_key_padding_mask, is_causal, fast))
        return self.norm2(x + self._ff_block(x))


class TransformerDecoderLayer(_FeedForward):
    """Self-attention, attention over the encoder's ``memory``, then a feed-forward network."""

    def __init__(self, d_model, nhead, dim_feedforward=2048, dropout=0.1, activation=F.relu, layer_norm_eps=1e-5,
                 batch_first=False, norm_first=False, bias=True, device=None, dtype=None):
        super().__init__()
        self._init_layer(3, d_model, nhead, dim_feedforward, dropout, activation, layer_norm_eps, batch_first,
                         norm_first, bias, device, dtype)

    @property
    def dropout_ff(self):
        return self.dropout3

    def _mha_block(self, x, mem, attn_mask, key_padding_mask, is_causal=False):
        x = self.multihead_attn(x, mem, mem, attn_mask=attn_mask, key_padding_mask=key_padding_mask,
                                is_causal=is_causal, need_weights=False)[0]
        return self.dropout2(x)

    def forward(self, tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, tgt_is_causal=False, memory_is_causal=False):
        x = tgt
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), tgt_mask, tgt_key_padding_mask, tgt_is_causal)
            x = x + self._mha_block(self.norm2(x), memory, memory_mask, memory_key_padding_mask, memory_is_causal)
            return x + self._ff_block(self.norm3(x))
        x = self.norm1(x + self._sa_block(x, tgt_mask, tgt_key_padding_mask, tgt_is_causal))
        x = self.norm2(x + self._mha_block(x, memory, memory_mask, memory_key_padding_mask, memory_is_causal))
        return self.norm3(x + self._ff_block(x))


def _why_not_nested(layer):
    """Why PyTorch would not run an encoder of copies of ``layer`` on nested tensors ('' if it would)."""
    if not isinstance(layer, TransformerEncoderLayer):
        return "encoder_layer was not TransformerEncoderLayer"
    attn = layer.self_attn
    for reason, bad in (("encoder_layer.norm_first was True", layer.norm_first),
                        ("encoder_layer.self_attn.batch_first was not True(use batch_first for better inference "
                         "performance)", not attn.batch_first),
                        ("encoder_layer.self_attn._qkv_same_embed_dim was not True", not attn._qkv_same_embed_dim),
                        ("encoder_layer.self_attn was passed bias=False", attn.in_proj_bias is None),
                        ("encoder_layer.activation_relu_or_gelu was not True", not layer.activation_relu_or_gelu),
                        ("encoder_layer.norm1.eps was not equal to encoder_layer.norm2.eps",
                         layer.norm1.eps != layer.norm2.eps),
                        ("encoder_layer.self_attn.num_heads is odd", attn.num_heads % 2 == 1)):
        if bad:
            return reason
    return ""


class TransformerEncoder(Module):
    """``num_layers`` copies of ``encoder_layer`` (deep copies, as PyTorch), then ``norm`` if given."""

    def __init__(self, encoder_layer, num_layers, norm=None, enable_nested_tensor=True, mask_check=True):
        super().__init__()
        self.layers = ModuleList([copy.deepcopy(encoder_layer) for _ in range(num_layers)])
        self.num_layers = num_layers
        self.norm = norm
        self.enable_nested_tensor = enable_nested_tensor
        self.use_nested_tensor = enable_nested_tensor
        self.mask_check = mask_check
        why_not = _why_not_nested(encoder_layer)
        if enable_nested_tensor and why_not:
            warnings.warn(f"enable_nested_tensor is True, but self.use_nested_tensor is False because {why_not}",
                          stacklevel=2)
            self.use_nested_tensor = False

    def _zeros_padding(self, src, mask, src_key_padding_mask):
        """The keep-mask (N, S, 1), False where PyTorch's nested-tensor path gives zeros, or None."""
        first = self.layers[0] if len(self.layers) else None
        if (first is None or not self.use_nested_tensor or first.training or src.ndim != 3
                or src_key_padding_mask is None or mask is not None or not isinstance(src_key_padding_mask, Tensor)):
            return None
        attn = first.self_attn
        args = [src, attn.in_proj_weight, attn.in_proj_bias, attn.out_proj.weight, attn.out_proj.bias,
                first.norm1.weight, first.norm1.bias, first.norm2.weight, first.norm2.bias, first.linear1.weight,
                first.linear1.bias, first.linear2.weight, first.linear2.bias]
        if is_grad_enabled() and any(t is not None and t.requires_grad for t in args):
            return None
        xp = src.xp
        padded = xp.asarray(src_key_padding_mask.data) != 0  # float masks: nonzero = padded
        if tuple(padded.shape) != (src.shape[0], src.shape[1]):
            return None
        if self.mask_check and bool((padded[:, :-1] & ~padded[:, 1:]).any()):
            return None  # not right-padded: PyTorch takes the ordinary path
        return Tensor._make((~padded)[..., None])

    def forward(self, src, mask=None, src_key_padding_mask=None, is_causal=None):
        _check_mask_dtype(src_key_padding_mask, "src_key_padding_mask")
        _check_mask_dtype(mask, "mask")
        keep = self._zeros_padding(src, mask, src_key_padding_mask)
        src_key_padding_mask = _canonical_mask(src_key_padding_mask, "src_key_padding_mask", src)
        mask = _canonical_mask(mask, "mask", src)
        batch_first = self.layers[0].self_attn.batch_first if len(self.layers) else False
        is_causal = _detect_is_causal_mask(mask, is_causal, _seq_len(src, batch_first))
        out = src
        for layer in self.layers:
            out = layer(out, src_mask=mask, is_causal=is_causal, src_key_padding_mask=src_key_padding_mask)
        if keep is not None:
            out = F.where(keep, out, 0.0)
        return self.norm(out) if self.norm is not None else out


class TransformerDecoder(Module):
    """``num_layers`` copies of ``decoder_layer``, then ``norm`` if given."""

    def __init__(self, decoder_layer, num_layers, norm=None):
        super().__init__()
        self.layers = ModuleList([copy.deepcopy(decoder_layer) for _ in range(num_layers)])
        self.num_layers = num_layers
        self.norm = norm

    def forward(self, tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, tgt_is_causal=None, memory_is_causal=False):
        batch_first = self.layers[0].self_attn.batch_first if len(self.layers) else False
        tgt_is_causal = _detect_is_causal_mask(tgt_mask, tgt_is_causal, _seq_len(tgt, batch_first))
        out = tgt
        for layer in self.layers:
            out = layer(out, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                        tgt_key_padding_mask=tgt_key_padding_mask, memory_key_padding_mask=memory_key_padding_mask,
                        tgt_is_causal=tgt_is_causal, memory_is_causal=memory_is_causal)
        return self.norm(out) if self.norm is not None else out


class Transformer(Module):
    """The encoder-decoder model: ``forward(src, tgt, ...)`` encodes ``src`` and decodes ``tgt`` against it.

    ``encoder`` / ``decoder`` are a TransformerEncoder / TransformerDecoder of ``num_encoder_layers`` /
    ``num_decoder_layers`` layers with a final LayerNorm (or ``custom_encoder`` / ``custom_decoder``);
    every parameter with more than one dim is re-initialized xavier-uniform, as PyTorch."""

    def __init__(self, d_model=512, nhead=8, num_encoder_layers=6, num_decoder_layers=6, dim_feedforward=2048,
                 dropout=0.1, activation=F.relu, custom_encoder=None, custom_decoder=None, layer_norm_eps=1e-5,
                 batch_first=False, norm_first=False, bias=True, device=None, dtype=None):
        super().__init__()
        layer = (d_model, nhead, dim_feedforward, dropout, activation, layer_norm_eps, batch_first, norm_first, bias)
        norm = dict(eps=layer_norm_eps, bias=bias, device=device, dtype=dtype)
        if custom_encoder is not None:
            self.encoder = custom_encoder
        else:
            self.encoder = TransformerEncoder(TransformerEncoderLayer(*layer, device=device, dtype=dtype),
                                              num_encoder_layers, LayerNorm(d_model, **norm))
        if custom_decoder is not None:
            self.decoder = custom_decoder
        else:
            self.decoder = TransformerDecoder(TransformerDecoderLayer(*layer, device=device, dtype=dtype),
                                              num_decoder_layers, LayerNorm(d_model, **norm))
        self._reset_parameters()
        self.d_model = d_model
        self.nhead = nhead
        self.batch_first = batch_first

    def forward(self, src, tgt, src_mask=None, tgt_mask=None, memory_mask=None, src_key_padding_mask=None,
                tgt_key_padding_mask=None, memory_key_padding_mask=None, src_is_causal=None, tgt_is_causal=None,
                memory_is_causal=False):
        batched = src.ndim == 3
        b = 0 if self.batch_first else 1
        if batched and (tgt.ndim != 3 or src.shape[b] != tgt.shape[b]):
            raise RuntimeError(f"Transformer: the batch number of src and tgt must be equal, got src {src.shape} and "
                               f"tgt {tgt.shape} (batch_first={self.batch_first})")
        if src.shape[-1] != self.d_model or tgt.shape[-1] != self.d_model:
            raise RuntimeError(f"Transformer: the feature number of src and tgt must be equal to d_model "
                               f"({self.d_model}), got src {src.shape} and tgt {tgt.shape}")
        memory = self.encoder(src, mask=src_mask, src_key_padding_mask=src_key_padding_mask, is_causal=src_is_causal)
        return self.decoder(tgt, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                            tgt_key_padding_mask=tgt_key_padding_mask,
                            memory_key_padding_mask=memory_key_padding_mask, tgt_is_causal=tgt_is_causal,
                            memory_is_causal=memory_is_causal)

    @staticmethod
    def generate_square_subsequent_mask(sz, device=None, dtype=None):
        """(sz, sz) float mask with -inf above the diagonal and 0 elsewhere (the causal ``tgt_mask``)."""
        return _generate_square_subsequent_mask(sz, device=device, dtype=dtype)

    def _reset_parameters(self):
        for p in self.parameters():
            if p.ndim > 1:
                init.xavier_uniform_(p)


__all__ = ["Transformer", "TransformerEncoderLayer", "TransformerDecoderLayer", "TransformerEncoder",
           "TransformerDecoder"]
