"""``Embedding``: a learned lookup table from integer ids to vectors (word vectors of seed 002)."""
from __future__ import annotations

from deepgrad.autograd import Function
from deepgrad.backend import get_array_module
from deepgrad.nn import init
from deepgrad.nn._util import empty_parameter
from deepgrad.nn.module import Module
from deepgrad.nn.parameter import Parameter
from deepgrad.ops.embedding import embedding
from deepgrad.tensor import Tensor


class Embedding(Module):
    """Rows of ``weight`` (num_embeddings, embedding_dim) picked by ids of any shape; N(0, 1)
    initialized, with the ``padding_idx`` row zero and never updated.  ``scale_grad_by_freq``
    divides each row's gradient by its id's count in the batch; ``sparse`` gives dense gradients."""

    def __init__(self, num_embeddings, embedding_dim, padding_idx=None, max_norm=None, norm_type=2.0,
                 scale_grad_by_freq=False, sparse=False, _weight=None, _freeze=False, device=None, dtype=None):
        super().__init__()
        self.num_embeddings = num_embeddings
        self.embedding_dim = embedding_dim
        if padding_idx is not None:
            if not -num_embeddings <= padding_idx < num_embeddings:
                raise ValueError(f"Embedding: padding_idx {padding_idx} must be within num_embeddings "
                                 f"({num_embeddings})")
            padding_idx %= num_embeddings
        self.padding_idx = padding_idx
        self.max_norm, self.norm_type = max_norm, norm_type
        self.scale_grad_by_freq, self.sparse = scale_grad_by_freq, sparse
        if _weight is None:
            self.weight = empty_parameter((num_embeddings, embedding_dim), device, dtype)
            self.reset_parameters()
        else:
            if tuple(_weight.shape) != (num_embeddings, embedding_dim):
                raise ValueError(f"Embedding: _weight has shape {tuple(_weight.shape)}, expected "
                                 f"({num_embeddings}, {embedding_dim})")
            self.weight = _weight if isinstance(_weight, Parameter) else Parameter(_weight)
        self.weight.requires_grad_(not _freeze)

    def reset_parameters(self):
        init.normal_(self.weight)
        if self.padding_idx is not None:
            self.weight.data[self.padding_idx] = 0

    def forward(self, input):  # noqa: A002
        w = self.weight
        if self.scale_grad_by_freq and w.requires_grad:
            w = _ScaleGradByFreq(input, w.shape[0])(w)
        return embedding(input, w, self.padding_idx, self.max_norm, self.norm_type)

    @classmethod
    def from_pretrained(cls, embeddings, freeze=True, padding_idx=None, max_norm=None, norm_type=2.0,
                        scale_grad_by_freq=False, sparse=False):
        """An Embedding whose table is a copy of the 2-D ``embeddings`` (frozen by default)."""
        if embeddings.ndim != 2:
            raise ValueError(f"Embedding.from_pretrained: embeddings must be 2-D, got shape {embeddings.shape}")
        data = embeddings.data.copy() if hasattr(embeddings, "data") else embeddings.copy()
        rows, cols = data.shape
        return cls(rows, cols, padding_idx, max_norm, norm_type, scale_grad_by_freq, sparse,
                   _weight=Parameter(data), _freeze=freeze)

    def extra_repr(self):
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx}"
        if self.max_norm is not None:
            s += f", max_norm={self.max_norm}"
        if self.norm_type != 2:
            s += f", norm_type={self.norm_type}"
        if self.scale_grad_by_freq:
            s += ", scale_grad_by_freq=True"
        if self.sparse:
            s += ", sparse=True"
        return s


class _ScaleGradByFreq(Function):
    """Identity on the table whose backward divides row i by how often id i occurs in ``ids``."""

    def __init__(self, ids, num):
        self.ids, self.num = ids, num

    def forward(self, w):
        return w

    def backward(self, gw):
        xp = get_array_module(gw.data)
        ids = self.ids.data if isinstance(self.ids, Tensor) else self.ids
        counts = xp.bincount(xp.asarray(ids).reshape(-1) % self.num, minlength=self.num)
        scale = (1.0 / xp.maximum(counts, 1)).astype(gw.dtype).reshape(-1, 1)
        return gw * Tensor._make(scale)


__all__ = ["Embedding"]
