"""Linear algebra with gradients: the ops behind ``deepgrad.linalg`` (as ``torch.linalg``).

Inputs are matrices or stacks of matrices ``(..., m, n)``; the array work is ``xp.linalg`` (NumPy on
the CPU, CuPy on a GPU).  Each backward is the matrix calculus torch uses, written with deepgrad ops
so that second derivatives work too (``X^T`` is the transpose of the last two axes):

- inv       Y = A^-1              gA = -Y^T gY Y^T
- det       d = det A             gA = g d A^-T
- slogdet   (sign, log|det A|)    gA = g A^-T
- solve     X = A^-1 B            gB = A^-T gX,   gA = -gB X^T
- cholesky  A = L L^T             gA = L^-T S L^-1,  S = Φ(L^T gL): lower triangle mirrored, halved
- eigh      A = V diag(w) V^T     gA = V (diag(gw) + skew(V^T gV) / (w_j - w_i)) V^T
- svd       A = U diag(s) Vh      gA = U [(skew(U^T gU) s + s skew(V^T gV)) / (s_k^2 - s_j^2) + diag(gs)] Vh
                                       + (I - U U^T) gU s^-1 Vh + U s^-1 gV^T (I - V V^T)
- pinv      torch's pinv_backward (valid at any rank where the rank does not change)

eigh and svd gradients of the vectors need distinct eigen/singular values (torch: the same); the
values alone (eigvalsh, svdvals, matrix norms) are fine everywhere.  ``eigh``/``cholesky`` read the
lower triangle only, as LAPACK; their gradients are symmetric, as torch's.
"""
from __future__ import annotations

import math

import numpy as np

from deepgrad.autograd import Function
from deepgrad.backend import get_array_module as _xp
from deepgrad.errors import op_error
from deepgrad.tensor import Tensor, as_tensor

__all__ = ["inverse", "det", "logdet", "slogdet", "pinverse", "matrix_power", "cholesky"]


class LinAlgError(RuntimeError):
    """A matrix the factorisation cannot take (singular, not positive-definite): torch.linalg.LinAlgError."""


class _ShapeError(ValueError, RuntimeError):
    """Wrong shapes or dtypes (torch raises RuntimeError; ValueError for Python's idiom)."""


def _check(name, a, square=True):
    if not isinstance(a, Tensor):
        a = as_tensor(a)
    if a.ndim < 2:
        raise op_error(_ShapeError, f"{name}: A must have at least 2 dimensions, got shape {tuple(a.shape)}")
    if square and a.shape[-1] != a.shape[-2]:
        raise op_error(_ShapeError, f"{name}: A must be batches of square matrices, but they are "
                                    f"{a.shape[-2]} by {a.shape[-1]} matrices")
    if a.dtype.kind != "f":
        raise op_error(_ShapeError, f"{name}: expected a floating point tensor as input, got {a.dtype}")
    return a


def _lapack(name, fn, *arrays, what="singular"):
    """``fn(*arrays)`` with NumPy's LinAlgError turned into one that names the op."""
    try:
        return fn(*arrays)
    except np.linalg.LinAlgError as e:
        raise op_error(LinAlgError, f"{name}: the input matrix is {what} ({e})") from e


def _eye_like(k, like):
    return Tensor(_xp(like.data).eye(k, dtype=like.dtype))


def _output(fn, i, saved):
    """Output ``i`` of ``fn`` as recorded (so that second derivatives see it), or, where the caller
    dropped it (``svdvals`` keeps only S), the array saved in forward."""
    out = fn.outputs[i]()
    return out if out is not None else Tensor(saved)


def _diag_embed(v):
    """(..., k) -> (..., k, k) with v on the diagonal."""
    return v.unsqueeze(-1) * _eye_like(v.shape[-1], v)


# -- inverse, determinant ------------------------------------------------------------------------------
class Inv(Function):
    def forward(self, a):
        return _lapack("linalg.inv", _xp(a).linalg.inv, a)

    def backward(self, gy):
        yt = self.outputs[0]().mT
        return -(yt @ gy @ yt)


