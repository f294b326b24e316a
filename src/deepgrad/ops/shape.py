"""Shape ops: reshape, transpose/permute, squeeze/unsqueeze/flatten, broadcast_to/expand, sum_to,
concatenate/stack/split/chunk, pad, repeat/tile/repeat_interleave, roll, flip, tril/triu, and
indexing (getitem, setitem, gather, scatter, scatter_add, take, index_select, masked_fill).

Every gather-like op sends its gradient back with a scatter-add (repeated indices add up),
done with one ``bincount`` over flat indices, which is much faster than ``np.add.at``.
"""
from __future__ import annotations

import builtins
import math

import numpy as np

from deepgrad.autograd import Function
from deepgrad.backend import defer_gpu_check, is_cupy_array
from deepgrad.backend import get_array_module as _xp
from deepgrad.errors import op_error
from deepgrad.ops._util import axis_arg, shape_arg


class Reshape(Function):
    def __init__(self, shape):
        self.shape = shape

    def forward(self, x):
        self.x_shape = x.shape
        try:
            return x.reshape(self.shape)
        except ValueError:
            raise op_error(
                ValueError,
                f"reshape: cannot reshape a tensor of shape {tuple(x.shape)} ({x.size} elements) "
                f"into shape {tuple(self.shape)}"
            ) from None

    def backward(self, gy):
        return reshape(gy, self.x_shape)


def reshape(x, *shape):
    shape = shape_arg(shape)
    if tuple(x.shape) == shape:
        return x
    return Reshape(shape)(x)


view = reshape


class Transpose(Function):
    """Permute the axes (``axes=None`` reverses them)."""

    def __init__(self, axes=None):
        self.axes = axes

    def forward(self, x):
        return x.transpose(self.axes)

    def backward(self, gy):
        if self.axes is None:
            return transpose_axes(gy, None)
        inv = [0] * len(self.axes)
        for i, a in enumerate(self.axes):
            inv[a % len(self.axes)] = i
        return transpose_axes(gy, tuple(inv))


def transpose_axes(x, axes=None):
    return Transpose(axes)(x)


def permute(x, *dims):
    """Reorder the dims (negative dims count from the end)."""
    dims = shape_arg(dims)
    if len(dims) != x.ndim:
        raise op_error(ValueError, f"permute: dims {dims} must list each of the {x.ndim} dims of a tensor of "
                                   f"shape {tuple(x.shape)} once")
    dims = tuple(_dim(d, x.ndim, "permute") for d in dims)
    if len(set(dims)) != len(dims):
        raise op_error(ValueError, f"permute: duplicate dims in {dims} (tensor shape {tuple(x.shape)})")
    return Transpose(dims)(x)


def transpose(x, dim0=None, dim1=None, *, axes=None):
    """``transpose(x, 0, 1)`` swaps two dims (PyTorch); ``transpose(x)`` or ``axes=`` as NumPy."""
    if dim0 is None and dim1 is None:
        return Transpose(axes)(x)
    if dim1 is None:  # numpy style transpose(x, axes)
        return Transpose(tuple(dim0))(x)
    nd = x.ndim
    if nd == 0:
        _dim(dim0, nd, "transpose"), _dim(dim1, nd, "transpose")
        return x
    d0, d1 = _dim(dim0, nd, "transpose"), _dim(dim1, nd, "transpose")
    perm = list(range(nd))
    perm[d0], perm[d1] = perm[d1], perm[d0]
    return Transpose(tuple(perm))(x)


def swap_last(x):
    """Swap the last two axes (the matrix transpose of a batch)."""
    nd = x.ndim
    perm = tuple(range(nd - 2)) + (nd - 1, nd - 2)
    return Transpose(perm)(x)


class BroadcastTo(Function):
    def __init__(self, shape):
        self.shape = shape

    def forward(self, x):
        self.x_shape = x.shape
        xp = _xp(x)
        try:
            return xp.broadcast_to(x, self.shape)
        except ValueError:
            raise op_error(
                ValueError,
                f"broadcast_to: cannot broadcast shape {tuple(x.shape)} to {tuple(self.shape)}"
            ) from None

    def backward(self, gy):
        return sum_to(gy, self.x_shape)


def broadcast_to(x, *shape):
    shape = shape_arg(shape)
    if tuple(x.shape) == shape:
        return x
    return BroadcastTo(shape)(x)


def expand(x, *sizes):
    sizes = shape_arg(sizes)
    lead = len(sizes) - x.ndim
    if lead < 0:
        raise op_error(ValueError, f"expand: the number of sizes {sizes} must be at least the number of dims "
                                   f"of the tensor ({tuple(x.shape)})")
    for i, s in enumerate(sizes):
        if s == -1 and i < lead:
            raise op_error(ValueError, f"expand: size -1 is not allowed in a new leading dim ({sizes} for a "
                                       f"tensor of shape {tuple(x.shape)})")
    shape = tuple(x.shape[i - lead] if s == -1 else s for i, s in enumerate(sizes))
    return broadcast_to(x, shape)


class SumTo(Function):
    """Sum a broadcast result back down to ``shape`` (the backward of broadcasting)."""

    def __init__(self, shape):
        self.shape = tuple(shape)

    def forward(self, x):
        self.x_shape = x.shape
        return sum_to_array(x, self.shape)

    def backward(self, gy):
        return broadcast_to(gy, self.x_shape)


