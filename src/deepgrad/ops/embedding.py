"""``embedding``: rows of a weight matrix picked by integer ids (a lookup table).

The gradient of the table adds up the output gradients of every position that used a row,
so an id repeated in a batch receives the sum of its gradients; ``padding_idx`` gets none.
"""
from __future__ import annotations

import numpy as np

from deepgrad.autograd import Function
from deepgrad.errors import op_error
from deepgrad.ops.device import array_on
from deepgrad.tensor import Tensor


class Embedding(Function):
    """weight[indices] for an integer array ``indices`` of any shape."""

    def __init__(self, indices, padding_idx=None, scale_grad_by_freq=False):
        self.indices = indices
        self.padding_idx = padding_idx
        self.scale_grad_by_freq = scale_grad_by_freq

    def forward(self, w):
        xp = _xp(w)
        return xp.take(w, self.indices, axis=0)

    def backward(self, gy):
        return EmbeddingGrad(self.indices, self.inputs[0].shape[0], self.padding_idx, self.scale_grad_by_freq)(gy)


class EmbeddingGrad(Function):
    """Scatter-add of gy (shape indices.shape + (D,)) into a (num_embeddings, D) table, each row then
    scaled: 0 for ``padding_idx``, 1 / (its id's count in the batch) with ``scale_grad_by_freq``."""

    def __init__(self, indices, num, padding_idx, scale_grad_by_freq=False):
        self.indices = indices
        self.num = num
        self.padding_idx = padding_idx
        self.scale_grad_by_freq = scale_grad_by_freq

    def _row_scale(self, xp, dtype):
        """(num, 1) factors, or None when every row keeps its sum."""
        if self.padding_idx is None and not self.scale_grad_by_freq:
            return None
        scale = xp.ones((self.num, 1), dtype=dtype)
        if self.scale_grad_by_freq:
            counts = xp.bincount(self.indices.reshape(-1), minlength=self.num)
            scale /= xp.maximum(counts, 1).astype(dtype).reshape(-1, 1)
        if self.padding_idx is not None:
            scale[self.padding_idx] = 0
        return scale

    def forward(self, gy):
        xp = _xp(gy)
        d = gy.shape[-1]
        gw = _scatter_add(xp, self.indices.reshape(-1), gy.reshape(-1, d), self.num)
        scale = self._row_scale(xp, gy.dtype)
        if scale is not None:
            gw *= scale
        return gw

    def backward(self, ggw):
        scale = self._row_scale(_xp(ggw.data), ggw.dtype)
        if scale is not None:
            ggw = ggw * Tensor._make(scale)
        return Embedding(self.indices)(ggw)


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0,  # noqa: A002 - PyTorch's names
              scale_grad_by_freq=False, sparse=False):
    """``F.embedding``: ``weight[input]`` for integer ids ``input`` of any shape.

    ``padding_idx`` rows get no gradient; ``max_norm`` renormalizes (in place, as PyTorch) the
    looked-up rows whose ``norm_type``-norm exceeds it; ``scale_grad_by_freq`` divides each row's
    gradient by its id's count in ``input``; ``sparse`` is accepted (the gradient stays dense)."""
    xp = _xp(weight.data)
    idx = array_on("embedding", input, weight, "ids")
    if idx.dtype.kind not in "iu":
        raise op_error(TypeError, f"embedding: expected integer ids, got dtype {idx.dtype}")
    if weight.ndim != 2:
        raise op_error(ValueError, f"embedding: weight must be 2-D (num_embeddings, embedding_dim), "
                                   f"got shape {weight.shape}")
    num = weight.shape[0]
    if idx.size and (int(idx.min()) < 0 or int(idx.max()) >= num):
        bad = int(idx.min()) if int(idx.min()) < 0 else int(idx.max())
        raise op_error(IndexError, f"embedding: id {bad} is out of range for a table of {num} rows "
                                   f"(ids must lie in [0, {num - 1}])")
    if padding_idx is not None and padding_idx < 0:
        padding_idx += num
    if max_norm is not None:
        rows = xp.unique(idx.reshape(-1))
        w = weight.data
        norms = (xp.abs(w[rows]) ** norm_type).sum(axis=1) ** (1.0 / norm_type)
        scale = xp.where(norms > max_norm, max_norm / (norms + 1e-7), 1.0).astype(w.dtype)
        w[rows] *= scale[:, None]
    return Embedding(idx, padding_idx, bool(scale_grad_by_freq))(weight)


def _scatter_add(xp, ids, rows, num):
    """(num, D) table with ``rows[k]`` added into row ``ids[k]``: ``add.at`` on CuPy and for a few
    hundred ids; else (2-4x faster) the ids are sorted (stably) and the k-th occurrences of all ids,
    which are distinct, added at once by fancy indexing, k = 0, 1, ... while at least 32 ids
    remain, the long runs left (frequent ids) summed by ``add.reduceat``."""
    out = xp.zeros((num, rows.shape[1]), dtype=rows.dtype)
    if xp is not np or ids.size < 256:
        xp.add.at(out, ids, rows)
        return out
    n = ids.size
    order = np.argsort(ids, kind="stable")
    ids = ids[order]
    starts = np.flatnonzero(np.concatenate(([True], ids[1:] != ids[:-1])))
    rank = np.arange(n) - np.repeat(starts, np.diff(np.append(starts, n)))  # k for a k-th occurrence
    layer = np.bincount(rank)  # layer k: the k-th occurrences (non-increasing sizes)
    k_end = int(np.argmax(layer < _MIN_LAYER)) if layer[-1] < _MIN_LAYER else len(layer)
    first = rank < k_end
    by_k = np.argsort(rank[first], kind="stable")
    src, dst = order[first][by_k], ids[first][by_k]
    bounds = np.concatenate(([0], np.cumsum(layer[:k_end])))
    for a, b in zip(bounds[:-1].tolist(), bounds[1:].tolist()):
        out[dst[a:b]] += rows[src[a:b]]
    if k_end < len(layer):
        rest = ~first
        ids, order = ids[rest], order[rest]
        starts = np.flatnonzero(np.concatenate(([True], ids[1:] != ids[:-1])))
        out[ids[starts]] += np.add.reduceat(rows[order], starts, axis=0)
    return out


_MIN_LAYER = 32


def _xp(a):
    from deepgrad.backend import get_array_module

    return get_array_module(a)


__all__ = ["embedding"]