class Det(Function):
    def forward(self, a):
        return _xp(a).linalg.det(a)

    def backward(self, gd):
        a, d = self.inputs[0], self.outputs[0]()
        return (gd * d).unsqueeze(-1).unsqueeze(-1) * Inv()(a).mT


class Slogdet(Function):
    """(sign, log|det A|); only the second has a gradient."""

    def forward(self, a):
        sign, logabs = _xp(a).linalg.slogdet(a)
        return sign.astype(a.dtype, copy=False), logabs.astype(a.dtype, copy=False)

    def backward(self, gsign, glog):
        if glog is None:
            return None
        return glog.unsqueeze(-1).unsqueeze(-1) * Inv()(self.inputs[0]).mT


def inverse(a):
    """A^-1 of a square matrix or a stack (torch.inverse, torch.linalg.inv)."""
    return Inv()(_check("linalg.inv", a))


def det(a):
    """det A (torch.det, torch.linalg.det); the gradient needs A invertible."""
    return Det()(_check("linalg.det", a))


def slogdet(a):
    """(sign, log|det A|) (torch.slogdet, torch.linalg.slogdet)."""
    return Slogdet()(_check("linalg.slogdet", a))


def logdet(a):
    """log det A: NaN for a negative determinant, -inf for 0 (torch.logdet)."""
    return det(a).log()


# -- solve ------------------------------------------------------------------------------------------------
class Solve(Function):
    """X = A^-1 B for A (..., n, n) and B (..., n, k) with the same batch shape."""

    def forward(self, a, b):
        return _lapack("linalg.solve", _xp(a).linalg.solve, a, b)

    def backward(self, gx):
        a, b = self.inputs
        gb = Solve()(a.mT, gx)
        ga = -(gb @ self.outputs[0]().mT) if a.requires_grad else None
        return ga, (gb if b.requires_grad else None)


def solve(a, b, *, left=True):
    """X with A X = B (left) or X A = B (``left=False``); B is a vector when it has one dimension
    less than A and the same batch shape, or is 1-D (torch.linalg.solve).  Batch dims broadcast."""
    from deepgrad.ops.arith import result_dtype

    a = _check("linalg.solve", a)
    b = b if isinstance(b, Tensor) else as_tensor(b, like=a)
    if not left:
        return solve(a.mT, b.mT).mT
    dt = result_dtype(a.data, b.data)
    a, b = a.type(dt), b.type(dt)
    n = a.shape[-1]
    vector = b.ndim == 1 or (b.ndim == a.ndim - 1 and tuple(b.shape[:-1]) == tuple(a.shape[:-2]))
    if vector:
        b = b.unsqueeze(-1)
    if b.shape[-2] != n:
        raise op_error(_ShapeError, f"linalg.solve: incompatible shapes of A {tuple(a.shape)} and B "
                                    f"{tuple(b.shape[:-1] if vector else b.shape)}: B needs {n} rows")
    try:
        batch = tuple(np.broadcast_shapes(tuple(a.shape[:-2]), tuple(b.shape[:-2])))
    except ValueError as e:
        raise op_error(_ShapeError, f"linalg.solve: the batch shapes of A {tuple(a.shape)} and B "
                                    f"{tuple(b.shape)} do not broadcast") from e
    a = a if tuple(a.shape[:-2]) == batch else a.broadcast_to(batch + tuple(a.shape[-2:]))
    b = b if tuple(b.shape[:-2]) == batch else b.broadcast_to(batch + tuple(b.shape[-2:]))
    x = Solve()(a, b)
    return x.squeeze(-1) if vector else x


def solve_triangular(a, b, *, upper, left=True, unitriangular=False):
    """X with A X = B for a triangular A (only its triangle is read) (torch.linalg.solve_triangular)."""
    a = _check("linalg.solve_triangular", a)
    t = a.triu() if upper else a.tril()
    if unitriangular:
        eye = _eye_like(a.shape[-1], a)
        t = t * (1 - eye) + eye
    return solve(t, b, left=left)


