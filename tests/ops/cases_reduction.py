"""Op table rows: reductions over dim None / int / negative / tuple, keepdim True and False, 0-d inputs.

'distinct' inputs keep max/min away from ties (their gradient is not differentiable there);
tie rules are checked against torch in test_stability.py.
"""
import numpy as np
import torch

import deepgrad as dg
from tests.ops.optable import OpCase

INF = float("inf")
_NAN_AT_0 = [float("nan"), 0.0, 0.0, 0.0]  # added to inputs: one NaN per row for nansum / nanmean


def _with_zeros(mask):
    """Multiply by a constant 0/1 mask of the input's dtype: puts exact zeros into prod's input."""
    mask = np.asarray(mask)

    def dg_fn(a):
        return dg.prod(a * dg.Tensor(mask.astype(a.dtype), device=a.device), dim=-1)

    def torch_fn(a):
        return torch.prod(a * torch.tensor(mask.astype(np.float32), device=a.device), dim=-1)

    return dg_fn, torch_fn


_ONE_ZERO = _with_zeros([[1, 0, 1, 1], [1, 1, 1, 1], [0, 1, 1, 1]])
_TWO_ZEROS = _with_zeros([[1, 0, 0, 1], [1, 1, 0, 1], [1, 1, 1, 1]])

