"""Matrix helpers: einsum, diagonal, diag, trace.

``einsum``'s backward is einsum again: the gradient of an operand contracts the output gradient
with the other operands onto that operand's subscripts.  A letter the operand repeats
(``'ii->i'``) is restored with an identity matrix, a letter only that operand has (``'ij->i'``)
with a vector of ones, so every equation NumPy's einsum accepts has a gradient.
"""
from __future__ import annotations

import string
from functools import reduce

import numpy as np

from deepgrad.autograd import Function
from deepgrad.backend import get_array_module as _xp
from deepgrad.errors import op_error
from deepgrad.ops.arith import result_dtype
from deepgrad.ops.shape import _dim, getitem, movedim
from deepgrad.tensor import Tensor, as_tensor


def _parse(equation, ndims):
    """Explicit subscripts (ellipses spelled out with unused letters) and the output's."""
    eq = equation.replace(" ", "")
    lhs, arrow, out = eq.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(ndims):
        raise op_error(ValueError, f"einsum: equation {equation!r} names {len(terms)} operands, got {len(ndims)}")
    used = set(eq) - set(".,->")
    free = [c for c in string.ascii_letters if c not in used]
    n_ell = max([nd - len(t.replace("...", "")) for t, nd in zip(terms, ndims) if "..." in t], default=0)
    ell = "".join(free[:n_ell])
    subs = []
    for t, nd in zip(terms, ndims):
        if "..." in t:
            k = nd - len(t.replace("...", ""))
            t = t.replace("...", ell[n_ell - k:])
        if len(t) != nd:
            raise op_error(ValueError, f"einsum: subscripts {t!r} do not match an operand with {nd} dims "
                                       f"(equation {equation!r})")
        subs.append(t)
    if arrow:
        out = out.replace("...", ell)
    else:  # implicit output: the ellipsis dims, then the letters used once, in alphabetical order
        counts = {}
        for c in "".join(subs):
            counts[c] = counts.get(c, 0) + 1
        out = ell + "".join(sorted(c for c, k in counts.items() if k == 1 and c not in ell))
    return subs, out


class Einsum(Function):
    """numpy.einsum on explicit subscripts (see ``_parse``)."""

    def __init__(self, subs, out):
        self.subs, self.out = subs, out

    def forward(self, *xs):
        dt = reduce(lambda d, x: result_dtype(np.empty(0, d), x), xs[1:], xs[0].dtype)
        xs = [x if x.dtype == dt else x.astype(dt) for x in xs]
        return _xp(xs[0]).einsum(",".join(self.subs) + "->" + self.out, *xs)

    def backward(self, gy):
        grads = []
        for i, x in enumerate(self.inputs):
            grads.append(_operand_grad(self, gy, i) if x.requires_grad else None)
        return tuple(grads)


def _operand_grad(fn, gy, i):
    x = fn.inputs[i]
    xp = _xp(gy.data)
    others = [(s, t) for j, (s, t) in enumerate(zip(fn.subs, fn.inputs)) if j != i]
    letters = set(fn.out) | {c for s, _ in others for c in s}
    target, extra, seen = "", [], set()
    fresh = (c for c in string.ascii_letters if c not in set("".join(fn.subs) + fn.out))
    for c, n in zip(fn.subs[i], x.shape):
        if c in seen:  # a repeated letter: the gradient lives on the diagonal
            new = next(fresh)
            extra.append((c + new, Tensor._make(xp.eye(n, dtype=gy.dtype))))
            c = new
        elif c not in letters:  # summed over by this operand only: the gradient is broadcast
            extra.append((c, Tensor._make(xp.ones(n, dtype=gy.dtype))))
            letters.add(c)
        seen.add(c)
        target += c
    subs = [fn.out] + [s for s, _ in others] + [s for s, _ in extra]
    operands = [gy] + [t for _, t in others] + [t for _, t in extra]
    return Einsum(subs, target)(*operands)


def einsum(equation, *operands):
    """Einstein summation as torch.einsum / numpy.einsum (``'ij,jk->ik'``, ``'bij,bjk->bik'``,
    ``'ii->i'``, ellipses, implicit output); operands may also be given as one list."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if not operands:
        raise op_error(ValueError, "einsum: expected at least one operand")
    ref = next((t for t in operands if isinstance(t, Tensor)), None)
    tensors = [t if isinstance(t, Tensor) else as_tensor(t, like=ref) for t in operands]
    subs, out = _parse(equation, [t.ndim for t in tensors])
    for s, t in zip(subs, tensors):
        for c, n in zip(s, t.shape):
            for s2, t2 in zip(subs, tensors):
                for c2, n2 in zip(s2, t2.shape):
                    if c == c2 and n != n2:
                        raise op_error(ValueError, f"einsum: subscript {c!r} has size {n} and {n2} in equation "
                                                   f"{equation!r} (operand shapes "
                                                   f"{', '.join(str(tuple(u.shape)) for u in tensors)})")
    return Einsum(subs, out)(*tensors)


def diagonal(x, offset=0, dim1=0, dim2=1):
    """The diagonal of dims ``dim1`` and ``dim2`` (shifted by ``offset``), as a new last dim."""
    d1, d2 = _dim(dim1, x.ndim, "diagonal"), _dim(dim2, x.ndim, "diagonal")
    if d1 == d2:
        raise op_error(ValueError, f"diagonal: dim1 and dim2 must differ, got {dim1} and {dim2}")
    n1, n2 = x.shape[d1], x.shape[d2]
    xp = _xp(x.data)
    n = max(min(n1, n2 - offset) if offset >= 0 else min(n1 + offset, n2), 0)
    rows = xp.arange(n) + max(-offset, 0)
    cols = xp.arange(n) + max(offset, 0)
    return getitem(movedim(x, (d1, d2), (-2, -1)), (Ellipsis, rows, cols))


class DiagEmbed(Function):
    """A 1-D tensor placed on the ``k``-th diagonal of a square matrix (numpy.diag)."""

    def __init__(self, k):
        self.k = k

    def forward(self, x):
        return _xp(x).diag(x, self.k)

    def backward(self, gy):
        return diagonal(gy, self.k)


_diagonal = diagonal


def diag(x, diagonal=0):
    """torch.diag: a 1-D tensor becomes a matrix with it on the ``diagonal``-th diagonal; a 2-D
    tensor gives its ``diagonal``-th diagonal."""
    if x.ndim == 1:
        return DiagEmbed(diagonal)(x)
    if x.ndim == 2:
        return _diagonal(x, diagonal)
    raise op_error(ValueError, f"diag: expected a 1-D or 2-D tensor, got shape {x.shape}")


def trace(x):
    """Sum of the main diagonal of a 2-D tensor."""
    from deepgrad.ops.reduction import sum as sum_

    if x.ndim != 2:
        raise op_error(ValueError, f"trace: expected a 2-D tensor, got shape {x.shape}")
    return sum_(diagonal(x))


__all__ = ["einsum", "diagonal", "diag", "trace"]