# -- factorisations ---------------------------------------------------------------------------------------
class Cholesky(Function):
    def forward(self, a):
        return _lapack("linalg.cholesky", _xp(a).linalg.cholesky, a, what="not positive-definite")

    def backward(self, gl):
        el = self.outputs[0]()
        p = (el.mT @ gl).tril()
        s = 0.5 * (p + p.tril(-1).mT)
        x = Solve()(el.mT, s)
        return Solve()(el.mT, x.mT).mT


def cholesky(a, upper=False):
    """L with A = L L^T (``upper=True``: U = L^T with A = U^T U) (torch.linalg.cholesky)."""
    el = Cholesky()(_check("linalg.cholesky", a))
    return el.mT if upper else el


class Eigh(Function):
    def __init__(self, uplo):
        self.uplo = uplo

    def forward(self, a):
        w, v = _lapack("linalg.eigh", _xp(a).linalg.eigh, a, self.uplo)
        self.w, self.v = w.astype(a.dtype, copy=False), v
        return self.w, v

    def backward(self, gw, gv):
        w, v = _output(self, 0, self.w), _output(self, 1, self.v)
        inner = None
        if gv is not None:
            m = v.mT @ gv
            m = 0.5 * (m - m.mT)
            e = w.unsqueeze(-2) - w.unsqueeze(-1) + _eye_like(w.shape[-1], w)  # e_ij = w_j - w_i, 1 on the diagonal
            inner = m / e
        if gw is not None:
            inner = _diag_embed(gw) if inner is None else inner + _diag_embed(gw)
        return None if inner is None else v @ inner @ v.mT


def eigh(a, UPLO="L"):  # noqa: N803 - torch's name
    """(eigenvalues ascending, eigenvectors as columns) of a symmetric matrix (torch.linalg.eigh)."""
    if UPLO not in ("L", "U"):
        raise op_error(_ShapeError, f"linalg.eigh: UPLO must be 'L' or 'U', got {UPLO!r}")
    return Eigh(UPLO)(_check("linalg.eigh", a))


def eigvalsh(a, UPLO="L"):  # noqa: N803
    """Eigenvalues of a symmetric matrix, ascending (torch.linalg.eigvalsh)."""
    return eigh(a, UPLO)[0]


class Svd(Function):
    def __init__(self, full_matrices):
        self.full = full_matrices

    def forward(self, a):
        u, s, vh = _lapack("linalg.svd", _xp(a).linalg.svd, a, self.full, what="not decomposable")
        self.u, self.s, self.vh = u, s.astype(a.dtype, copy=False), vh
        return u, self.s, vh

    def backward(self, gu, gs, gvh):
        u, s, vh = _output(self, 0, self.u), _output(self, 1, self.s), _output(self, 2, self.vh)
        m, n = self.inputs[0].shape[-2:]
        k = min(m, n)
        if self.full:  # the extra columns of U / rows of Vh do not depend on A smoothly: use the first k
            u, vh = u[..., :k], vh[..., :k, :]
            gu = None if gu is None else gu[..., :k]
            gvh = None if gvh is None else gvh[..., :k, :]
        if gu is None and gvh is None:
            return None if gs is None else u @ (gs.unsqueeze(-1) * vh)
        v, gv = vh.mT, None if gvh is None else gvh.mT
        s2 = s * s
        e = s2.unsqueeze(-2) - s2.unsqueeze(-1) + _eye_like(k, s)  # e_jk = s_k^2 - s_j^2, 1 on the diagonal
        inner = 0
        if gu is not None:
            uhgu = u.mT @ gu
            inner = (uhgu - uhgu.mT) * s.unsqueeze(-2)
        if gv is not None:
            vhgv = v.mT @ gv
            inner = inner + s.unsqueeze(-1) * (vhgv - vhgv.mT)
        inner = inner / e
        if gs is not None:
            inner = inner + _diag_embed(gs)
        ga = u @ inner @ vh
        if m > k and gu is not None:
            ga = ga + ((gu - u @ (u.mT @ gu)) / s.unsqueeze(-2)) @ vh
        if n > k and gv is not None:
            ga = ga + u @ ((gv - v @ (v.mT @ gv)) / s.unsqueeze(-2)).mT
        return ga