def sum_to_array(x, shape):
    lead = x.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(i + lead for i, s in enumerate(shape) if s == 1 and x.shape[i + lead] != 1)
    y = x.sum(axis=axes, keepdims=True) if axes else x
    if lead:
        y = y.reshape(shape)
    return y


def sum_to(x, shape):
    shape = tuple(shape)
    if tuple(x.shape) == shape:
        return x
    return SumTo(shape)(x)


def _sequence_as_tuple(idx):
    """PyTorch's (and old NumPy's) rule: a short list holding a tensor, array, sequence, slice,
    None or Ellipsis is a tuple of indices (``x[[rows, cols]]`` is ``x[rows, cols]``); NumPy 2
    reads every list as one index array."""
    from deepgrad.tensor import Tensor

    return len(idx) < 32 and any(isinstance(i, (Tensor, list, tuple, slice, np.ndarray)) or i is None
                                 or i is Ellipsis or is_cupy_array(i) for i in idx)


def _unwrap_index(idx):
    from deepgrad.tensor import Tensor

    if isinstance(idx, Tensor):
        return idx.data
    if isinstance(idx, list) and _sequence_as_tuple(idx):
        idx = tuple(idx)
    if isinstance(idx, tuple):
        return tuple(i.data if isinstance(i, Tensor) else i for i in idx)
    if isinstance(idx, list):  # one index array, whatever the array library makes of a list
        idx = [i.data if isinstance(i, Tensor) else i for i in idx]
        if not any(is_cupy_array(i) for i in idx) and not all(type(i) in (int, bool) for i in idx):
            return np.asarray(idx)
    return idx


def _index_dims(k):
    """How many dims of the indexed array one entry of an index consumes."""
    if k is None or k is Ellipsis or isinstance(k, (bool, np.bool_)):
        return 0
    return k.ndim if getattr(k, "dtype", None) is not None and k.dtype.kind == "b" else 1


def _list_index(k):
    """A list entry of an index as the host array NumPy and CuPy make of it (else as it is)."""
    try:
        return np.asarray(k) if isinstance(k, list) else k
    except (TypeError, ValueError):  # a list of device arrays: left to CuPy
        return k


_pending_index_checks = []  # (out-of-bounds flag on the GPU, index array, size, axis, op, shape)


def _check_gpu_index(shape, index, op):
    """CuPy wraps out-of-bounds integer-array indices around where NumPy raises.  On the GPU each
    integer index array gets a flag computed there (one reduction launch, no sync); the IndexError,
    with the CPU's message, is raised at the next host read (``item()``, ``numpy()``,
    ``deepgrad.cuda.synchronize()``), as for the fused cross entropy's labels, or after 32 checks."""
    key = index if isinstance(index, tuple) else (index,)
    if not any(is_cupy_array(k) or isinstance(k, list) for k in key):
        return
    key = tuple(_list_index(k) for k in key)
    axis = 0
    for k in key:
        if k is Ellipsis:
            axis += len(shape) - builtins.sum(_index_dims(j) for j in key)
            continue
        if getattr(k, "dtype", None) is not None and k.dtype.kind in "iu" and axis < len(shape):
            n = shape[axis]
            if not is_cupy_array(k):  # a host list/array: check it here
                bad = (k < -n) | (k >= n)
                if bool(bad.any()):
                    raise IndexError(f"index {int(k[bad].reshape(-1)[0])} is out of bounds for axis {axis} "
                                     f"with size {n}")
            elif k.size:
                _pending_index_checks.append((_out_of_bounds(k, n), k, n, axis, op, tuple(shape)))
                if len(_pending_index_checks) >= 32:
                    _raise_bad_gpu_index()
                else:
                    defer_gpu_check("integer indices", _raise_bad_gpu_index)
        axis += _index_dims(k)


def _out_of_bounds(k, n):
    """A 0-d device bool: any entry of ``k`` outside [-n, n)."""
    from deepgrad.kernels._compile import reduction, use_kernels

    if use_kernels(k):
        return reduction("deepgrad_index_out_of_bounds", "T k, int64 bound", "bool y", "(k < -bound) || (k >= bound)",
                         "a || b", "y = a", "false")(k, n)
    return ((k < -n) | (k >= n)).any()


def _raise_bad_gpu_index():
    checks = list(_pending_index_checks)
    _pending_index_checks.clear()
    for flag, k, n, axis, op, shape in checks:
        if bool(flag):
            bad = (k < -n) | (k >= n)
            raise IndexError(f"{op}: index {int(k[bad].reshape(-1)[0])} is out of bounds for axis {axis} with "
                             f"size {n} (tensor shape {shape}; found on the GPU after the op ran)")


class GetItem(Function):
    """x[index]: basic and advanced indexing; repeated indices add up in backward."""

    def __init__(self, index):
        self.index = index

    def forward(self, x):
        self.x_shape = x.shape
        try:
            if is_cupy_array(x):
                _check_gpu_index(x.shape, self.index, "getitem")
            return x[self.index]
        except IndexError as e:
            raise op_error(IndexError, f"getitem: {e} (tensor shape {tuple(x.shape)})") from None

    def backward(self, gy):
        return GetItemGrad(self.index, self.x_shape)(gy)


def _basic(index):
    """True for NumPy basic indexing (ints, slices, None, Ellipsis), where no element repeats."""
    key = index if isinstance(index, tuple) else (index,)
    return all(k is None or k is Ellipsis or isinstance(k, slice)
               or (isinstance(k, (int, np.integer)) and not isinstance(k, (bool, np.bool_))) for k in key)


