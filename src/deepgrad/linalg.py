"""``deepgrad.linalg``: linear algebra with gradients, as ``torch.linalg`` (the ops live in
``deepgrad/ops/linalg.py``, each with its backward).  Matrices or stacks of matrices (..., m, n)."""
from deepgrad.ops.arith import matmul
from deepgrad.ops.linalg import (
    LinAlgError,
    cholesky,
    cross,
    det,
    eigh,
    eigvalsh,
    matrix_norm,
    matrix_power,
    matrix_rank,
    multi_dot,
    norm,
    pinv,
    qr,
    slogdet,
    solve,
    solve_triangular,
    svd,
    svdvals,
    vecdot,
    vector_norm,
)
from deepgrad.ops.linalg import inverse as inv
from deepgrad.ops.matrix import diagonal as _diagonal

__all__ = ["LinAlgError", "cholesky", "cross", "det", "diagonal", "eigh", "eigvalsh", "inv", "matmul", "matrix_norm",
           "matrix_power", "matrix_rank", "multi_dot", "norm", "pinv", "qr", "slogdet", "solve", "solve_triangular",
           "svd", "svdvals", "vecdot", "vector_norm"]


def diagonal(a, *, offset=0, dim1=-2, dim2=-1):
    """The diagonal of each matrix of a stack (torch.linalg.diagonal: the last two dims by default)."""
    return _diagonal(a, offset, dim1, dim2)