def svd(a, full_matrices=True):
    """(U, S, Vh) with A = U diag(S) Vh (torch.linalg.svd).  Gradients through U and Vh need
    distinct singular values; with ``full_matrices=True`` only their first min(m, n) columns/rows carry one."""
    return Svd(bool(full_matrices))(_check("linalg.svd", a, square=False))


def svdvals(a):
    """Singular values, descending (torch.linalg.svdvals)."""
    return svd(a, full_matrices=False)[1]


class Qr(Function):
    def __init__(self, mode):
        self.mode = mode

    def forward(self, a):
        q, r = _lapack("linalg.qr", _xp(a).linalg.qr, a, self.mode, what="not decomposable")
        self.q, self.r = q, r
        return q, r

    def backward(self, gq, gr):
        q, r = _output(self, 0, self.q), _output(self, 1, self.r)
        m, n = self.inputs[0].shape[-2:]
        if self.mode == "complete" and m > n:
            raise op_error(RuntimeError, "linalg.qr: the QR decomposition is not differentiable when "
                                         "mode='complete' and nrows > ncols (as torch)")
        gq = gq if gq is not None else q * 0
        gr = gr if gr is not None else r * 0
        if m >= n:
            return _qr_grad(q, r, gq, gr)
        # a wide A = [X | Y], R = [U | V]: X = Q U is square, Y = Q V (the formula of TensorFlow's QrGrad)
        a = self.inputs[0]
        y, u, gv = a[..., m:], r[..., :m], gr[..., m:]
        gx = _qr_grad(q, u, gq + y @ gv.mT, gr[..., :m])
        from deepgrad.ops.shape import cat

        return cat([gx, q @ gv], dim=-1)


def _qr_grad(q, r, gq, gr):
    """gA for A = QR with m >= n: Q (gR + tril(Q^T gQ - gQ^T Q + R gR^T - gR R^T) R^-T) + (gQ - Q Q^T gQ) R^-T."""
    qdq = q.mT @ gq
    rdr = r @ gr.mT
    low = (qdq - qdq.mT + rdr - rdr.mT).tril()
    rinv_t = lambda x: Solve()(r, x.mT).mT  # noqa: E731 - x R^-T, R upper triangular
    return q @ (gr + rinv_t(low)) + rinv_t(gq - q @ qdq)


def qr(a, mode="reduced"):
    """(Q, R) with A = QR, Q with orthonormal columns, R upper triangular (torch.linalg.qr);
    ``mode='r'`` gives (empty Q, R) without a gradient, as torch."""
    if mode not in ("reduced", "complete", "r"):
        raise op_error(_ShapeError, f"linalg.qr: qr received unrecognized mode '{mode}' but expected one of "
                                    "'reduced' (default), 'r', or 'complete'")
    a = _check("linalg.qr", a, square=False)
    if mode == "r":
        r = _xp(a.data).linalg.qr(a.data, "r")
        return Tensor(_xp(a.data).zeros(0, dtype=a.dtype)), Tensor(r)
    return Qr(mode)(a)


class Pinv(Function):
    def __init__(self, rtol):
        self.rtol = rtol

    def forward(self, a):
        xp = _xp(a)
        u, s, vh = _lapack("linalg.pinv", xp.linalg.svd, a, False, what="not decomposable")
        if s.shape[-1] == 0:
            return xp.zeros(a.shape[:-2] + (a.shape[-1], a.shape[-2]), dtype=a.dtype)
        rtol = self.rtol if self.rtol is not None else max(a.shape[-2:]) * np.finfo(a.dtype).eps
        keep = s > rtol * s.max(axis=-1, keepdims=True)
        sinv = xp.where(keep, 1 / xp.where(keep, s, 1), 0).astype(a.dtype, copy=False)
        return (vh.swapaxes(-1, -2) * sinv[..., None, :]) @ u.swapaxes(-1, -2)

    def backward(self, g):
        a, p = self.inputs[0], self.outputs[0]()
        m, n = a.shape[-2:]
        ph, gh = p.mT, g.mT
        if m <= n:
            k = gh @ p
            kph = k @ ph
            return -(p @ k).mT + kph - (a @ p) @ kph + (ph @ p) @ (gh - k @ a)
        k = p @ gh
        phk = ph @ k
        return -(k @ p).mT + (gh - a @ k) @ p @ ph + phk - phk @ p @ a