class GetItemGrad(Function):
    def __init__(self, index, x_shape):
        self.index = index
        self.x_shape = x_shape

    def forward(self, gy):
        xp = _xp(gy)
        gx = xp.zeros(self.x_shape, dtype=gy.dtype)
        if _basic(self.index):  # slices and integers pick each element at most once: a plain write
            gx[self.index] = gy
        else:  # index arrays may repeat an element: add them all up
            xp.add.at(gx, self.index, gy)
        return gx

    def backward(self, ggx):
        return getitem(ggx, self.index)


def getitem(x, index):
    return GetItem(_unwrap_index(index))(x)


class SetItem(Function):
    """``x`` with ``value`` written at ``index`` (a new array): what ``y[index] = value`` records.
    The overwritten elements of x get no gradient; value gets the gradient of where it landed."""

    def __init__(self, index):
        self.index = index

    def forward(self, x, value):
        out = x.copy()
        try:
            if is_cupy_array(x):
                _check_gpu_index(x.shape, self.index, "setitem")
            out[self.index] = value
        except (IndexError, ValueError) as e:
            raise op_error(type(e), f"setitem: {e} (tensor shape {tuple(x.shape)}, value shape "
                                    f"{tuple(value.shape)})") from None
        return out

    def backward(self, gy):
        from deepgrad.tensor import as_tensor

        x, value = self.inputs
        gx = SetItem(self.index)(gy, as_tensor(0.0, like=gy)) if x.requires_grad else None
        gv = None
        if value.requires_grad:
            gv = getitem(gy, self.index)
            gv = sum_to(gv, value.shape) if gv.ndim >= value.ndim else reshape(gv, value.shape)
        return gx, gv


def setitem(x, index, value):
    """``x[index] = value`` in place; recorded (as torch) when x is part of the graph or value
    requires grad, so that gradients flow to value and not to the overwritten elements."""
    from deepgrad.autograd import config, rebase
    from deepgrad.tensor import Tensor, as_tensor

    idx = _unwrap_index(index)
    grad_value = isinstance(value, Tensor) and value.requires_grad
    if not (config.grad_enabled and (x.requires_grad or grad_value)):
        data = value.data if isinstance(value, Tensor) else value
        try:
            if is_cupy_array(x.data):
                _check_gpu_index(x.shape, idx, "setitem")
            x.data[idx] = data
        except (IndexError, ValueError) as e:
            shape = tuple(data.shape) if hasattr(data, "shape") else np.shape(data)
            raise op_error(type(e), f"setitem: {e} (tensor shape {tuple(x.shape)}, value shape {shape})") from None
        return x
    if x.requires_grad and x.creator is None:
        raise op_error(RuntimeError, "setitem: a leaf tensor that requires grad is used in an in-place "
                                     "operation; wrap it in deepgrad.no_grad() (or assign to .data)")
    value = value if isinstance(value, Tensor) else as_tensor(value, like=x)
    if value.dtype != x.dtype:
        value = value.type(x.dtype)
    return rebase(x, x.data.copy(), SetItem(idx), value)


# -- squeeze / unsqueeze / flatten / movedim: reshapes and permutes ------------------------------
def _dim(d, ndim, op, extra=0):
    """``d`` as a non-negative dim of a tensor with ``ndim`` dims (``extra`` = 1 for unsqueeze)."""
    n = max(ndim + extra, 1)
    if not -n <= d < n:
        raise op_error(IndexError, f"{op}: dim {d} is out of range for a tensor with {ndim} dimensions "
                                   f"(expected {-n} <= dim < {n})")
    return d % n


def squeeze(x, dim=None, *, axis=None):
    """Remove size-1 dims: all of them, or those in ``dim`` (int or tuple) that have size 1 (PyTorch)."""
    dim = axis_arg(dim, axis)
    if dim is None:
        return reshape(x, tuple(s for s in x.shape if s != 1))
    dims = {_dim(d, x.ndim, "squeeze") for d in (dim if isinstance(dim, tuple) else (dim,))}
    return reshape(x, tuple(s for i, s in enumerate(x.shape) if not (i in dims and s == 1)))


def unsqueeze(x, dim=None, *, axis=None):
    """Insert a size-1 dim at ``dim`` (negative counts from the end of the result)."""
    d = _dim(axis_arg(dim, axis), x.ndim, "unsqueeze", extra=1)
    return reshape(x, x.shape[:d] + (1,) + x.shape[d:])


def flatten(x, start_dim=0, end_dim=-1):
    """Merge dims ``start_dim..end_dim`` (inclusive) into one; a 0-d tensor becomes 1-d."""
    if x.ndim == 0:
        return reshape(x, (1,))
    s, e = _dim(start_dim, x.ndim, "flatten"), _dim(end_dim, x.ndim, "flatten")
    if s > e:
        raise op_error(ValueError, f"flatten: start_dim {start_dim} comes after end_dim {end_dim} "
                                   f"for a tensor of shape {x.shape}")
    return reshape(x, x.shape[:s] + (math.prod(x.shape[s:e + 1]),) + x.shape[e + 1:])


def unflatten(x, dim, sizes):
    """Split dim ``dim`` into ``sizes`` (one entry may be -1): the inverse of ``flatten``."""
    d = _dim(dim, x.ndim, "unflatten")
    sizes = tuple(sizes)
    known = math.prod(s for s in sizes if s != -1)
    if sizes.count(-1) > 1 or (-1 not in sizes and known != x.shape[d]) or \
            (-1 in sizes and (known == 0 or x.shape[d] % known)):
        raise op_error(ValueError, f"unflatten: sizes {sizes} do not multiply to the size {x.shape[d]} of dim {d} "
                                   f"(input shape {x.shape})")
    return reshape(x, x.shape[:d] + sizes + x.shape[d + 1:])


