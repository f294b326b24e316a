"""Op table rows: every loss in every reduction mode (integer targets use kinds 'int:K')."""
import warnings

import torch
import torch.nn.functional as F

import deepgrad as dg
from tests.ops.optable import OpCase


def _w(n, like):
    """Fixed class weights 0.5, 1.0, 1.5, ... as a deepgrad or torch tensor of ``like``'s dtype."""
    vals = [0.5 * (i + 1) for i in range(n)]
    if isinstance(like, torch.Tensor):
        return torch.tensor(vals, dtype=like.dtype, device=like.device)
    return dg.tensor(vals, dtype=like.dtype, device=like.device)


def _torch_kl_div(x, p, **kw):
    """F.kl_div without its warning that 'mean' will change meaning (we test today's meaning)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return F.kl_div(x, p, **kw)


CASES = []
for red in ("mean", "sum", "none"):
    CASES += [
        OpCase(f"mse_{red}", lambda a, b, r=red: dg.mse_loss(a, b, reduction=r),
               lambda a, b, r=red: F.mse_loss(a, b, reduction=r), [(3, 4), (3, 4)]),
        OpCase(f"mse_weight_{red}", lambda a, b, w, r=red: dg.mse_loss(a, b, reduction=r, weight=w),
               lambda a, b, w, r=red: F.mse_loss(a, b, reduction=r, weight=w), [(2, 3), (2, 3), (2, 3)],
               ["real", "real", "positive"]),
        OpCase(f"l1_{red}", lambda a, b, r=red: dg.l1_loss(a, b, reduction=r),
               lambda a, b, r=red: F.l1_loss(a, b, reduction=r), [(3, 4), (3, 4)]),
        OpCase(f"huber_{red}", lambda a, b, r=red: dg.huber_loss(a * 2.0, b, reduction=r, delta=0.8),
               lambda a, b, r=red: F.huber_loss(a * 2.0, b, reduction=r, delta=0.8), [(3, 4), (3, 4)]),
        OpCase(f"smooth_l1_{red}", lambda a, b, r=red: dg.smooth_l1_loss(a * 2.0, b, reduction=r, beta=0.5),
               lambda a, b, r=red: F.smooth_l1_loss(a * 2.0, b, reduction=r, beta=0.5), [(3, 4), (3, 4)]),
        OpCase(f"bce_{red}", lambda p, y, r=red: dg.binary_cross_entropy(p, y, reduction=r),
               lambda p, y, r=red: F.binary_cross_entropy(p, y, reduction=r), [(3, 4), (3, 4)], ["unit", "unit"]),
        OpCase(f"bce_weight_{red}", lambda p, y, r=red: dg.binary_cross_entropy(p, y, weight=_w(4, p), reduction=r),
               lambda p, y, r=red: F.binary_cross_entropy(p, y, weight=_w(4, p), reduction=r),
               [(3, 4), (3, 4)], ["unit", "unit"]),
        OpCase(f"bce_logits_{red}", lambda x, y, r=red: dg.binary_cross_entropy_with_logits(x * 3.0, y, reduction=r),
               lambda x, y, r=red: F.binary_cross_entropy_with_logits(x * 3.0, y, reduction=r), [(3, 4), (3, 4)],
               ["real", "unit"]),
        OpCase(f"bce_logits_pos_weight_{red}",
               lambda x, y, r=red: dg.binary_cross_entropy_with_logits(
                   x, y, weight=_w(3, x).reshape(3, 1), pos_weight=_w(4, x), reduction=r),
               lambda x, y, r=red: F.binary_cross_entropy_with_logits(
                   x, y, weight=_w(3, x).reshape(3, 1), pos_weight=_w(4, x), reduction=r),
               [(3, 4), (3, 4)], ["real", "unit"]),
        OpCase(f"cross_entropy_{red}", lambda x, t, r=red: dg.cross_entropy(x, t, reduction=r),
               lambda x, t, r=red: F.cross_entropy(x, t, reduction=r), [(5, 4), (5,)], ["real", "int:4"]),
        OpCase(f"cross_entropy_weight_{red}", lambda x, t, r=red: dg.cross_entropy(x, t, weight=_w(4, x), reduction=r),
               lambda x, t, r=red: F.cross_entropy(x, t, weight=_w(4, x), reduction=r), [(6, 4), (6,)],
               ["real", "int:4"]),
        OpCase(f"cross_entropy_ignore_smooth_{red}",
               lambda x, t, r=red: dg.cross_entropy(x, t, ignore_index=1, label_smoothing=0.2, reduction=r),
               lambda x, t, r=red: F.cross_entropy(x, t, ignore_index=1, label_smoothing=0.2, reduction=r),
               [(6, 3), (6,)], ["real", "int:3"], seed=1),
        OpCase(f"cross_entropy_all_options_{red}",
               lambda x, t, r=red: dg.cross_entropy(x, t, weight=_w(3, x), ignore_index=0, label_smoothing=0.1,
                                                    reduction=r),
               lambda x, t, r=red: F.cross_entropy(x, t, weight=_w(3, x), ignore_index=0, label_smoothing=0.1,
                                                   reduction=r),
               [(6, 3), (6,)], ["real", "int:3"], seed=2),
        OpCase(f"cross_entropy_spatial_{red}", lambda x, t, r=red: dg.cross_entropy(x, t, reduction=r),
               lambda x, t, r=red: F.cross_entropy(x, t, reduction=r), [(2, 3, 2, 2), (2, 2, 2)], ["real", "int:3"]),
        OpCase(f"cross_entropy_probs_{red}", lambda x, p, r=red: dg.cross_entropy(x, p, reduction=r),
               lambda x, p, r=red: F.cross_entropy(x, p, reduction=r), [(4, 3), (4, 3)], ["real", "simplex"]),
        OpCase(f"cross_entropy_probs_smooth_weight_{red}",
               lambda x, p, r=red: dg.cross_entropy(x, p, weight=_w(3, x), label_smoothing=0.3, reduction=r),
               lambda x, p, r=red: F.cross_entropy(x, p, weight=_w(3, x), label_smoothing=0.3, reduction=r),
               [(4, 3), (4, 3)], ["real", "simplex"]),
        OpCase(f"nll_{red}", lambda x, t, r=red: dg.nll_loss(dg.log_softmax(x, 1), t, reduction=r),
               lambda x, t, r=red: F.nll_loss(F.log_softmax(x, 1), t, reduction=r), [(5, 4), (5,)], ["real", "int:4"]),
        OpCase(f"nll_weight_ignore_{red}",
               lambda x, t, r=red: dg.nll_loss(x, t, weight=_w(4, x), ignore_index=2, reduction=r),
               lambda x, t, r=red: F.nll_loss(x, t, weight=_w(4, x), ignore_index=2, reduction=r),
               [(6, 4), (6,)], ["real", "int:4"]),
        OpCase(f"nll_spatial_{red}", lambda x, t, r=red: dg.nll_loss(x, t, reduction=r),
               lambda x, t, r=red: F.nll_loss(x, t, reduction=r), [(2, 3, 4), (2, 4)], ["real", "int:3"]),
        OpCase(f"multi_margin_{red}", lambda x, t, r=red: dg.multi_margin_loss(x, t, reduction=r),
               lambda x, t, r=red: F.multi_margin_loss(x, t, reduction=r), [(5, 4), (5,)], ["distinct", "int:4"]),
        OpCase(f"multi_margin_p2_weight_{red}",
               lambda x, t, r=red: dg.multi_margin_loss(x, t, p=2, margin=0.7, weight=_w(4, x), reduction=r),
               lambda x, t, r=red: F.multi_margin_loss(x, t, p=2, margin=0.7, weight=_w(4, x), reduction=r),
               [(5, 4), (5,)], ["distinct", "int:4"]),
        OpCase(f"kl_div_{red}", lambda x, p, r=red: dg.kl_div(dg.log_softmax(x, 1), p, reduction=r),
               lambda x, p, r=red: _torch_kl_div(F.log_softmax(x, 1), p, reduction=r), [(3, 4), (3, 4)],
               ["real", "simplex"]),
        OpCase(f"kl_div_log_target_{red}", lambda x, p, r=red: dg.kl_div(x, p, reduction=r, log_target=True),
               lambda x, p, r=red: _torch_kl_div(x, p, reduction=r, log_target=True), [(3, 4), (3, 4)]),
    ]

CASES += [
    OpCase("cross_entropy_unbatched", lambda x, t: dg.cross_entropy(x, t), lambda x, t: F.cross_entropy(x, t),
           [(5,), ()], ["real", "int:5"]),
    OpCase("cross_entropy_unbatched_probs", lambda x, p: dg.cross_entropy(x, p), lambda x, p: F.cross_entropy(x, p),
           [(4,), (4,)], ["real", "simplex"]),
    OpCase("cross_entropy_one_class", lambda x, t: dg.cross_entropy(x, t), lambda x, t: F.cross_entropy(x, t),
           [(3, 1), (3,)], ["real", "int:1"]),
    OpCase("cross_entropy_spatial_probs", lambda x, p: dg.cross_entropy(x, dg.softmax(p, 1)),
           lambda x, p: F.cross_entropy(x, F.softmax(p, 1)), [(2, 3, 2), (2, 3, 2)]),
    OpCase("multi_margin_unbatched", lambda x, t: dg.multi_margin_loss(x, t), lambda x, t: F.multi_margin_loss(x, t),
           [(4,), ()], ["distinct", "int:4"]),
    OpCase("kl_div_batchmean", lambda x, p: dg.kl_div(dg.log_softmax(x, 1), p, reduction="batchmean"),
           lambda x, p: F.kl_div(F.log_softmax(x, 1), p, reduction="batchmean"), [(3, 4), (3, 4)],
           ["real", "simplex"]),
    OpCase("smooth_l1_beta0", lambda a, b: dg.smooth_l1_loss(a, b, beta=0.0),
           lambda a, b: F.smooth_l1_loss(a, b, beta=0.0), [(3, 4), (3, 4)]),
    OpCase("mse_size1", lambda a, b: dg.mse_loss(a, b), lambda a, b: F.mse_loss(a, b), [(4, 1), (4, 1)]),
    OpCase("dropout_eval_identity", lambda a: dg.dropout(a, 0.5, training=False),
           lambda a: F.dropout(a, 0.5, training=False), [(3, 4)]),
]