def pinv(a, *, rtol=None, hermitian=False):
    """Moore-Penrose pseudo-inverse via the SVD; singular values below ``rtol * max(S)`` count as 0
    (default rtol: max(m, n) * eps) (torch.linalg.pinv)."""
    return Pinv(rtol)(_check("linalg.pinv", a, square=False))


def pinverse(a, rcond=1e-15):
    """torch.pinverse: ``pinv`` with ``rcond`` as the relative cutoff."""
    return pinv(a, rtol=rcond)


# -- powers, norms and products -------------------------------------------------------------------------
def matrix_power(a, n):
    """A^n for an integer n (negative: of A^-1; 0: the identity) (torch.linalg.matrix_power)."""
    a = _check("linalg.matrix_power", a)
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool):
        raise op_error(TypeError, f"linalg.matrix_power: n must be an int, got {type(n).__name__}")
    if n == 0:  # the identity, recorded with a zero gradient for A (as torch)
        from deepgrad.ops.elementwise import where

        eye = _eye_like(a.shape[-1], a)
        return where(Tensor(_xp(a.data).zeros(a.shape, dtype=bool)), a, eye.broadcast_to(a.shape))
    base, n = (inverse(a), -n) if n < 0 else (a, n)
    out = None
    while n:
        if n & 1:
            out = base if out is None else out @ base
        n >>= 1
        if n:
            base = base @ base
    return out


def _dims(name, x, dim, count):
    dims = (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim)
    if len(dims) != count:
        raise op_error(_ShapeError, f"{name}: dim must be {count} dimension(s), got {dim!r}")
    nd = x.ndim
    out = tuple(d + nd if d < 0 else d for d in dims)
    if any(not 0 <= d < nd for d in out) or len(set(out)) != count:
        raise op_error(_ShapeError, f"{name}: dims {dim!r} out of range or repeated for a {nd}-D tensor")
    return out


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None):  # noqa: A002 - torch's name
    """(sum |x|^ord)^(1/ord) over ``dim`` (None: all elements); ord inf/-inf/0 as torch."""
    from deepgrad.ops.reduction import norm

    return norm(x, p=ord, dim=dim, keepdim=keepdim, dtype=dtype)


def matrix_norm(a, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None):  # noqa: A002
    """'fro', 'nuc', 2, -2 (largest / smallest singular value), 1, -1 (max / min column sum of |a|),
    inf, -inf (max / min row sum) over the two dims ``dim`` (torch.linalg.matrix_norm)."""
    from deepgrad.ops.reduction import amax, amin, norm
    from deepgrad.ops.reduction import sum as _sum
    from deepgrad.ops.shape import movedim

    a = a if isinstance(a, Tensor) else as_tensor(a)
    if dtype is not None:
        a = a.type(dtype)
    _check("linalg.matrix_norm", a, square=False)
    r, c = _dims("linalg.matrix_norm", a, dim, 2)
    if ord == "fro":
        return norm(a, p="fro", dim=(r, c), keepdim=keepdim)
    if ord not in ("nuc", 2, -2, 1, -1, math.inf, -math.inf):
        raise op_error(_ShapeError, f"linalg.matrix_norm: ord must be 'fro', 'nuc', 1, -1, 2, -2, inf or -inf, "
                                    f"got {ord!r}")
    m = movedim(a, (r, c), (-2, -1))
    if ord in ("nuc", 2, -2):
        s = svdvals(m)
        out = _sum(s, dim=-1) if ord == "nuc" else amax(s, dim=-1) if ord == 2 else amin(s, dim=-1)
    else:
        sums = _sum(m.abs(), dim=-2 if ord in (1, -1) else -1)
        out = amax(sums, dim=-1) if ord in (1, math.inf) else amin(sums, dim=-1)
    if keepdim:
        for d in sorted((r, c)):
            out = out.unsqueeze(d)
    return out


