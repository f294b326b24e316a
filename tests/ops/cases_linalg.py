"""deepgrad.linalg against torch.linalg.  Eigen- and singular vectors are compared through their
squares (their signs are arbitrary, LAPACK's choice); symmetric inputs are built as ``a + a^T`` or
``a a^T + I`` so that finite differences see what the op reads."""
import math

import torch

import deepgrad as dg
from tests.ops.optable import OpCase

L = dg.linalg
T = torch.linalg


def _eye(n, like):
    return dg.eye(n, dtype=like.dtype, device=like.device)


def _spd(a):  # symmetric positive-definite
    return a @ a.mT + _eye(a.shape[-1], a)


def _tspd(a):
    return a @ a.mT + torch.eye(a.shape[-1], dtype=a.dtype)


def _sym(a):
    return a + a.mT


RT = 1e-4  # inverses and factorisations lose a few more bits than elementwise ops in float32

CASES = [
    OpCase("linalg_inv", L.inv, T.inv, [(4, 4)], rtol=RT),
    OpCase("linalg_inv_batched", L.inv, T.inv, [(2, 3, 3)], rtol=RT, seed=1),
    OpCase("inverse_method", lambda a: a.inverse(), lambda a: a.inverse(), [(3, 3)], rtol=RT),
    OpCase("linalg_det", L.det, T.det, [(3, 3)], rtol=RT),
    OpCase("linalg_det_batched", L.det, T.det, [(2, 4, 4)], rtol=RT, seed=2),
    OpCase("det_method", lambda a: a.det(), lambda a: a.det(), [(3, 3)], rtol=RT),
    OpCase("linalg_slogdet", L.slogdet, T.slogdet, [(2, 3, 3)], rtol=RT),
    OpCase("logdet_spd", lambda a: dg.logdet(_spd(a)), lambda a: torch.logdet(_tspd(a)), [(3, 3)], rtol=RT),
    OpCase("linalg_solve", L.solve, T.solve, [(3, 3), (3, 2)], rtol=RT),
    OpCase("linalg_solve_vector", L.solve, T.solve, [(3, 3), (3,)], rtol=RT),
    OpCase("linalg_solve_batched_vector", L.solve, T.solve, [(2, 3, 3), (2, 3)], rtol=RT),
    OpCase("linalg_solve_broadcast", L.solve, T.solve, [(2, 3, 3), (3, 1)], rtol=RT),
    OpCase("linalg_solve_right", lambda a, b: L.solve(a, b, left=False),
           lambda a, b: T.solve(a, b, left=False), [(3, 3), (2, 3)], rtol=RT),
    OpCase("linalg_solve_triangular_upper", lambda a, b: L.solve_triangular(a + 3 * _eye(3, a), b, upper=True),
           lambda a, b: T.solve_triangular(a + 3 * torch.eye(3), b, upper=True), [(3, 3), (3, 2)], rtol=RT),
    OpCase("linalg_solve_triangular_unit_lower", lambda a, b: L.solve_triangular(a, b, upper=False,
                                                                                 unitriangular=True),
           lambda a, b: T.solve_triangular(a, b, upper=False, unitriangular=True), [(3, 3), (3, 2)], rtol=RT),
    OpCase("linalg_cholesky", lambda a: L.cholesky(_spd(a)), lambda a: T.cholesky(_tspd(a)), [(4, 4)], rtol=RT),
    OpCase("linalg_cholesky_upper_batched", lambda a: L.cholesky(_spd(a), upper=True),
           lambda a: T.cholesky(_tspd(a), upper=True), [(2, 3, 3)], rtol=RT),
    OpCase("linalg_eigh", lambda a: (lambda w, v: (w, v * v))(*L.eigh(_sym(a))),
           lambda a: (lambda w, v: (w, v * v))(*T.eigh(_sym(a))), [(4, 4)], rtol=RT),
    OpCase("linalg_eigh_batched_upper", lambda a: (lambda w, v: (w, v * v))(*L.eigh(_sym(a), UPLO="U")),
           lambda a: (lambda w, v: (w, v * v))(*T.eigh(_sym(a), UPLO="U")), [(2, 3, 3)], rtol=RT, seed=3),
    OpCase("linalg_eigvalsh", lambda a: L.eigvalsh(_sym(a)), lambda a: T.eigvalsh(_sym(a)), [(4, 4)], rtol=RT),
    OpCase("linalg_svd_tall", lambda a: (lambda u, s, vh: (u * u, s, vh * vh))(*L.svd(a, full_matrices=False)),
           lambda a: (lambda u, s, vh: (u * u, s, vh * vh))(*T.svd(a, full_matrices=False)), [(5, 3)], rtol=RT),
    OpCase("linalg_svd_wide_batched",
           lambda a: (lambda u, s, vh: (u * u, s, vh * vh))(*L.svd(a, full_matrices=False)),
           lambda a: (lambda u, s, vh: (u * u, s, vh * vh))(*T.svd(a, full_matrices=False)), [(2, 3, 5)], rtol=RT),
    OpCase("linalg_svd_full_square", lambda a: (lambda u, s, vh: (u * u, s, vh * vh))(*L.svd(a)),
           lambda a: (lambda u, s, vh: (u * u, s, vh * vh))(*T.svd(a)), [(4, 4)], rtol=RT),
    OpCase("linalg_svdvals", L.svdvals, T.svdvals, [(4, 6)], rtol=RT),
    OpCase("linalg_pinv_tall", L.pinv, T.pinv, [(5, 3)], rtol=RT),
    OpCase("linalg_pinv_wide_batched", L.pinv, T.pinv, [(2, 3, 4)], rtol=RT),
    OpCase("pinverse_method", lambda a: a.pinverse(), lambda a: a.pinverse(), [(3, 3)], rtol=RT),
    OpCase("linalg_matrix_power_3", lambda a: L.matrix_power(a, 3), lambda a: T.matrix_power(a, 3), [(3, 3)],
           rtol=RT),
    OpCase("linalg_matrix_power_-2", lambda a: L.matrix_power(a, -2), lambda a: T.matrix_power(a, -2),
           [(2, 3, 3)], rtol=RT),
    OpCase("linalg_matrix_power_0", lambda a: L.matrix_power(a, 0), lambda a: T.matrix_power(a, 0), [(3, 3)],
           gradcheck=False),
    OpCase("linalg_vector_norm_3", lambda a: L.vector_norm(a, 3, dim=1), lambda a: T.vector_norm(a, 3, dim=1),
           [(3, 4)], kinds=["nonzero"]),
    OpCase("linalg_norm_default", L.norm, T.norm, [(3, 4)]),
    OpCase("linalg_norm_matrix_inf", lambda a: L.norm(a, math.inf), lambda a: T.norm(a, math.inf), [(3, 4)],
           kinds=["distinct"]),
    OpCase("norm_nuc", lambda a: a.norm(p="nuc"), lambda a: a.norm(p="nuc"), [(3, 4)], rtol=RT),
    OpCase("linalg_cross", L.cross, T.cross, [(4, 3), (4, 3)]),
    OpCase("linalg_cross_broadcast", lambda a, b: L.cross(a, b, dim=1), lambda a, b: T.cross(a, b, dim=1),
           [(2, 3, 1), (1, 3, 5)]),
    OpCase("linalg_vecdot", lambda a, b: L.vecdot(a, b), lambda a, b: T.vecdot(a, b), [(3, 4), (2, 3, 4)]),
    OpCase("linalg_multi_dot", lambda a, b, c: L.multi_dot([a, b, c]), lambda a, b, c: T.multi_dot([a, b, c]),
           [(3,), (3, 4), (4, 2)]),
]

