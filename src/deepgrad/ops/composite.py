"""PyTorch conveniences written with other ops (their gradients come from those ops): swapaxes,
ravel, select, masked_select, index_add, index_fill, take_along_dim, tensor_split, broadcast_tensors,
meshgrid, hstack/vstack, lerp, exp2, addcmul/addcdiv, addmm, mv, inner, tensordot, cdist, nansum/nanmean,
aminmax, cummax/cummin, count_nonzero, argwhere, bincount, searchsorted, bucketize."""
from __future__ import annotations

import math
from collections import namedtuple

import numpy as np

from deepgrad.backend import get_array_module as _xp
from deepgrad.errors import op_error
from deepgrad.ops import arith, elementwise, reduction, shape
from deepgrad.ops.shape import _dim, _index_array
from deepgrad.tensor import Tensor, as_tensor


def _t(x):
    return x if isinstance(x, Tensor) else as_tensor(x)


# -- reshaping and selection ----------------------------------------------------------------------
def swapaxes(x, axis0, axis1):
    """Swap two dims (torch.swapaxes / swapdims / transpose)."""
    return shape.transpose(x, axis0, axis1)


swapdims = swapaxes


def t(x):
    """Transpose of a tensor of at most 2 dims (torch.t)."""
    return x.t()


def ravel(x):
    """The elements as a 1-D tensor."""
    return shape.reshape(x, (-1,))


def select(x, dim, index):
    """The slice ``index`` of dim ``dim``, that dim removed (``x.select(1, 0)`` is ``x[:, 0]``)."""
    d = _dim(dim, x.ndim, "select")
    n = x.shape[d]
    if not -n <= index < n:
        raise op_error(IndexError, f"select: index {index} is out of range for dim {d} of size {n}")
    return shape.getitem(x, (slice(None),) * d + (index % n,))


def masked_select(x, mask):
    """The elements where the boolean ``mask`` (broadcast with x) is True, as a 1-D tensor."""
    m = mask.data if isinstance(mask, Tensor) else np.asarray(mask)
    if m.dtype != np.bool_:
        raise op_error(TypeError, f"masked_select: mask must be a boolean tensor, got dtype {m.dtype}")
    try:
        out_shape = np.broadcast_shapes(tuple(x.shape), tuple(m.shape))
    except ValueError:
        raise op_error(ValueError, f"masked_select: mask of shape {tuple(m.shape)} does not broadcast with "
                                   f"the input shape {tuple(x.shape)}") from None
    if tuple(out_shape) != tuple(x.shape):
        x = shape.broadcast_to(x, out_shape)
    return shape.getitem(x, _xp(x.data).broadcast_to(m, out_shape))


def index_add(x, dim, index, source, *, alpha=1):
    """``x`` with ``alpha * source`` added at the positions ``index`` of dim ``dim`` (repeats add up)."""
    idx = _index_array(index, "index_add").reshape(-1)
    d = _dim(dim, x.ndim, "index_add")
    source = _t(source)
    expected = x.shape[:d] + (idx.size,) + x.shape[d + 1:]
    if tuple(source.shape) != expected:
        raise op_error(ValueError, f"index_add: source of shape {source.shape} does not match {expected}, the "
                                   f"input shape {x.shape} with dim {d} of the index's length {idx.size}")
    shape._check_range(idx, 0, x.shape[d], "index_add", f"dim {d}")
    view = [1] * x.ndim
    view[d] = idx.size
    full = _xp(idx).broadcast_to(idx.reshape(view), expected)
    if alpha != 1:
        source = source * alpha
    flat = shape._flat_positions(x.shape, full, d)
    return arith.add(x, shape.ScatterAddFlat(flat, x.shape)(source))


def index_fill(x, dim, index, value):
    """``x`` with ``value`` written into the slices ``index`` of dim ``dim``."""
    idx = _index_array(index, "index_fill").reshape(-1)
    d = _dim(dim, x.ndim, "index_fill")
    shape._check_range(idx, -x.shape[d], x.shape[d], "index_fill", f"dim {d}")
    xp = _xp(x.data)
    mask = xp.zeros(x.shape[d], dtype=bool)
    mask[idx] = True
    view = [1] * x.ndim
    view[d] = x.shape[d]
    return shape.masked_fill(x, mask.reshape(view), value)


