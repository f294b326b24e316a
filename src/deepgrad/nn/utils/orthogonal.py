"""``parametrizations.orthogonal``, as torch: the weight is an orthogonal matrix (or a batch of them),
``Q = base @ map(original)`` with ``map`` the matrix exponential or the Cayley transform of a skew
matrix, or a product of Householder reflectors.  With ``use_trivialization`` (the default) the buffer
``parametrizations.weight.0.base`` holds the orthogonal matrix at registration and ``original`` starts at
``-I``; state_dict keys are torch's, so a torch state_dict loads.
"""
from __future__ import annotations

import math
from enum import Enum, auto

from deepgrad.autograd import no_grad
from deepgrad.backend import get_array_module
from deepgrad.nn.module import Module
from deepgrad.nn.utils import parametrize
from deepgrad.tensor import Tensor

__all__ = ["orthogonal"]


class _OrthMaps(Enum):
    matrix_exp = auto()
    cayley = auto()
    householder = auto()


def _const(array):
    return Tensor._make(array)


def _eye(n, like):
    xp = get_array_module(like.data)
    return _const(xp.eye(n, dtype=like.data.dtype))


def _matrix_exp(a):
    """exp(a) for square (batches of) matrices: scaling and squaring of a degree-18 Taylor polynomial,
    written with deepgrad ops, so its gradient is the derivative of that (float64-accurate) polynomial."""
    from deepgrad.ops.arith import matmul

    xp = get_array_module(a.data)
    norm = float(xp.abs(a.data).sum(axis=-2).max()) if a.data.size else 0.0
    s = max(0, math.ceil(math.log2(norm / 0.5))) if norm > 0.5 else 0
    if s:
        a = a / float(2 ** s)
    eye = _eye(a.shape[-1], a)
    out = eye
    for k in range(18, 0, -1):
        out = eye + matmul(a, out) / float(k)
    for _ in range(s):
        out = matmul(out, out)
    return out


def _householder_product(a, tau):
    """The first k columns of H_1 ... H_k with H_i = I - tau_i v_i v_i^H, v_i the i-th column of ``a``
    below the diagonal with a 1 on it (torch.linalg.householder_product)."""
    from deepgrad.ops.arith import matmul

    xp = get_array_module(a.data)
    n, k = a.shape[-2], a.shape[-1]
    q = _eye(n, a)
    for i in range(k):
        below = xp.zeros((n,), dtype=a.data.dtype)
        below[i + 1:] = 1
        unit = xp.zeros((n,), dtype=a.data.dtype)
        unit[i] = 1
        v = a[..., :, i] * _const(below) + _const(unit)  # (..., n)
        qv = matmul(q, v.unsqueeze(-1))  # (..., n, 1)
        q = q - (qv * tau[..., i:i + 1].unsqueeze(-1)) * v.unsqueeze(-2)
    return q[..., :, :k]


def _is_orthogonal(q):
    xp = get_array_module(q)
    n, k = q.shape[-2], q.shape[-1]
    eps = 10.0 * n * float(xp.finfo(q.dtype).eps)
    return bool(xp.allclose(xp.swapaxes(q, -1, -2).conj() @ q, xp.eye(k, dtype=q.dtype), rtol=1e-5, atol=eps))


def _make_orthogonal(a):
    """The Q of a = QR with diag(R) >= 0 (raw arrays, tall a)."""
    xp = get_array_module(a)
    q, r = xp.linalg.qr(a)
    return q * xp.sign(xp.diagonal(r, axis1=-2, axis2=-1))[..., None, :]