CASES = [
    # sum (the basic rows are in cases_arith.py)
    OpCase("sum_neg_dim", lambda a: a.sum(dim=-1), lambda a: a.sum(dim=-1), [(2, 3, 4)]),
    OpCase("sum_tuple_keepdim", lambda a: dg.sum(a, dim=(0, -1), keepdim=True),
           lambda a: torch.sum(a, dim=(0, -1), keepdim=True), [(2, 3, 4)]),
    OpCase("sum_size1_dim", lambda a: a.sum(1), lambda a: a.sum(1), [(3, 1, 2)]),
    OpCase("sum_0d", lambda a: a.sum(), lambda a: a.sum(), [()]),
    OpCase("sum_0d_dim0", lambda a: a.sum(dim=0), lambda a: a.sum(dim=0), [()]),
    # mean
    OpCase("mean_all", lambda a: dg.mean(a), lambda a: torch.mean(a), [(3, 4)]),
    OpCase("mean_dim", lambda a: a.mean(dim=1), lambda a: a.mean(dim=1), [(3, 4)]),
    OpCase("mean_neg_keepdim", lambda a: a.mean(-1, keepdim=True), lambda a: a.mean(-1, keepdim=True), [(2, 3, 4)]),
    OpCase("mean_tuple", lambda a: a.mean(dim=(0, 2)), lambda a: a.mean(dim=(0, 2)), [(2, 3, 4)]),
    OpCase("mean_numpy_spelling", lambda a: a.mean(axis=(1,), keepdims=True),
           lambda a: a.mean(dim=(1,), keepdim=True), [(2, 1, 3)]),
    OpCase("mean_0d", lambda a: a.mean(), lambda a: a.mean(), [()]),
    OpCase("mean_broadcast_input", lambda a, b: (a * b).mean(0), lambda a, b: (a * b).mean(0), [(3, 1), (4,)]),
    # max / min
    OpCase("max_all", lambda a: a.max(), lambda a: a.max(), [(3, 4)], ["distinct"]),
    OpCase("min_all", lambda a: dg.min(a), lambda a: torch.min(a), [(2, 1, 3)], ["distinct"]),
    OpCase("max_0d", lambda a: a.max(), lambda a: a.max(), [()]),
    OpCase("max_dim_values", lambda a: a.max(dim=1).values, lambda a: a.max(dim=1).values, [(3, 4)], ["distinct"]),
    OpCase("max_dim_keepdim", lambda a: dg.max(a, 0, keepdim=True)[0], lambda a: torch.max(a, 0, keepdim=True)[0],
           [(3, 4)], ["distinct"]),
    OpCase("max_neg_dim", lambda a: a.max(-1)[0], lambda a: a.max(-1)[0], [(2, 3, 4)], ["distinct"]),
    OpCase("max_numpy_spelling", lambda a: a.max(axis=1, keepdims=True).values,
           lambda a: a.max(dim=1, keepdim=True).values, [(2, 3, 2)], ["distinct"]),
    OpCase("max_dim_0d", lambda a: dg.max(a, dim=0).values, lambda a: torch.max(a, dim=0).values, [()]),
    OpCase("max_indices", lambda a: a.max(dim=1).indices, lambda a: a.max(dim=1).indices, [(3, 4)], ["distinct"],
           grad=False),
    OpCase("min_dim_values", lambda a: a.min(dim=0).values, lambda a: a.min(dim=0).values, [(3, 4)], ["distinct"]),
    OpCase("min_indices_keepdim", lambda a: a.min(-2, keepdim=True).indices,
           lambda a: a.min(-2, keepdim=True).indices, [(2, 3, 4)], ["distinct"], grad=False),
    OpCase("max_two_tensors", lambda a, b: dg.max(a, b), lambda a, b: torch.max(a, b), [(3, 4), (4,)]),
    OpCase("amax_tuple", lambda a: dg.amax(a, dim=(0, 2)), lambda a: torch.amax(a, dim=(0, 2)), [(2, 3, 4)],
           ["distinct"]),
    OpCase("amax_keepdim_neg", lambda a: a.amax(-1, keepdim=True), lambda a: a.amax(-1, keepdim=True), [(3, 4)],
           ["distinct"]),
    OpCase("amin_all", lambda a: a.amin(), lambda a: a.amin(), [(3, 4)], ["distinct"]),
    OpCase("amin_dim", lambda a: dg.amin(a, 1), lambda a: torch.amin(a, 1), [(3, 1, 2)], ["distinct"]),
    # argmax / argmin / all / any (no gradient)
    OpCase("argmax_all", lambda a: dg.argmax(a), lambda a: torch.argmax(a), [(3, 4)], ["distinct"], grad=False),
    OpCase("argmax_dim", lambda a: a.argmax(dim=1), lambda a: a.argmax(dim=1), [(3, 4)], ["distinct"], grad=False),
    OpCase("argmin_neg_keepdim", lambda a: a.argmin(-1, keepdim=True), lambda a: a.argmin(-1, keepdim=True),
           [(2, 3, 4)], ["distinct"], grad=False),
    OpCase("argmin_all", lambda a: a.argmin(), lambda a: a.argmin(), [(2, 5)], ["distinct"], grad=False),
    OpCase("all_any", lambda a: (dg.all(a, dim=1), dg.any(a, dim=1), dg.all(a), dg.any(a)),
           lambda a: (torch.all(a, dim=1), torch.any(a, dim=1), torch.all(a), torch.any(a)),
           [(3, 4)], ["bool"], grad=False),
    OpCase("all_any_keepdim", lambda a: ((a > -1.0).all(0, keepdim=True), (a > 1.0).any(-1, keepdim=True)),
           lambda a: ((a > -1.0).all(0, keepdim=True), (a > 1.0).any(-1, keepdim=True)), [(3, 4)], grad=False),
    # prod
    OpCase("prod_all", lambda a: dg.prod(a), lambda a: torch.prod(a), [(2, 3)]),
    OpCase("prod_dim", lambda a: a.prod(dim=1), lambda a: a.prod(dim=1), [(3, 4)]),
    OpCase("prod_neg_keepdim", lambda a: a.prod(-1, keepdim=True), lambda a: a.prod(-1, keepdim=True), [(2, 3, 2)]),
    OpCase("prod_tuple", lambda a: dg.prod(a, dim=(0, 2)), lambda a: a.prod(2).prod(0), [(2, 3, 2)]),
    OpCase("prod_0d", lambda a: a.prod(), lambda a: a.prod(), [()]),
    OpCase("prod_one_zero", _ONE_ZERO[0], _ONE_ZERO[1], [(3, 4)]),
    OpCase("prod_two_zeros", _TWO_ZEROS[0], _TWO_ZEROS[1], [(3, 4)]),
    # logsumexp
    OpCase("logsumexp_dim", lambda a: dg.logsumexp(a, dim=1), lambda a: torch.logsumexp(a, dim=1), [(3, 4)]),
    OpCase("logsumexp_neg_keepdim", lambda a: a.logsumexp(-1, keepdim=True), lambda a: a.logsumexp(-1, keepdim=True),
           [(2, 3, 4)]),
    OpCase("logsumexp_tuple", lambda a: dg.logsumexp(a, dim=(0, 2)), lambda a: torch.logsumexp(a, dim=(0, 2)),
           [(2, 3, 4)]),
    OpCase("logsumexp_all", lambda a: dg.logsumexp(a), lambda a: torch.logsumexp(a, dim=(0, 1)), [(3, 4)]),
    OpCase("logsumexp_large", lambda a: dg.logsumexp(a * 100.0, 1), lambda a: torch.logsumexp(a * 100.0, 1), [(3, 4)]),
    OpCase("logsumexp_0d", lambda a: dg.logsumexp(a, 0), lambda a: torch.logsumexp(a, 0), [()]),
    # var / std (correction 1 by default, unbiased=, correction=, numpy ddof=)
    OpCase("var_all", lambda a: a.var(), lambda a: a.var(), [(3, 4)]),
    OpCase("var_dim", lambda a: dg.var(a, dim=1), lambda a: torch.var(a, dim=1), [(3, 4)]),
    OpCase("var_unbiased_false_keepdim", lambda a: a.var(-1, unbiased=False, keepdim=True),
           lambda a: a.var(-1, unbiased=False, keepdim=True), [(2, 3, 4)]),
    OpCase("var_correction0_tuple", lambda a: dg.var(a, dim=(0, 2), correction=0),
           lambda a: torch.var(a, dim=(0, 2), correction=0), [(2, 3, 4)]),
    OpCase("var_ddof", lambda a: a.var(axis=0, ddof=0), lambda a: a.var(dim=0, unbiased=False), [(4, 3)]),
    OpCase("var_positional_unbiased", lambda a: dg.var(a, 1, False), lambda a: torch.var(a, 1, False), [(3, 4)]),
    OpCase("std_all", lambda a: a.std(), lambda a: a.std(), [(3, 4)]),
    OpCase("std_dim_keepdim", lambda a: dg.std(a, dim=0, keepdim=True), lambda a: torch.std(a, dim=0, keepdim=True),
           [(4, 1, 3)]),
    OpCase("std_ddof0", lambda a: a.std(axis=(1, 2), ddof=0), lambda a: a.std(dim=(1, 2), correction=0),
           [(2, 3, 4)]),
    # norm
    OpCase("norm_all", lambda a: a.norm(), lambda a: a.norm(), [(3, 4)]),
    OpCase("norm_dim", lambda a: dg.norm(a, dim=1), lambda a: torch.norm(a, dim=1), [(3, 4)]),
    OpCase("norm_fro_keepdim", lambda a: dg.norm(a, "fro", dim=(1, 2), keepdim=True),
           lambda a: torch.norm(a, "fro", dim=(1, 2), keepdim=True), [(2, 3, 4)]),
    OpCase("norm_p2_neg", lambda a: a.norm(2, -1), lambda a: a.norm(2, -1), [(2, 1, 5)]),
    OpCase("norm_p1", lambda a: dg.norm(a, p=1, dim=0), lambda a: torch.norm(a, p=1, dim=0), [(3, 4)], ["nonzero"]),
    OpCase("norm_inf", lambda a: dg.norm(a, p=INF, dim=1), lambda a: torch.norm(a, p=INF, dim=1), [(3, 4)],
           ["distinct"]),
    OpCase("norm_ninf", lambda a: dg.norm(a, p=-INF), lambda a: torch.norm(a, p=-INF), [(3, 4)], ["distinct"]),
    OpCase("norm_p3", lambda a: dg.norm(a, p=3, dim=-1), lambda a: torch.norm(a, p=3, dim=-1), [(3, 4)],
           ["nonzero"]),
    OpCase("norm_ord_spelling", lambda a: dg.norm(a, ord=1), lambda a: torch.norm(a, p=1), [(5,)], ["nonzero"]),
    OpCase("norm_0d", lambda a: a.norm(), lambda a: a.norm(), [()], ["nonzero"]),
    # cumsum
    OpCase("cumsum_dim0", lambda a: a.cumsum(0), lambda a: a.cumsum(0), [(3, 4)]),
    OpCase("cumsum_neg", lambda a: dg.cumsum(a, dim=-1), lambda a: torch.cumsum(a, dim=-1), [(2, 3, 4)]),
    OpCase("cumsum_flat", lambda a: dg.cumsum(a), lambda a: torch.cumsum(a.flatten(), 0), [(2, 3)]),
    OpCase("cumsum_axis_size1", lambda a: dg.cumsum(a, axis=1), lambda a: torch.cumsum(a, dim=1), [(2, 1, 3)]),
    OpCase("cumsum_0d", lambda a: dg.cumsum(a, 0), lambda a: torch.cumsum(a, 0), [()]),
    # cumprod (exact with zeros), std's zero-deviation gradient, var_mean / std_mean
    OpCase("cumprod", lambda a: dg.cumprod(a, 1), lambda a: torch.cumprod(a, 1), [(3, 4)]),
    OpCase("cumprod_method_neg", lambda a: a.cumprod(dim=-2), lambda a: a.cumprod(dim=-2), [(3, 2, 4)]),
    OpCase("cumprod_zeros",
           lambda a: dg.cumprod(a * dg.Tensor(np.array([1.0, 0.0, 1.0, 0.0], a.dtype), device=a.device), -1),
           lambda a: torch.cumprod(a * torch.tensor([1.0, 0.0, 1.0, 0.0], device=a.device), -1), [(3, 4)]),
    OpCase("cumprod_0d", lambda a: dg.cumprod(a, 0), lambda a: torch.cumprod(a, 0), [()]),
    OpCase("std_constant_rows", lambda a: (a * 0.0 + 1.0).std(dim=1) + a.std(dim=1),
           lambda a: (a * 0.0 + 1.0).std(dim=1) + a.std(dim=1), [(3, 4)], gradcheck=False),
    OpCase("var_mean", lambda a: dg.var_mean(a, 1), lambda a: torch.var_mean(a, 1), [(3, 4)]),
    OpCase("std_mean_keepdim", lambda a: dg.std_mean(a, dim=0, keepdim=True, correction=0),
           lambda a: torch.std_mean(a, dim=0, keepdim=True, correction=0), [(3, 4)]),
    # sorting: values carry the gradient back to their positions
    OpCase("sort_values", lambda a: dg.sort(a).values, lambda a: torch.sort(a).values, [(3, 4)], ["distinct"]),
    OpCase("sort_desc_dim0", lambda a: a.sort(dim=0, descending=True), lambda a: a.sort(dim=0, descending=True),
           [(3, 4)], ["distinct"], gradcheck=False),
    OpCase("argsort", lambda a: dg.argsort(a, dim=0, descending=True), lambda a: torch.argsort(a, 0, True),
           [(3, 4)], ["distinct"], grad=False),
    OpCase("topk_values", lambda a: dg.topk(a, 2).values, lambda a: torch.topk(a, 2).values, [(3, 4)], ["distinct"]),
    OpCase("topk_smallest_dim0", lambda a: a.topk(2, dim=0, largest=False),
           lambda a: a.topk(2, dim=0, largest=False), [(3, 4)], ["distinct"], gradcheck=False),
    OpCase("median_all", lambda a: dg.median(a), lambda a: torch.median(a), [(3, 4)], ["distinct"]),
    OpCase("median_dim", lambda a: a.median(dim=1).values, lambda a: a.median(dim=1).values, [(3, 4)], ["distinct"]),
    OpCase("median_dim_keepdim", lambda a: dg.median(a, 0, keepdim=True), lambda a: torch.median(a, 0, keepdim=True),
           [(3, 4)], ["distinct"], gradcheck=False),
    OpCase("kthvalue", lambda a: dg.kthvalue(a, 2, 1).values, lambda a: torch.kthvalue(a, 2, 1).values, [(3, 4)],
           ["distinct"]),
    # compositions (deepgrad.ops.composite)
    OpCase("nansum", lambda a: dg.nansum(a + dg.tensor(_NAN_AT_0, device=a.device), dim=1),
           lambda a: torch.nansum(a + torch.tensor(_NAN_AT_0, device=a.device), dim=1), [(3, 4)], gradcheck=False),
    OpCase("nanmean", lambda a: dg.nanmean(a + dg.tensor(_NAN_AT_0, device=a.device)),
           lambda a: torch.nanmean(a + torch.tensor(_NAN_AT_0, device=a.device)), [(3, 4)], gradcheck=False),
    OpCase("nansum_no_nan", lambda a: a.nansum(), lambda a: a.nansum(), [(3, 4)]),
    OpCase("aminmax", lambda a: dg.aminmax(a, dim=0), lambda a: torch.aminmax(a, dim=0), [(3, 4)], ["distinct"]),
    OpCase("cummax", lambda a: dg.cummax(a, 1), lambda a: torch.cummax(a, 1), [(3, 5)], ["distinct"]),
    OpCase("cummin_method_dim0", lambda a: a.cummin(0), lambda a: a.cummin(0), [(4, 3)], ["distinct"]),
]