def movedim(x, source, destination):
    """Move dims ``source`` to positions ``destination`` (ints or sequences), keeping the others' order."""
    src = (source,) if isinstance(source, int) else tuple(source)
    dst = (destination,) if isinstance(destination, int) else tuple(destination)
    if len(src) != len(dst):
        raise op_error(ValueError, f"movedim: source {src} and destination {dst} have different lengths")
    src = [_dim(d, x.ndim, "movedim") for d in src]
    dst = [_dim(d, x.ndim, "movedim") for d in dst]
    order = [d for d in range(x.ndim) if d not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return Transpose(tuple(order))(x)


moveaxis = movedim


# -- concatenate / stack / split / chunk -------------------------------------------------------------
class Concatenate(Function):
    """Join tensors along ``axis``; backward splits the gradient into the same sizes."""

    def __init__(self, axis):
        self.axis = axis

    def forward(self, *xs):
        self.sizes = [x.shape[self.axis] for x in xs]
        dt = xs[0].dtype
        for x in xs[1:]:
            if x.dtype != dt:  # torch's promotion across the list: int64 with float32 is float32
                from deepgrad.ops.arith import result_dtype

                dt = result_dtype(np.empty(0, dt), x)
        if any(x.dtype != dt for x in xs):
            xs = [x.astype(dt) for x in xs]
        return _xp(xs[0]).concatenate(xs, axis=self.axis)

    def backward(self, gy):
        pieces = split(gy, self.sizes, self.axis)
        return tuple(g if x.requires_grad else None for g, x in zip(pieces, self.inputs))


def cat(tensors, dim=None, *, axis=None):
    """Concatenate a sequence of tensors along ``dim`` (default 0); all other dims must match."""
    tensors = list(tensors)
    if not tensors:
        raise op_error(ValueError, "cat: expected a non-empty sequence of tensors")
    d = axis_arg(dim, axis)
    for i, t in enumerate(tensors):
        if t.ndim == 0:
            raise op_error(ValueError, f"cat: zero-dimensional tensor (at position {i}) cannot be concatenated; "
                                       "use stack")
    d = _dim(0 if d is None else d, tensors[0].ndim, "cat")
    first = tuple(tensors[0].shape)
    for i, t in enumerate(tensors):
        shape = tuple(t.shape)
        if len(shape) != len(first) or shape[:d] + shape[d + 1:] != first[:d] + first[d + 1:]:
            raise op_error(ValueError, f"cat: tensors must have the same shape except in dim {d}, got {first} "
                                       f"at entry 0 and {shape} at entry {i}")
    return Concatenate(d)(*tensors)


concatenate = concat = cat


def stack(tensors, dim=None, *, axis=None):
    """Join same-shape tensors along a new dim ``dim`` (default 0)."""
    tensors = list(tensors)
    if not tensors:
        raise op_error(ValueError, "stack: expected a non-empty sequence of tensors")
    shape = tuple(tensors[0].shape)
    for i, t in enumerate(tensors):
        if tuple(t.shape) != shape:
            raise op_error(ValueError, f"stack: expects tensors of equal shape, got {shape} at entry 0 "
                                       f"and {tuple(t.shape)} at entry {i}")
    d = axis_arg(dim, axis)
    d = _dim(0 if d is None else d, len(shape), "stack", extra=1)
    return cat([unsqueeze(t, d) for t in tensors], d)


class Split(Function):
    """Pieces of ``x`` along ``axis`` with the given sizes (one output per piece).

    Backward concatenates the pieces' gradients, with zeros for pieces that got none."""

    def __init__(self, sizes, axis):
        self.sizes = sizes
        self.axis = axis

    def forward(self, x):
        self.x_shape = x.shape
        index = [slice(None)] * x.ndim
        out, start = [], 0
        for s in self.sizes:
            index[self.axis] = slice(start, start + s)
            out.append(x[tuple(index)])
            start += s
        return tuple(out)

    def backward(self, *gys):
        from deepgrad.tensor import Tensor

        ref = next(g for g in gys if g is not None)
        parts = []
        for g, s in zip(gys, self.sizes):
            if g is None:
                shape = list(self.x_shape)
                shape[self.axis] = s
                g = Tensor._make(_xp(ref.data).zeros(shape, dtype=ref.dtype))
            parts.append(g)
        return cat(parts, self.axis)


def split(x, split_size_or_sections=None, dim=None, *, axis=None, split_size=None):
    """A tuple of pieces along ``dim`` (default 0): of ``split_size`` each (the last may be smaller),
    or of the listed sizes, which must add up to the dim's size (PyTorch's split)."""
    if split_size_or_sections is None:
        if split_size is None:
            raise op_error(TypeError, "split: missing the split size (split_size_or_sections)")
        split_size_or_sections = split_size
    d = axis_arg(dim, axis)
    d = _dim(0 if d is None else d, x.ndim, "split")
    n = x.shape[d]
    if isinstance(split_size_or_sections, int):
        size = split_size_or_sections
        if size <= 0 and n > 0:
            raise op_error(ValueError, f"split: split_size must be positive, got {size}")
        sizes = [size] * (n // size) + ([n % size] if n % size else []) if n else [0]
    else:
        sizes = [int(s) for s in split_size_or_sections]
        if builtins.sum(sizes) != n or any(s < 0 for s in sizes):
            raise op_error(ValueError, f"split: sizes {sizes} must be non-negative and add up to {n}, "
                                       f"the size of dim {d} of a tensor of shape {x.shape}")
    out = Split(tuple(sizes), d)(x)
    return out if isinstance(out, tuple) else (out,)


def chunk(x, chunks, dim=None, *, axis=None):
    """Split into ``chunks`` pieces of equal size along ``dim`` (the last may be smaller; there may
    be fewer pieces when the size does not allow ``chunks``), as PyTorch's chunk."""
    if chunks <= 0:
        raise op_error(ValueError, f"chunk: chunks must be positive, got {chunks}")
    d = axis_arg(dim, axis)
    d = _dim(0 if d is None else d, x.ndim, "chunk")
    return split(x, max(-(-x.shape[d] // chunks), 1), d)


def unbind(x, dim=0):
    """A tuple of the slices along ``dim``, that dim removed."""
    d = _dim(dim, x.ndim, "unbind")
    return tuple(squeeze(p, d) for p in split(x, 1, d))


def narrow(x, dim, start, length):
    """The slice ``start:start+length`` of dim ``dim`` (a differentiable view)."""
    d = _dim(dim, x.ndim, "narrow")
    start = start + x.shape[d] if start < 0 else start
    if start < 0 or length < 0 or start + length > x.shape[d]:
        raise op_error(IndexError, f"narrow: start {start} + length {length} is out of range for dim {d} "
                                   f"of size {x.shape[d]}")
    return getitem(x, (slice(None),) * d + (slice(start, start + length),))


# -- pad ------------------------------------------------------------------------------------------
def _pad_slices(shape, widths):
    """Where the input lands in the padded output (negative widths crop): (source, destination)."""
    src, dst = [], []
    for s, (b, a) in zip(shape, widths):
        start, stop = max(-b, 0), s - max(-a, 0)
        n = max(stop - start, 0)
        src.append(slice(start, start + n))
        dst.append(slice(max(b, 0), max(b, 0) + n))
    return tuple(src), tuple(dst)


class ConstantPad(Function):
    """Pad with ``value`` (negative widths crop, as F.pad); backward is the opposite pad."""

    def __init__(self, widths, value):
        self.widths = widths  # one (before, after) per dim
        self.value = value

    def forward(self, x):
        shape = tuple(s + b + a for s, (b, a) in zip(x.shape, self.widths))
        if any(s < 0 for s in shape):
            raise op_error(ValueError, f"pad: widths {self.widths} crop more than the input shape {x.shape}")
        out = _xp(x).full(shape, self.value, dtype=x.dtype)
        src, dst = _pad_slices(x.shape, self.widths)
        out[dst] = x[src]
        return out

    def backward(self, gy):
        return ConstantPad(tuple((-b, -a) for b, a in self.widths), 0)(gy)


_NUMPY_MODES = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}


class ModePad(Function):
    """Pad by reflecting (``reflect``), repeating the edge (``replicate``) or wrapping (``circular``)."""

    def __init__(self, widths, mode):
        self.widths = widths
        self.mode = mode

    def forward(self, x):
        self.x_shape = x.shape
        for s, (b, a) in zip(x.shape, self.widths):
            limit = s - 1 if self.mode == "reflect" else s
            if min(b, a) < 0 or (self.mode != "replicate" and max(b, a) > limit):
                raise op_error(ValueError, f"pad: {self.mode} padding {self.widths} needs widths in "
                                           f"[0, {limit}] for a dim of size {s} (input shape {x.shape})")
        return _xp(x).pad(x, self.widths, mode=_NUMPY_MODES[self.mode])

    def backward(self, gy):
        return ModePadGrad(self.widths, self.mode, self.x_shape)(gy)


class ModePadGrad(Function):
    """The adjoint of ModePad: fold the padded borders back onto the elements they copy."""

    def __init__(self, widths, mode, x_shape):
        self.widths = widths
        self.mode = mode
        self.x_shape = x_shape

    def forward(self, g):
        for axis, (n, (b, a)) in enumerate(zip(self.x_shape, self.widths)):
            if b == 0 and a == 0:
                continue
            g = _xp(g).moveaxis(g, axis, 0)
            gx = g[b:b + n].copy()
            left, right = g[:b], g[b + n:]
            if self.mode == "reflect":
                gx[1:b + 1] += left[::-1]
                gx[n - 1 - a:n - 1] += right[::-1]
            elif self.mode == "replicate":
                gx[0] += left.sum(axis=0)
                gx[n - 1] += right.sum(axis=0)
            else:  # circular
                gx[n - b:] += left
                gx[:a] += right
            g = _xp(g).moveaxis(gx, 0, axis)
        return g

    def backward(self, ggx):
        return ModePad(self.widths, self.mode)(ggx)


def pad(input, pad, mode="constant", value=None):  # noqa: A002 - PyTorch's names
    """Pad the last dims as ``F.pad``: ``pad = (left, right)`` for the last dim, then
    ``(top, bottom)`` for the one before, ...; mode 'constant' (``value``, default 0; negative
    widths crop), 'reflect', 'replicate' or 'circular'."""
    pad = tuple(int(p) for p in pad)
    if len(pad) % 2 or len(pad) // 2 > input.ndim:
        raise op_error(ValueError, f"pad: expected an even number of widths, at most 2 per dim, got {pad} "
                                   f"for a tensor of shape {input.shape}")
    widths = [(0, 0)] * input.ndim
    for i in range(len(pad) // 2):
        widths[input.ndim - 1 - i] = (pad[2 * i], pad[2 * i + 1])
    widths = tuple(widths)
    if mode == "constant":
        return ConstantPad(widths, 0 if value is None else value)(input)
    if mode not in _NUMPY_MODES:
        raise op_error(ValueError, f"pad: mode must be 'constant', 'reflect', 'replicate' or 'circular', "
                                   f"got {mode!r}")
    return ModePad(widths, mode)(input)


# -- repeat / tile / flip / tril / triu -------------------------------------------------------------
class Tile(Function):
    """``numpy.tile`` with one repeat count per dim; backward sums the copies."""

    def __init__(self, reps):
        self.reps = reps  # at least as many as x has dims

    def forward(self, x):
        self.x_shape = x.shape
        return _xp(x).tile(x, self.reps)

    def backward(self, gy):
        from deepgrad.ops.reduction import sum as sum_

        shape = (1,) * (len(self.reps) - len(self.x_shape)) + tuple(self.x_shape)
        interleaved = tuple(v for r, s in zip(self.reps, shape) for v in (r, s))
        g = sum_(reshape(gy, interleaved), axis=tuple(range(0, len(interleaved), 2)))
        return reshape(g, self.x_shape)


def tile(x, dims):
    """Repeat the whole tensor ``dims[i]`` times along dim i (``dims`` shorter than ndim is
    padded with ones in front, as numpy/torch ``tile``)."""
    reps = (dims,) if isinstance(dims, int) else tuple(dims)
    reps = (1,) * (x.ndim - len(reps)) + reps
    return Tile(reps)(x)


def repeat(x, *sizes):
    """PyTorch's ``Tensor.repeat``: tile with one count per dim (at least ``x.ndim`` of them)."""
    sizes = shape_arg(sizes)
    if len(sizes) < x.ndim:
        raise op_error(ValueError, f"repeat: {len(sizes)} repeat counts {sizes} are fewer than the "
                                   f"{x.ndim} dims of a tensor of shape {x.shape}")
    return Tile(sizes)(x)


class Flip(Function):
    def __init__(self, axes):
        self.axes = axes

    def forward(self, x):
        return _xp(x).flip(x, axis=self.axes)

    def backward(self, gy):
        return Flip(self.axes)(gy)


def flip(x, dims=None, *more, axis=None):
    """Reverse the order along ``dims`` (``x.flip(0, 1)``, ``flip(x, [0, 1])``; all dims if none given)."""
    dims = axis_arg(dims, axis)
    if more:
        dims = (dims,) + more
    if dims is None:
        dims = tuple(range(x.ndim))
    elif isinstance(dims, int):
        dims = (dims,)
    return Flip(tuple(_dim(d, x.ndim, "flip") for d in dims))(x)


class Tri(Function):
    """Keep the lower (``tril``) or upper (``triu``) triangle of the last two dims."""

    def __init__(self, diagonal, upper):
        self.diagonal = diagonal
        self.upper = upper

    def forward(self, x):
        if x.ndim < 2:
            raise op_error(ValueError, f"{'triu' if self.upper else 'tril'}: expected a tensor with at "
                                       f"least 2 dims, got shape {x.shape}")
        xp = _xp(x)
        return xp.triu(x, self.diagonal) if self.upper else xp.tril(x, self.diagonal)

    def backward(self, gy):
        return Tri(self.diagonal, self.upper)(gy)


def tril(x, diagonal=0):
    """Zero everything above the ``diagonal``-th diagonal of the last two dims."""
    return Tri(diagonal, False)(x)


def triu(x, diagonal=0):
    """Zero everything below the ``diagonal``-th diagonal of the last two dims."""
    return Tri(diagonal, True)(x)


# -- gather / take / index_select / masked_fill -------------------------------------------------------
class TakeFlat(Function):
    """``y = x.flat[index]``: the one gather kernel behind take, gather and index_select.

    ``index`` holds flat positions (already checked); backward scatter-adds into zeros."""

    def __init__(self, index):
        self.index = index

    def forward(self, x):
        self.x_shape = x.shape
        return x.reshape(-1)[self.index]

    def backward(self, gy):
        return ScatterAddFlat(self.index, self.x_shape)(gy)


class ScatterAddFlat(Function):
    """Zeros of ``x_shape`` with ``g`` added at the flat ``index`` (repeats add up); adjoint of TakeFlat."""

    def __init__(self, index, x_shape):
        self.index = index
        self.x_shape = x_shape

    def forward(self, g):
        xp = _xp(g)
        size = math.prod(self.x_shape)
        if xp is np:  # 1-D np.add.at is the fastest scatter-add NumPy has (measured: 2-4x bincount)
            out = np.zeros(size, dtype=g.dtype)
            np.add.at(out, self.index.reshape(-1), g.reshape(-1))
        else:
            out = xp.bincount(self.index.reshape(-1), weights=g.reshape(-1), minlength=size).astype(g.dtype)
        return out.reshape(self.x_shape)

    def backward(self, ggx):
        return TakeFlat(self.index)(ggx)


def _index_array(index, op):
    from deepgrad.tensor import Tensor

    a = index.data if isinstance(index, Tensor) else index
    if not hasattr(a, "dtype"):
        a = np.asarray(a)
    if a.dtype.kind not in "iu":
        raise op_error(TypeError, f"{op}: index must be an integer tensor, got dtype {a.dtype}")
    return a


def _check_range(index, low, n, op, what):
    if index.size and (int(index.min()) < low or int(index.max()) >= n):
        bad = int(index.min()) if int(index.min()) < low else int(index.max())
        raise op_error(IndexError, f"{op}: index {bad} is out of bounds for {what} with size {n}")


def _flat_positions(x_shape, index, axis):
    """Flat positions in a C-contiguous array of ``x_shape`` of the elements that take ``index``
    along ``axis`` and their own coordinates along every other dim (index has x's ndim)."""
    xp = _xp(index)
    strides = [math.prod(x_shape[i + 1:]) for i in range(len(x_shape))]
    flat = index.astype(xp.int64) * strides[axis]
    for d, n in enumerate(index.shape):
        if d != axis and strides[d] and n > 1:
            shape = [1] * index.ndim
            shape[d] = n
            flat = flat + (xp.arange(n, dtype=xp.int64) * strides[d]).reshape(shape)
    return flat


def gather(input, dim, index):  # noqa: A002 - PyTorch's names
    """``out[i][j][k] = input[index[i][j][k]][j][k]`` for dim 0 (and so on): PyTorch's gather.
    ``index`` has input's ndim and is no larger than input on the other dims."""
    idx = _index_array(index, "gather")
    d = _dim(dim, input.ndim, "gather")
    if idx.ndim != input.ndim or any(i > s for k, (i, s) in enumerate(zip(idx.shape, input.shape)) if k != d):
        raise op_error(ValueError, f"gather: index of shape {tuple(idx.shape)} does not fit input of shape "
                                   f"{input.shape} along dim {d} (same ndim, no larger on the other dims)")
    _check_range(idx, 0, input.shape[d], "gather", f"dim {d}")
    return TakeFlat(_flat_positions(input.shape, idx, d))(input)


def _scatter_args(input, dim, index, src, op):  # noqa: A002
    """Flat positions of ``index`` in ``input`` and the matching part of ``src`` (a tensor or number)."""
    from deepgrad.tensor import Tensor, as_tensor

    idx = _index_array(index, op)
    d = _dim(dim, input.ndim, op)
    if idx.ndim != input.ndim or any(i > s for k, (i, s) in enumerate(zip(idx.shape, input.shape)) if k != d):
        raise op_error(ValueError, f"{op}: index of shape {tuple(idx.shape)} does not fit input of shape "
                                   f"{input.shape} along dim {d} (same ndim, no larger on the other dims)")
    _check_range(idx, 0, input.shape[d], op, f"dim {d}")
    if not isinstance(src, Tensor):
        src = as_tensor(_xp(input.data).full(idx.shape, src, dtype=input.dtype))
    if src.ndim != idx.ndim or any(i > s for i, s in zip(idx.shape, src.shape)):
        raise op_error(ValueError, f"{op}: src of shape {src.shape} is smaller than index of shape "
                                   f"{tuple(idx.shape)}")
    if tuple(src.shape) != tuple(idx.shape):
        src = getitem(src, tuple(slice(0, n) for n in idx.shape))
    return _flat_positions(input.shape, idx, d), src


class Scatter(Function):
    """``input`` with ``src`` written at the ``index`` positions; the overwritten elements of
    ``input`` get no gradient, ``src`` gets the gradient of where it landed (torch.scatter)."""

    def __init__(self, flat):
        self.flat = flat

    def forward(self, x, src):
        out = x.copy()
        out.reshape(-1)[self.flat.reshape(-1)] = src.reshape(-1).astype(x.dtype, copy=False)
        return out

    def backward(self, gy):
        x, src = self.inputs
        gx = None
        if x.requires_grad:
            keep = _xp(gy.data).ones(math.prod(x.shape), dtype=gy.dtype)
            keep[self.flat.reshape(-1)] = 0
            gx = gy * _wrap_const(keep.reshape(x.shape))
        gs = TakeFlat(self.flat)(gy) if src.requires_grad else None
        return gx, gs


def _wrap_const(array):
    from deepgrad.tensor import Tensor

    return Tensor._make(array)


def scatter(input, dim, index, src=None, *, value=None, reduce=None):  # noqa: A002 - PyTorch's names
    """A copy of ``input`` with ``src`` (a tensor, or the number ``value``) written along ``dim`` at
    ``index``: ``out[index[i][j]][j] = src[i][j]`` for dim 0 (torch.scatter)."""
    if reduce is not None:
        raise op_error(ValueError, "scatter: reduce= is not supported; use scatter_add for sums")
    if src is None:
        src = value
    if src is None:
        raise op_error(TypeError, "scatter: expected src (a tensor) or value (a number)")
    flat, src = _scatter_args(input, dim, index, src, "scatter")
    return Scatter(flat)(input, src)


def scatter_add(input, dim, index, src):  # noqa: A002
    """``input`` plus ``src`` added along ``dim`` at ``index`` (repeats add up; torch.scatter_add)."""
    flat, src = _scatter_args(input, dim, index, src, "scatter_add")
    from deepgrad.ops.arith import add

    return add(input, ScatterAddFlat(flat, input.shape)(src))


def take(input, index):  # noqa: A002
    """Elements of the flattened input at ``index`` (negative counts from the end); index's shape."""
    idx = _index_array(index, "take")
    n = math.prod(input.shape)
    _check_range(idx, -n, n, "take", "the flattened input")
    if idx.size and int(idx.min()) < 0:
        idx = idx % n
    return TakeFlat(idx)(input)


def index_select(input, dim, index):  # noqa: A002
    """The slices of ``input`` along ``dim`` listed in the 1-D ``index`` (repeats allowed)."""
    idx = _index_array(index, "index_select")
    if idx.ndim > 1:
        raise op_error(ValueError, f"index_select: index must be 0-d or 1-d, got shape {tuple(idx.shape)}")
    d = _dim(dim, input.ndim, "index_select")
    idx = idx.reshape(-1)
    _check_range(idx, 0, input.shape[d], "index_select", f"dim {d}")
    shape = [1] * input.ndim
    shape[d] = idx.size
    out_shape = list(input.shape)
    out_shape[d] = idx.size
    full = _xp(idx).broadcast_to(idx.reshape(shape), out_shape)
    return TakeFlat(_flat_positions(input.shape, full, d))(input)


class MaskedFill(Function):
    """``value`` where ``mask`` is True (mask broadcasts to x); backward is masked_fill(gy, mask, 0)."""

    def __init__(self, mask, value):
        self.mask = mask
        self.value = value

    def forward(self, x):
        try:
            fits = np.broadcast_shapes(self.mask.shape, x.shape) == x.shape
        except ValueError:
            fits = False
        if not fits:
            raise op_error(ValueError, f"masked_fill: mask of shape {tuple(self.mask.shape)} does not "
                                       f"broadcast to the input shape {x.shape}")
        xp = _xp(x)
        return xp.where(self.mask, xp.asarray(self.value, dtype=x.dtype), x)

    def backward(self, gy):
        return MaskedFill(self.mask, 0)(gy)


def masked_fill(input, mask, value):  # noqa: A002
    """``input`` with ``value`` wherever the boolean ``mask`` (broadcast to input) is True."""
    from deepgrad.tensor import Tensor

    m = mask.data if isinstance(mask, Tensor) else mask
    if not hasattr(m, "dtype"):
        m = np.asarray(m)
    if m.dtype != np.bool_:
        raise op_error(TypeError, f"masked_fill: mask must be a boolean tensor, got dtype {m.dtype}")
    if isinstance(value, Tensor):
        value = value.item()
    return MaskedFill(m, value)(input)


# -- roll / repeat_interleave ------------------------------------------------------------------------
class Roll(Function):
    """Shift elements along ``axes`` by ``shifts``, wrapping around; backward rolls back."""

    def __init__(self, shifts, axes):
        self.shifts, self.axes = shifts, axes

    def forward(self, x):
        return _xp(x).roll(x, self.shifts, axis=self.axes)

    def backward(self, gy):
        neg = -self.shifts if isinstance(self.shifts, int) else tuple(-s for s in self.shifts)
        return Roll(neg, self.axes)(gy)


def roll(x, shifts, dims=None):
    """torch.roll: shift along ``dims`` (int or tuple, with as many ``shifts``); the flattened
    tensor when ``dims`` is None."""
    if dims is None:
        if not isinstance(shifts, int):
            shifts = tuple(shifts)
            if len(shifts) != 1:
                raise op_error(ValueError, f"roll: without dims, shifts must be one number, got {shifts}")
            shifts = shifts[0]
        return Roll(int(shifts), None)(x)
    dims = (dims,) if isinstance(dims, int) else tuple(dims)
    shifts = (shifts,) if isinstance(shifts, int) else tuple(shifts)
    if len(dims) != len(shifts):
        raise op_error(ValueError, f"roll: shifts {shifts} and dims {dims} must have the same length")
    return Roll(tuple(int(s) for s in shifts), tuple(_dim(d, x.ndim, "roll") for d in dims))(x)


def repeat_interleave(x, repeats, dim=None, *, output_size=None):
    """Repeat each element ``repeats`` times (an int, or one count per element) along ``dim``
    (the flattened tensor when None): ``[1, 2] -> [1, 1, 2, 2]``.  Backward sums the copies."""
    from deepgrad.tensor import Tensor

    if dim is None:
        x = reshape(x, (-1,))
        dim = 0
    d = _dim(dim, x.ndim, "repeat_interleave")
    n = x.shape[d] if x.ndim else 1
    xp = _xp(x.data)
    reps = repeats.data if isinstance(repeats, Tensor) else repeats
    if isinstance(reps, (int, np.integer)) or getattr(reps, "ndim", 1) == 0:
        reps = int(reps)
        if reps < 0:
            raise op_error(ValueError, f"repeat_interleave: repeats must be non-negative, got {reps}")
    else:
        reps = xp.asarray(reps)
        if reps.ndim != 1 or reps.shape[0] != n:
            raise op_error(ValueError, f"repeat_interleave: repeats of shape {tuple(reps.shape)} must have one "
                                       f"count for each of the {n} elements along dim {d}")
        if reps.size and int(reps.min()) < 0:
            raise op_error(ValueError, "repeat_interleave: repeats must be non-negative")
        if xp is not np:  # cupy.repeat takes the counts as a list
            reps = [int(r) for r in reps.tolist()]
    return index_select(x, d, xp.repeat(xp.arange(n, dtype=xp.int64), reps))


_MORE = ["roll", "repeat_interleave", "unflatten", "squeeze", "unsqueeze", "flatten", "movedim", "moveaxis", "cat",
         "concatenate", "concat", "stack", "split", "chunk", "unbind", "narrow", "pad", "tile", "repeat", "flip",
         "tril", "triu", "gather", "scatter", "scatter_add", "take", "index_select", "masked_fill"]


__all__ = ["reshape", "view", "transpose", "transpose_axes", "permute", "swap_last", "broadcast_to",
           "expand", "sum_to", "getitem"]
__all__ += _MORE