def norm(a, ord=None, dim=None, keepdim=False, *, dtype=None):  # noqa: A002
    """torch.linalg.norm: a vector norm for an int ``dim`` or a 1-D input, a matrix norm for a
    2-tuple ``dim`` or a 2-D input with ``ord`` given; no ord and no dim: the 2-norm of all elements."""
    a = a if isinstance(a, Tensor) else as_tensor(a)
    if dim is None:
        if ord is None:
            return vector_norm(a, 2, None, keepdim, dtype=dtype)
        if a.ndim not in (1, 2):
            raise op_error(_ShapeError, f"linalg.norm: with ord={ord!r} and no dim, A must be 1-D or 2-D, "
                                        f"got {a.ndim}-D")
        dim = (-2, -1) if a.ndim == 2 else -1
    if isinstance(dim, (int, np.integer)) or len(dim) == 1:
        return vector_norm(a, 2 if ord is None else ord, dim, keepdim, dtype=dtype)
    return matrix_norm(a, "fro" if ord is None else ord, dim, keepdim, dtype=dtype)


def cross(a, b, dim=-1):
    """The cross product of 3-vectors along ``dim``; batch dims broadcast (torch.linalg.cross)."""
    from deepgrad.ops.composite import select
    from deepgrad.ops.shape import stack

    a = a if isinstance(a, Tensor) else as_tensor(a)
    b = b if isinstance(b, Tensor) else as_tensor(b, like=a)
    if a.ndim != b.ndim:
        raise op_error(_ShapeError, f"linalg.cross: inputs must have the same number of dimensions, got shapes "
                                    f"{tuple(a.shape)} and {tuple(b.shape)}")
    try:
        shape = tuple(np.broadcast_shapes(tuple(a.shape), tuple(b.shape)))
    except ValueError as e:
        raise op_error(_ShapeError, f"linalg.cross: shapes {tuple(a.shape)} and {tuple(b.shape)} do not "
                                    "broadcast") from e
    if not -len(shape) <= dim < len(shape) or shape[dim] != 3:
        raise op_error(_ShapeError, f"linalg.cross: inputs must have size 3 along dim {dim}, got shapes "
                                    f"{tuple(a.shape)} and {tuple(b.shape)}")
    a = a if tuple(a.shape) == shape else a.broadcast_to(shape)
    b = b if tuple(b.shape) == shape else b.broadcast_to(shape)
    d = dim if dim >= 0 else len(shape) + dim
    (a0, a1, a2), (b0, b1, b2) = ([select(t, d, i) for i in range(3)] for t in (a, b))
    return stack([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0], dim=d)


def vecdot(x, y, *, dim=-1):
    """Sum of x * y along ``dim`` (torch.linalg.vecdot, real inputs)."""
    return (x * y).sum(dim)


def multi_dot(tensors):
    """A product of matrices, first and last may be vectors (torch.linalg.multi_dot)."""
    ts = list(tensors)
    if len(ts) < 2:
        raise op_error(_ShapeError, f"linalg.multi_dot: expected at least 2 tensors, got {len(ts)}")
    out = ts[0]
    for t in ts[1:]:
        out = out @ t
    return out


def matrix_rank(a, *, atol=None, rtol=None, hermitian=False):
    """The number of singular values above max(atol, rtol * max(S)) (no gradient) (torch.linalg.matrix_rank)."""
    a = _check("linalg.matrix_rank", a, square=False)
    xp = _xp(a.data)
    s = xp.linalg.svd(a.data, compute_uv=False)
    eps = np.finfo(a.dtype).eps
    if rtol is None:
        rtol = 0.0 if atol is not None and atol > 0 else max(a.shape[-2:]) * eps
    smax = s.max(axis=-1) if s.shape[-1] else xp.zeros(s.shape[:-1], dtype=s.dtype)
    tol = xp.maximum(atol or 0.0, rtol * smax)
    return Tensor((s > tol[..., None]).sum(axis=-1).astype(np.int64))
