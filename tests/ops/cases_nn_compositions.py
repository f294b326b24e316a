"""Op table rows: the activations, distances and losses that ``deepgrad.nn.functional`` builds from
other ops (``deepgrad/nn/_compositions.py``): hardswish, glu, cosine_similarity, triplet_margin_loss, ..."""
import torch
import torch.nn.functional as TF

import deepgrad as dg
import deepgrad.nn.functional as F
from tests.ops.optable import OpCase


def _sign(t):
    """Targets of +1 / -1 from a 'nonzero' input, outside the graph."""
    return (dg.sign(t) if isinstance(t, dg.Tensor) else torch.sign(t)).detach()


CASES = [
    OpCase("hardsigmoid", F.hardsigmoid, TF.hardsigmoid, [(4, 5)]),
    OpCase("hardswish", F.hardswish, TF.hardswish, [(4, 5)]),
    OpCase("hardsigmoid_saturated", lambda x: F.hardsigmoid(x * 4.0), lambda x: TF.hardsigmoid(x * 4.0), [(4, 5)],
           gradcheck=False),  # kinks at +-3
    OpCase("hardswish_saturated", lambda x: F.hardswish(x * 4.0), lambda x: TF.hardswish(x * 4.0), [(4, 5)],
           gradcheck=False),
    OpCase("mish", F.mish, TF.mish, [(3, 4, 2)]),
    OpCase("celu", lambda x: F.celu(x, 0.7), lambda x: TF.celu(x, 0.7), [(4, 5)], ["nonzero"]),
    OpCase("threshold", lambda x: F.threshold(x, 0.1, -2.0), lambda x: TF.threshold(x, 0.1, -2.0), [(4, 5)],
           ["nonzero"]),
    OpCase("tanhshrink", F.tanhshrink, TF.tanhshrink, [(4, 5)]),
    OpCase("softshrink", lambda x: F.softshrink(x, 0.1), lambda x: TF.softshrink(x, 0.1), [(4, 5)], ["nonzero"]),
    OpCase("hardshrink", lambda x: F.hardshrink(x, 0.1), lambda x: TF.hardshrink(x, 0.1), [(4, 5)], ["nonzero"]),
    OpCase("rrelu_eval", lambda x: F.rrelu(x, 0.1, 0.4), lambda x: TF.rrelu(x, 0.1, 0.4), [(4, 5)], ["nonzero"]),
    OpCase("glu", F.glu, TF.glu, [(3, 6)]),
    OpCase("glu_dim0", lambda x: F.glu(x, 0), lambda x: TF.glu(x, 0), [(4, 3, 2)]),
    OpCase("cosine_similarity", F.cosine_similarity, TF.cosine_similarity, [(4, 5), (4, 5)]),
    OpCase("cosine_similarity_bcast", lambda a, b: F.cosine_similarity(a, b, dim=-1),
           lambda a, b: TF.cosine_similarity(a, b, dim=-1), [(2, 4, 5), (1, 5)]),
    OpCase("pairwise_distance", F.pairwise_distance, TF.pairwise_distance, [(4, 5), (4, 5)]),
    OpCase("pairwise_distance_p1_keepdim", lambda a, b: F.pairwise_distance(a, b, 1.0, keepdim=True),
           lambda a, b: TF.pairwise_distance(a, b, 1.0, keepdim=True), [(4, 5), (4, 5)]),
    OpCase("pairwise_distance_p3_1d", lambda a, b: F.pairwise_distance(a, b, 3.0),
           lambda a, b: TF.pairwise_distance(a, b, 3.0), [(5,), (5,)]),
]