def take_along_dim(x, indices, dim=None):
    """numpy.take_along_axis: ``gather`` with the index broadcast against x (flattened when dim is None)."""
    idx = _index_array(indices, "take_along_dim")
    if dim is None:
        return shape.take(x, idx.reshape(-1))
    d = _dim(dim, x.ndim, "take_along_dim")
    if idx.ndim != x.ndim:
        raise op_error(ValueError, f"take_along_dim: indices of shape {tuple(idx.shape)} need the {x.ndim} dims "
                                   f"of the input (shape {x.shape})")
    other = [max(a, b) for a, b in zip(idx.shape, x.shape)]
    xs, ids = list(other), list(other)
    xs[d], ids[d] = x.shape[d], idx.shape[d]
    x = shape.broadcast_to(x, tuple(xs))
    return shape.gather(x, d, _xp(idx).broadcast_to(idx, tuple(ids)))


def tensor_split(x, indices_or_sections, dim=0):
    """Split into ``n`` nearly equal parts (the first ``size % n`` one longer) or at the given indices."""
    d = _dim(dim, x.ndim, "tensor_split")
    n = x.shape[d]
    if isinstance(indices_or_sections, int):
        k = indices_or_sections
        if k <= 0:
            raise op_error(ValueError, f"tensor_split: sections must be positive, got {k}")
        sizes = [n // k + (1 if i < n % k else 0) for i in range(k)]
    else:
        cuts = [min(max(int(i) if i >= 0 else int(i) + n, 0), n) for i in indices_or_sections]
        bounds = [0] + cuts + [n]
        sizes = [max(b - a, 0) for a, b in zip(bounds[:-1], bounds[1:])]
        if sum(sizes) != n:  # decreasing indices: torch gives empty pieces; keep the slices exact
            return tuple(shape.narrow(x, d, a, max(min(b, n) - a, 0)) for a, b in zip(bounds[:-1], bounds[1:]))
    return shape.split(x, sizes, d)


def broadcast_tensors(*tensors):
    """The tensors broadcast to their common shape."""
    tensors = [_t(x) for x in tensors]
    try:
        common = np.broadcast_shapes(*[tuple(x.shape) for x in tensors])
    except ValueError:
        raise op_error(ValueError, "broadcast_tensors: shapes " + ", ".join(str(tuple(x.shape)) for x in tensors)
                       + " do not broadcast together") from None
    return tuple(shape.broadcast_to(x, common) for x in tensors)


def meshgrid(*tensors, indexing="ij"):
    """Coordinate grids from 1-D tensors; ``indexing='ij'`` (matrix, torch's default) or ``'xy'``."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing not in ("ij", "xy"):
        raise op_error(ValueError, f"meshgrid: indexing must be 'ij' or 'xy', got {indexing!r}")
    tensors = [shape.reshape(_t(x), (-1,)) for x in tensors]
    k = len(tensors)
    sizes = [x.shape[0] for x in tensors]
    if indexing == "xy" and k >= 2:
        sizes[0], sizes[1] = sizes[1], sizes[0]
    out = []
    for i, x in enumerate(tensors):
        pos = i if indexing == "ij" or k < 2 else {0: 1, 1: 0}.get(i, i)
        view = [1] * k
        view[pos] = x.shape[0]
        out.append(shape.broadcast_to(shape.reshape(x, tuple(view)), tuple(sizes)))
    return tuple(out)


def atleast_1d(x):
    x = _t(x)
    return shape.reshape(x, (1,)) if x.ndim == 0 else x


def atleast_2d(x):
    x = _t(x)
    return shape.reshape(x, (1,) * (2 - x.ndim) + tuple(x.shape)) if x.ndim < 2 else x


def hstack(tensors):
    """Concatenate along dim 1 (dim 0 for 1-D tensors)."""
    tensors = [atleast_1d(x) for x in tensors]
    return shape.cat(tensors, 0 if tensors[0].ndim == 1 else 1)


def vstack(tensors):
    """Concatenate along dim 0 after making every tensor at least 2-D."""
    return shape.cat([atleast_2d(x) for x in tensors], 0)


row_stack = vstack


# -- arithmetic ------------------------------------------------------------------------------------
def lerp(start, end, weight):
    """start + weight * (end - start)."""
    return start + weight * (end - start)


def exp2(x):
    """2 ** x, elementwise."""
    return elementwise.exp(_t(x) * math.log(2.0))


def sgn(x):
    """The sign of a real tensor (torch.sgn)."""
    return elementwise.sign(x)


def addcmul(x, tensor1, tensor2, *, value=1):
    """x + value * tensor1 * tensor2."""
    return x + tensor1 * tensor2 * value


def addcdiv(x, tensor1, tensor2, *, value=1):
    """x + value * tensor1 / tensor2."""
    return x + tensor1 / tensor2 * value


def addmm(x, mat1, mat2, *, beta=1, alpha=1):
    """beta * x + alpha * (mat1 @ mat2) for 2-D mat1 and mat2."""
    prod = arith.mm(mat1, mat2)
    return (x if beta == 1 else x * beta) + (prod if alpha == 1 else prod * alpha)


def mv(mat, vec):
    """Matrix (2-D) times vector (1-D)."""
    if mat.ndim != 2 or vec.ndim != 1:
        raise op_error(ValueError, f"mv: expected a 2-D matrix and a 1-D vector, got shapes {mat.shape} and "
                                   f"{vec.shape}")
    return arith.matmul(mat, vec)


def inner(a, b):
    """Sum over the last dims of a and b (a scalar product for 1-D tensors)."""
    a, b = _t(a), _t(b)
    if a.ndim == 0 or b.ndim == 0:
        return a * b
    return tensordot(a, b, dims=([a.ndim - 1], [b.ndim - 1]))


def tensordot(a, b, dims=2):
    """Contract the last ``dims`` dims of a with the first of b, or the listed pairs ``([..], [..])``."""
    from deepgrad.ops.matrix import einsum

    a, b = _t(a), _t(b)
    if isinstance(dims, int):
        da, db = list(range(a.ndim - dims, a.ndim)), list(range(dims))
    else:
        da, db = ([dims[0]] if isinstance(dims[0], int) else list(dims[0])), \
                 ([dims[1]] if isinstance(dims[1], int) else list(dims[1]))
    da = [_dim(d, a.ndim, "tensordot") for d in da]
    db = [_dim(d, b.ndim, "tensordot") for d in db]
    if len(da) != len(db) or any(a.shape[i] != b.shape[j] for i, j in zip(da, db)):
        raise op_error(ValueError, f"tensordot: dims {da} of shape {a.shape} do not match dims {db} of shape "
                                   f"{b.shape}")
    letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
    sa = list(letters[:a.ndim])
    sb = list(letters[a.ndim:a.ndim + b.ndim])
    for i, j in zip(da, db):
        sb[j] = sa[i]
    out = [c for i, c in enumerate(sa) if i not in da] + [c for j, c in enumerate(sb) if j not in db]
    return einsum(f"{''.join(sa)},{''.join(sb)}->{''.join(out)}", a, b)


# -- reductions --------------------------------------------------------------------------------------
def nansum(x, dim=None, keepdim=False):
    """Sum treating NaN as 0."""
    return reduction.sum(elementwise.where(_isnan(x), 0.0, x), dim=dim, keepdim=keepdim)


def nanmean(x, dim=None, keepdim=False):
    """Mean of the elements that are not NaN."""
    keep = ~_isnan(x)
    total = reduction.sum(elementwise.where(keep, x, 0.0), dim=dim, keepdim=keepdim)
    count = reduction.sum(Tensor._make(keep.data.astype(x.dtype)), dim=dim, keepdim=keepdim)
    return total / count


def _isnan(x):
    return Tensor._make(_xp(x.data).isnan(x.data))


aminmax_return = namedtuple("aminmax", ["min", "max"])


def aminmax(x, *, dim=None, keepdim=False):
    """``(min, max)`` over ``dim`` (all elements when None)."""
    return aminmax_return(reduction.amin(x, dim=dim, keepdim=keepdim), reduction.amax(x, dim=dim, keepdim=keepdim))


def count_nonzero(x, dim=None):
    """Number of nonzero elements (over ``dim``), int64."""
    x = _t(x)
    d = None if dim is None else (tuple(_dim(i, x.ndim, "count_nonzero") for i in dim)
                                  if isinstance(dim, (tuple, list)) else _dim(dim, x.ndim, "count_nonzero"))
    return Tensor._make(_xp(x.data).asarray((x.data != 0).sum(axis=d), dtype=np.int64))


def argwhere(x):
    """Indices of the nonzero elements, one row each (torch.argwhere)."""
    from deepgrad.ops.compare import nonzero

    return nonzero(_t(x))


def cdist(x1, x2, p=2.0):
    """Pairwise p-norm distances between the rows of x1 (..., n, d) and x2 (..., m, d): (..., n, m)."""
    if x1.ndim < 2 or x2.ndim < 2 or x1.shape[-1] != x2.shape[-1]:
        raise op_error(ValueError, f"cdist: expected (..., n, d) and (..., m, d) with the same d, got shapes "
                                   f"{x1.shape} and {x2.shape}")
    diff = shape.unsqueeze(x1, -2) - shape.unsqueeze(x2, -3)
    return reduction.norm(diff, p=p, dim=-1)


cummax_return = namedtuple("cummax", ["values", "indices"])
cummin_return = namedtuple("cummin", ["values", "indices"])


def _cumulative_extremum(x, dim, largest):
    name = "cummax" if largest else "cummin"
    x = _t(x)
    if x.ndim == 0:
        return (cummax_return if largest else cummin_return)(x, Tensor._make(_xp(x.data).zeros((), np.int64)))
    d = _dim(dim, x.ndim, name)
    xp = _xp(x.data)
    running = _accumulate("maximum" if largest else "minimum", x.data, d)
    view = [1] * x.ndim
    view[d] = x.shape[d]
    pos = xp.broadcast_to(xp.arange(x.shape[d], dtype=np.int64).reshape(view), x.shape)
    idx = _accumulate("maximum", xp.where(x.data == running, pos, 0), d)  # ties: the latest (torch)
    return (cummax_return if largest else cummin_return)(shape.gather(x, d, idx), Tensor._make(idx))


def _accumulate(ufunc, a, axis):
    """``np.maximum.accumulate`` / ``np.minimum.accumulate``; CuPy has only add's and multiply's, so
    on the GPU a prefix scan by doubling: log2(n) elementwise steps, on the device."""
    xp = _xp(a)
    if xp is np:
        return getattr(np, ufunc).accumulate(a, axis=axis)
    out = xp.moveaxis(a, axis, -1).copy()
    step, n = 1, out.shape[-1]
    while step < n:
        out[..., step:] = getattr(xp, ufunc)(out[..., step:], out[..., :-step])
        step *= 2
    return xp.moveaxis(out, -1, axis)


def cummax(x, dim):
    """Running maximum along ``dim``: ``(values, indices)``; the gradient goes to the indices."""
    return _cumulative_extremum(x, dim, True)


def cummin(x, dim):
    """Running minimum along ``dim``: ``(values, indices)``."""
    return _cumulative_extremum(x, dim, False)


def bincount(x, weights=None, minlength=0):
    """Counts of each value of a 1-D non-negative integer tensor (weighted sums with ``weights``)."""
    idx = _index_array(x, "bincount")
    if idx.ndim != 1 or (idx.size and int(idx.min()) < 0):
        raise op_error(ValueError, f"bincount: expected a 1-D tensor of non-negative integers, got shape "
                                   f"{tuple(idx.shape)}")
    w = None if weights is None else _t(weights).data
    out = _xp(idx).bincount(idx, weights=w, minlength=minlength)
    return Tensor._make(out.astype(w.dtype if w is not None else np.int64))


def searchsorted(sorted_sequence, values, *, right=False, side=None):
    """Insertion points of ``values`` into the last dim of ``sorted_sequence`` (int64)."""
    seq = _t(sorted_sequence).data
    vals = values.data if isinstance(values, Tensor) else np.asarray(values)
    side = side or ("right" if right else "left")
    xp = _xp(seq)
    if seq.ndim == 1:
        out = xp.searchsorted(seq, vals, side=side)
    else:
        if tuple(seq.shape[:-1]) != tuple(vals.shape[:-1]):
            raise op_error(ValueError, f"searchsorted: leading dims of sorted_sequence {tuple(seq.shape)} and "
                                       f"values {tuple(vals.shape)} differ")
        rows_s = seq.reshape(-1, seq.shape[-1])
        rows_v = vals.reshape(-1, vals.shape[-1])
        out = xp.stack([xp.searchsorted(s, v, side=side) for s, v in zip(rows_s, rows_v)]).reshape(vals.shape)
    return Tensor._make(xp.asarray(out, dtype=np.int64))


def bucketize(input, boundaries, *, right=False):  # noqa: A002
    """The bucket of each element for the 1-D sorted ``boundaries`` (torch.bucketize)."""
    return searchsorted(boundaries, input, right=right)


__all__ = ["swapaxes", "swapdims", "t", "ravel", "select", "masked_select", "index_add", "index_fill",
           "take_along_dim", "tensor_split", "broadcast_tensors", "meshgrid", "atleast_1d", "atleast_2d", "hstack",
           "vstack", "row_stack", "lerp", "exp2", "sgn", "addcmul", "addcdiv", "addmm", "mv", "inner", "tensordot",
           "nansum", "nanmean", "aminmax", "count_nonzero", "argwhere", "cdist", "cummax", "cummin", "bincount",
           "searchsorted", "bucketize"]
