"""The two word2vec output layers, written with deepgrad ops (so autodiff gives the gradients).

Negative sampling (Mikolov et al. 2013b), for input vectors ``u`` (B, D), the true output
vector ``v`` (B, D) and K noise vectors ``n`` (B, K, D)::

    loss = -sum_b [ log s(u.v) + sum_k log s(-u.n_k) ]          s = sigmoid

Hierarchical softmax over a Huffman tree: ``P(w | u) = prod_j s((1 - 2 code_j) * u.node_j)``
along the word's path (code 0 = left = s(+x), 1 = right = s(-x)); the loss is its -log.
"""
from __future__ import annotations

from deepgrad.ops.activation import logsigmoid

__all__ = ["negative_sampling_loss", "hs_log_prob", "hierarchical_softmax_loss"]


def _scores(u, vecs):
    """u (B, D) . vecs (B, L, D) -> (B, L)."""
    return (vecs @ u.unsqueeze(2)).squeeze(2)


def negative_sampling_loss(u, v, noise, noise_mask=None):
    """Summed negative-sampling loss; ``noise_mask`` (B, K) 0/1 drops noise words equal to the target."""
    pos = logsigmoid((u * v).sum(-1))
    neg = logsigmoid(-_scores(u, noise))
    if noise_mask is not None:
        neg = neg * noise_mask
    return -(pos.sum() + neg.sum())


def hs_log_prob(u, nodes, codes, mask):
    """log P(word | u) per row: nodes (B, L, D) on the word's path, codes and mask (B, L) floats."""
    sign = 1.0 - 2.0 * codes
    return (logsigmoid(sign * _scores(u, nodes)) * mask).sum(-1)


def hierarchical_softmax_loss(u, nodes, codes, mask):
    """Summed -log P(word | u) over the batch."""
    return -hs_log_prob(u, nodes, codes, mask).sum()