for red in ("mean", "sum", "none"):
    CASES += [
        OpCase(f"soft_margin_loss_{red}", lambda x, t, r=red: F.soft_margin_loss(x, _sign(t), reduction=r),
               lambda x, t, r=red: TF.soft_margin_loss(x, _sign(t), reduction=r), [(4, 5), (4, 5)],
               ["real", "nonzero"]),
        OpCase(f"hinge_embedding_loss_{red}",
               lambda x, t, r=red: F.hinge_embedding_loss(x, _sign(t), margin=0.7, reduction=r),
               lambda x, t, r=red: TF.hinge_embedding_loss(x, _sign(t), margin=0.7, reduction=r), [(4, 5), (4, 5)],
               ["nonzero", "nonzero"], gradcheck=False),  # kink where x = margin
        OpCase(f"multilabel_soft_margin_loss_{red}",
               lambda x, t, w, r=red: F.multilabel_soft_margin_loss(x, t, weight=w, reduction=r),
               lambda x, t, w, r=red: TF.multilabel_soft_margin_loss(x, t, weight=w, reduction=r),
               [(4, 5), (4, 5), (5,)], ["real", "unit", "positive"]),
        OpCase(f"margin_ranking_loss_{red}",
               lambda a, b, t, r=red: F.margin_ranking_loss(a, b, _sign(t), margin=0.3, reduction=r),
               lambda a, b, t, r=red: TF.margin_ranking_loss(a, b, _sign(t), margin=0.3, reduction=r),
               [(6,), (6,), (6,)], ["real", "real", "nonzero"]),
        OpCase(f"cosine_embedding_loss_{red}",
               lambda a, b, t, r=red: F.cosine_embedding_loss(a, b, _sign(t), margin=0.1, reduction=r),
               lambda a, b, t, r=red: TF.cosine_embedding_loss(a, b, _sign(t), margin=0.1, reduction=r),
               [(6, 4), (6, 4), (6,)], ["real", "real", "nonzero"]),
        OpCase(f"gaussian_nll_loss_{red}", lambda x, y, v, r=red: F.gaussian_nll_loss(x, y, v, reduction=r),
               lambda x, y, v, r=red: TF.gaussian_nll_loss(x, y, v, reduction=r), [(5, 3), (5, 3), (5, 3)],
               ["real", "real", "positive"]),
        OpCase(f"gaussian_nll_loss_full_shared_var_{red}",
               lambda x, y, v, r=red: F.gaussian_nll_loss(x, y, v, full=True, reduction=r),
               lambda x, y, v, r=red: TF.gaussian_nll_loss(x, y, v, full=True, reduction=r), [(5, 3), (5, 3), (5,)],
               ["real", "real", "positive"]),
        OpCase(f"poisson_nll_loss_{red}", lambda x, y, r=red: F.poisson_nll_loss(x, y * 3, reduction=r),
               lambda x, y, r=red: TF.poisson_nll_loss(x, y * 3, reduction=r), [(5, 3), (5, 3)],
               ["real", "positive"]),
        OpCase(f"poisson_nll_loss_rates_full_{red}",
               lambda x, y, r=red: F.poisson_nll_loss(x, y * 3, log_input=False, full=True, reduction=r),
               lambda x, y, r=red: TF.poisson_nll_loss(x, y * 3, log_input=False, full=True, reduction=r),
               [(5, 3), (5, 3)], ["positive", "positive"]),
        OpCase(f"triplet_margin_loss_{red}",
               lambda a, p, n, r=red: F.triplet_margin_loss(a, p, n, margin=2.0, reduction=r),
               lambda a, p, n, r=red: TF.triplet_margin_loss(a, p, n, margin=2.0, reduction=r),
               [(6, 4), (6, 4), (6, 4)]),
        OpCase(f"triplet_margin_loss_swap_p1_{red}",
               lambda a, p, n, r=red: F.triplet_margin_loss(a, p, n, margin=3.0, p=1, swap=True, reduction=r),
               lambda a, p, n, r=red: TF.triplet_margin_loss(a, p, n, margin=3.0, p=1, swap=True, reduction=r),
               [(6, 4), (6, 4), (6, 4)], gradcheck=False),  # |.| kinks and a min of two distances
    ]


def _allowed(t):
    """A fixed boolean 'may attend' mask (L=4, S=6) with one allowed key per row at least."""
    import numpy as np

    m = np.random.default_rng(5).random((4, 6)) > 0.4
    m[:, 0] = True
    return dg.Tensor(m, device=t.device) if isinstance(t, dg.Tensor) else torch.tensor(m, device=t.device)


CASES += [
    OpCase("scaled_dot_product_attention", F.scaled_dot_product_attention, TF.scaled_dot_product_attention,
           [(2, 3, 4, 5), (2, 3, 6, 5), (2, 3, 6, 7)]),
    OpCase("scaled_dot_product_attention_causal_scale",
           lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True, scale=0.3),
           lambda q, k, v: TF.scaled_dot_product_attention(q, k, v, is_causal=True, scale=0.3),
           [(3, 5, 4), (3, 5, 4), (3, 5, 2)]),
    OpCase("scaled_dot_product_attention_bool_mask",
           lambda q, k, v: F.scaled_dot_product_attention(q, k, v, attn_mask=_allowed(q)),
           lambda q, k, v: TF.scaled_dot_product_attention(q, k, v, attn_mask=_allowed(q)),
           [(2, 4, 5), (2, 6, 5), (2, 6, 3)]),
    OpCase("scaled_dot_product_attention_float_mask",
           lambda q, k, v, m: F.scaled_dot_product_attention(q, k, v, attn_mask=m),
           lambda q, k, v, m: TF.scaled_dot_product_attention(q, k, v, attn_mask=m),
           [(2, 4, 5), (2, 6, 5), (2, 6, 3), (4, 6)]),
]
