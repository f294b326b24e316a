"""Op table rows: arithmetic (broadcasting and size-1 dimensions included)."""
import numpy as np
import torch

import deepgrad as dg
from tests.ops.optable import OpCase

CASES = [
    OpCase("add", lambda a, b: a + b, lambda a, b: a + b, [(3, 4), (3, 4)]),
    OpCase("add_broadcast", lambda a, b: a + b, lambda a, b: a + b, [(2, 3, 4), (3, 1)]),
    OpCase("add_scalar", lambda a: a + 2.5, lambda a: a + 2.5, [(3,)]),
    OpCase("radd_scalar", lambda a: 1.5 + a, lambda a: 1.5 + a, [(3,)]),
    OpCase("sub_broadcast", lambda a, b: a - b, lambda a, b: a - b, [(4, 1), (1, 5)]),
    OpCase("rsub_scalar", lambda a: 2.0 - a, lambda a: 2.0 - a, [(2, 3)]),
    OpCase("mul_broadcast", lambda a, b: a * b, lambda a, b: a * b, [(2, 1, 4), (3, 1)]),
    OpCase("mul_0d", lambda a, b: a * b, lambda a, b: a * b, [(), (3, 2)]),
    OpCase("div", lambda a, b: a / b, lambda a, b: a / b, [(3, 4), (3, 4)], ["real", "positive"]),
    OpCase("div_broadcast", lambda a, b: a / b, lambda a, b: a / b, [(3, 1), (4,)], ["real", "nonzero"]),
    OpCase("rdiv_scalar", lambda a: 2.0 / a, lambda a: 2.0 / a, [(5,)], ["positive"]),
    OpCase("neg", lambda a: -a, lambda a: -a, [(2, 3)]),
    OpCase("pow_scalar", lambda a: a ** 3, lambda a: a ** 3, [(2, 3)]),
    OpCase("pow_square", lambda a: a ** 2, lambda a: a ** 2, [(2, 3)]),
    OpCase("pow_frac", lambda a: a ** 0.5, lambda a: a ** 0.5, [(2, 3)], ["positive"]),
    OpCase("pow_tensor", lambda a, b: a ** b, lambda a, b: a ** b, [(2, 3), (2, 3)], ["positive", "real"]),
    OpCase("pow_tensor_broadcast", lambda a, b: dg.pow(a, b), lambda a, b: torch.pow(a, b), [(2, 3), (3,)],
           ["positive", "real"]),
    OpCase("rpow", lambda a: 2.0 ** a, lambda a: 2.0 ** a, [(4,)]),
    OpCase("matmul_2d", lambda a, b: a @ b, lambda a, b: a @ b, [(3, 4), (4, 5)]),
    OpCase("matmul_1d_1d", lambda a, b: a @ b, lambda a, b: a @ b, [(4,), (4,)]),
    OpCase("matmul_1d_2d", lambda a, b: a @ b, lambda a, b: a @ b, [(4,), (4, 3)]),
    OpCase("matmul_2d_1d", lambda a, b: a @ b, lambda a, b: a @ b, [(3, 4), (4,)]),
    OpCase("matmul_batched", lambda a, b: a @ b, lambda a, b: a @ b, [(2, 3, 4), (2, 4, 5)]),
    OpCase("matmul_broadcast", lambda a, b: dg.matmul(a, b), lambda a, b: torch.matmul(a, b),
           [(2, 1, 3, 4), (3, 4, 2)]),
    OpCase("matmul_batched_1d", lambda a, b: a @ b, lambda a, b: a @ b, [(2, 3, 4), (4,)]),
    OpCase("matmul_1d_batched", lambda a, b: a @ b, lambda a, b: a @ b, [(4,), (2, 4, 3)]),
    OpCase("getitem_basic", lambda a: a[1:, ::2], lambda a: a[1:, ::2], [(4, 5)]),
    OpCase("getitem_int", lambda a: a[1], lambda a: a[1], [(4, 5)]),
    OpCase("getitem_advanced_repeat", lambda a: a[[0, 2, 0, 3]], lambda a: a[[0, 2, 0, 3]], [(4, 5)]),
    OpCase("getitem_mixed", lambda a: a[:, [1, 1, 4]], lambda a: a[:, [1, 1, 4]], [(3, 5)]),
    OpCase("getitem_bool_mask", lambda a: a[a.detach() > 0], lambda a: a[a.detach() > 0], [(3, 4)]),
    OpCase("getitem_none_ellipsis", lambda a: a[None, ..., 0], lambda a: a[None, ..., 0], [(2, 3, 4)]),
    OpCase("transpose", lambda a: a.transpose(0, 2), lambda a: a.transpose(0, 2), [(2, 3, 4)]),
    OpCase("T", lambda a: a.T, lambda a: a.T, [(2, 3)]),
    OpCase("permute", lambda a: a.permute(2, 0, 1), lambda a: a.permute(2, 0, 1), [(2, 3, 4)]),
    OpCase("reshape", lambda a: a.reshape(3, -1), lambda a: a.reshape(3, -1), [(2, 3, 2)]),
    OpCase("broadcast_to", lambda a: dg.broadcast_to(a, (2, 3, 4)), lambda a: torch.broadcast_to(a, (2, 3, 4)),
           [(3, 1)]),
    OpCase("expand", lambda a: a.expand(2, -1, 4), lambda a: a.expand(2, -1, 4), [(3, 1)]),
    OpCase("sum_all", lambda a: a.sum(), lambda a: a.sum(), [(3, 4)]),
    OpCase("sum_dim_keepdim", lambda a: a.sum(dim=1, keepdim=True), lambda a: a.sum(dim=1, keepdim=True),
           [(3, 4, 2)]),
    OpCase("sum_axis_tuple", lambda a: a.sum(axis=(0, 2)), lambda a: a.sum(dim=(0, 2)), [(3, 4, 2)]),
    OpCase("exp", lambda a: a.exp(), lambda a: a.exp(), [(3, 4)]),
    OpCase("log", lambda a: dg.log(a), lambda a: torch.log(a), [(3, 4)], ["positive"]),
    OpCase("where", lambda c, a, b: dg.where(c, a, b), lambda c, a, b: torch.where(c, a, b),
           [(3, 4), (3, 4), (1, 4)], ["bool", "real", "real"]),
]

CASES += [
    OpCase("remainder", lambda a, b: a % b, lambda a, b: a % b, [(3, 4), (3, 4)], ["real", "positive"],
           gradcheck=False),  # piecewise: finite differences straddle the jumps
    OpCase("remainder_scalar", lambda a: a % 0.7, lambda a: a % 0.7, [(5,)], gradcheck=False),
    OpCase("pow_ndarray", lambda a: a ** np.full((3,), 2.0, np.float32), lambda a: a ** torch.full((3,), 2.0),
           [(2, 3)]),
]