for _ord in ("fro", "nuc", 2, -2, 1, -1, math.inf, -math.inf):
    CASES.append(OpCase(f"linalg_matrix_norm_{_ord}", lambda a, o=_ord: L.matrix_norm(a, o),
                        lambda a, o=_ord: T.matrix_norm(a, o), [(3, 4)], kinds=["distinct"], rtol=RT))
CASES.append(OpCase("linalg_matrix_norm_dims_keepdim", lambda a: L.matrix_norm(a, "nuc", dim=(0, 2), keepdim=True),
                    lambda a: T.matrix_norm(a, "nuc", dim=(0, 2), keepdim=True), [(3, 2, 4)], rtol=RT))

# QR: Q's column signs are LAPACK's (both numpy and torch call geqrf), compared as they are
CASES += [
    OpCase("linalg_qr_tall", lambda a: L.qr(a), lambda a: T.qr(a), [(5, 3)], rtol=RT),
    OpCase("linalg_qr_square_batched", lambda a: L.qr(a), lambda a: T.qr(a), [(2, 4, 4)], rtol=RT),
    OpCase("linalg_qr_wide", lambda a: L.qr(a), lambda a: T.qr(a), [(3, 5)], rtol=RT),
    OpCase("linalg_qr_complete_wide", lambda a: L.qr(a, mode="complete"), lambda a: T.qr(a, mode="complete"),
           [(3, 4)], rtol=RT),
    OpCase("linalg_qr_r_only", lambda a: L.qr(a, mode="r")[1], lambda a: T.qr(a, mode="r")[1], [(4, 3)],
           grad=False),
]