class _Orthogonal(Module):
    def __init__(self, weight, orthogonal_map, *, use_trivialization=True):
        super().__init__()
        if weight.dtype.kind == "c" and orthogonal_map == _OrthMaps.householder:
            raise ValueError("The householder parametrization does not support complex tensors.")
        self.shape = tuple(weight.shape)
        self.orthogonal_map = orthogonal_map
        if use_trivialization:
            self.register_buffer("base", None)

    def forward(self, X):
        from deepgrad.ops.shape import cat

        n, k = X.shape[-2], X.shape[-1]
        transposed = n < k
        if transposed:
            X = X.mT
            n, k = k, n
        if self.orthogonal_map in (_OrthMaps.matrix_exp, _OrthMaps.cayley):
            X = X.tril()
            if n != k:
                xp = get_array_module(X.data)
                X = cat([X, _const(xp.zeros(tuple(X.shape[:-2]) + (n, n - k), dtype=X.data.dtype))], -1)
            A = X - X.mT
            if self.orthogonal_map == _OrthMaps.matrix_exp:
                Q = _matrix_exp(A)
            else:
                from deepgrad.ops.linalg import solve

                eye = _eye(n, A)
                Q = solve(eye - A * 0.5, eye + A * 0.5)
            if n != k:
                Q = Q[..., :k]
        else:
            A = X.tril(-1)
            tau = 2.0 / (1.0 + (A * A).sum(-2))
            Q = _householder_product(A, tau)
            xp = get_array_module(X.data)
            sign = xp.trunc(xp.diagonal(X.data, axis1=-2, axis2=-1))  # torch's .int(): no gradient
            Q = Q * _const(sign[..., None, :])
        if "base" in self._buffers:
            from deepgrad.ops.arith import matmul

            Q = matmul(self.base, Q)
        return Q.mT if transposed else Q

    def right_inverse(self, Q):
        with no_grad():
            return self._right_inverse(Q)

    def _right_inverse(self, Q):
        if tuple(Q.shape) != self.shape:
            raise ValueError(f"Expected a matrix or batch of matrices of shape {self.shape}. "
                             f"Got a tensor of shape {tuple(Q.shape)}.")
        q = Q.data
        xp = get_array_module(q)
        n, k = q.shape[-2], q.shape[-1]
        transpose = n < k
        if transpose:
            q = xp.swapaxes(q, -1, -2)
            n, k = k, n
        if "base" not in self._buffers:
            if self.orthogonal_map != _OrthMaps.householder:
                raise NotImplementedError("It is not possible to assign to the matrix exponential or the Cayley "
                                          "parametrizations when use_trivialization=False.")
            h, tau = xp.linalg.qr(q, mode="raw")  # geqrf, in LAPACK's (transposed) layout
            a = xp.ascontiguousarray(xp.swapaxes(h, -1, -2))
            diag = xp.sign(xp.diagonal(a, axis1=-2, axis2=-1))
            diag = xp.where(tau == 0.0, -diag, diag)
            idx = xp.arange(k)
            a[..., idx, idx] = diag
            return _const(xp.swapaxes(a, -1, -2) if transpose else a)
        if n == k:
            base = q.copy() if _is_orthogonal(q) else _make_orthogonal(q)
        else:
            from deepgrad.factories import randn

            extra = randn(*(tuple(q.shape[:-2]) + (n, n - k)), dtype=q.dtype, device=Q.device).data
            base = _make_orthogonal(xp.concatenate([q, extra], axis=-1))
        self.base = _const(base)
        neg_id = xp.zeros_like(Q.data)
        idx = xp.arange(min(neg_id.shape[-2:]))
        neg_id[..., idx, idx] = -1.0
        return _const(neg_id)


def orthogonal(module, name="weight", orthogonal_map=None, *, use_trivialization=True):
    """Make ``module.<name>`` an orthogonal matrix (torch.nn.utils.parametrizations.orthogonal)."""
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if weight.ndim < 2:
        raise ValueError(f"Expected a matrix or batch of matrices. Got a tensor of {weight.ndim} dimensions.")
    if orthogonal_map is None:
        square = weight.shape[-2] == weight.shape[-1]
        orthogonal_map = "matrix_exp" if square or weight.dtype.kind == "c" else "householder"
    orth_enum = getattr(_OrthMaps, orthogonal_map, None)
    if orth_enum is None:
        raise ValueError('orthogonal_map has to be one of "matrix_exp", "cayley", "householder". '
                         f"Got: {orthogonal_map}")
    orth = _Orthogonal(weight, orth_enum, use_trivialization=use_trivialization)
    parametrize.register_parametrization(module, name, orth, unsafe=True)
    return module
