"""Every differentiable op, one family per module; this file also gives Tensor its methods.

Find an op by its family: arith (add, matmul), elementwise (exp, clamp), activation (relu,
gelu), reduction (sum, logsumexp), shape (reshape, gather), sorting (sort, topk, median),
matrix (einsum, diagonal, trace), linalg (inverse, det, solve, svd: ``deepgrad.linalg``), softmax,
loss, dropout, conv, pool, normalization.  Each module
lists its public names in ``__all__``.
"""
from __future__ import annotations

import importlib

from deepgrad.tensor import Tensor, as_tensor

_FAMILIES = ["arith", "elementwise", "activation", "reduction", "shape", "softmax", "loss",
             "dropout", "compare", "device", "linear", "conv", "pool", "normalization", "embedding", "upsample",
             "sorting", "matrix", "composite", "linalg"]

__all__ = []
for _fam in _FAMILIES:
    try:
        _mod = importlib.import_module(f"deepgrad.ops.{_fam}")
    except ModuleNotFoundError as _e:  # a family not written yet
        if _e.name != f"deepgrad.ops.{_fam}":
            raise
        continue
    for _name in getattr(_mod, "__all__", []):
        globals()[_name] = getattr(_mod, _name)
        __all__.append(_name)

# Tensor methods that forward to the op of the same name: x.exp() is exp(x).
_METHODS = [
    "exp", "expm1", "erf", "log", "log1p", "log2", "log10", "sqrt", "rsqrt", "abs", "sign", "sin", "cos", "tan",
    "clamp", "clip", "maximum", "minimum", "square", "reciprocal",
    "sigmoid", "tanh", "relu", "softplus", "neg",
    "sum", "mean", "max", "min", "prod", "logsumexp", "var", "std", "norm", "argmax", "argmin",
    "amax", "amin", "all", "any", "cumsum",
    "reshape", "view", "permute", "squeeze", "unsqueeze", "flatten", "broadcast_to", "expand",
    "split", "chunk", "repeat", "tile", "flip", "gather", "take", "index_select", "masked_fill",
    "softmax", "log_softmax", "matmul", "pow", "sum_to", "remainder", "floor_divide",
    # PyTorch's other method spellings of the ops above and of the newer ops
    "add", "sub", "mul", "div", "true_divide", "multiply", "subtract", "divide", "negative", "mm", "dot", "bmm",
    "outer", "eq", "ne", "lt", "le", "gt", "ge", "greater", "greater_equal", "less", "less_equal", "not_equal",
    "logical_and", "logical_or", "logical_xor", "logical_not", "isnan", "isfinite", "isinf", "isclose", "allclose",
    "equal", "nonzero", "unbind", "narrow", "movedim", "moveaxis", "tril", "triu", "roll", "repeat_interleave",
    "cumprod", "sort", "argsort", "topk", "kthvalue", "median", "diag", "diagonal", "trace", "asin", "acos",
    "atan", "sinh", "cosh", "asinh", "acosh", "atanh", "arcsin", "arccos", "arctan", "atan2", "arctan2", "hypot",
    "logaddexp", "floor", "ceil", "round", "trunc", "fix", "frac", "nan_to_num", "clamp_min", "clamp_max",
    "fmod", "bitwise_not", "scatter", "scatter_add", "unique", "logit", "swapaxes", "swapdims", "ravel", "select",
    "masked_select", "index_add", "index_fill", "take_along_dim", "tensor_split", "lerp", "exp2", "sgn", "addcmul",
    "addcdiv", "addmm", "mv", "inner", "nansum", "nanmean", "aminmax", "count_nonzero", "argwhere", "cummax",
    "cummin", "bincount", "inverse", "det", "logdet", "slogdet", "pinverse", "matrix_power", "cholesky",
]


def _method(fn):
    def method(self, *args, **kwargs):
        return fn(self, *args, **kwargs)

    method.__name__ = fn.__name__
    method.__doc__ = fn.__doc__
    return method


for _name in _METHODS:
    if _name in globals():
        setattr(Tensor, _name, _method(globals()[_name]))


def _transpose_method(self, *dims, axes=None):
    if not dims:
        return transpose_axes(self, axes)  # noqa: F821
    if len(dims) == 1:
        return transpose_axes(self, tuple(dims[0]))  # noqa: F821
    return transpose(self, *dims)  # noqa: F821


def _rsub(a, b):
    return sub(as_tensor(b, like=a), a)  # noqa: F821


def _rdiv(a, b):
    return div(as_tensor(b, like=a), a)  # noqa: F821


def _rpow(a, b):
    return pow(as_tensor(b, like=a), a)  # noqa: F821


def _rmatmul(a, b):
    return matmul(as_tensor(b), a)  # noqa: F821


Tensor.transpose = _transpose_method
Tensor.T = property(lambda self: transpose_axes(self, None))  # noqa: F821
Tensor.mT = property(lambda self: swap_last(self))  # noqa: F821
Tensor.__add__ = Tensor.__radd__ = lambda a, b: add(a, b)  # noqa: F821
Tensor.__sub__ = lambda a, b: sub(a, b)  # noqa: F821
Tensor.__rsub__ = _rsub
Tensor.__mul__ = Tensor.__rmul__ = lambda a, b: mul(a, b)  # noqa: F821
Tensor.__truediv__ = lambda a, b: div(a, b)  # noqa: F821
Tensor.__rtruediv__ = _rdiv
Tensor.__neg__ = lambda a: neg(a)  # noqa: F821
Tensor.__floordiv__ = lambda a, b: floor_divide(a, b)  # noqa: F821
Tensor.__rfloordiv__ = lambda a, b: floor_divide(b, a)  # noqa: F821
Tensor.__mod__ = lambda a, b: remainder(a, b)  # noqa: F821
Tensor.__rmod__ = lambda a, b: remainder(as_tensor(b, like=a), a)  # noqa: F821
Tensor.__pos__ = lambda a: a
Tensor.__pow__ = lambda a, b: pow(a, b)  # noqa: F821
Tensor.__rpow__ = _rpow
Tensor.__matmul__ = lambda a, b: matmul(a, b)  # noqa: F821
Tensor.__rmatmul__ = _rmatmul
Tensor.__abs__ = lambda a: globals()["abs"](a)
Tensor.__round__ = lambda a, ndigits=None: globals()["round"](a, decimals=ndigits or 0)
Tensor.__getitem__ = lambda a, idx: getitem(a, idx)  # noqa: F821
Tensor.__eq__ = lambda a, b: False if b is None else eq(a, b)  # noqa: F821 - t == None is False, as torch
Tensor.__ne__ = lambda a, b: True if b is None else ne(a, b)  # noqa: F821
Tensor.__lt__ = lambda a, b: lt(a, b)  # noqa: F821
Tensor.__le__ = lambda a, b: le(a, b)  # noqa: F821
Tensor.__gt__ = lambda a, b: gt(a, b)  # noqa: F821
Tensor.__ge__ = lambda a, b: ge(a, b)  # noqa: F821
Tensor.__and__ = lambda a, b: logical_and(a, b)  # noqa: F821
Tensor.__or__ = lambda a, b: logical_or(a, b)  # noqa: F821
Tensor.__xor__ = lambda a, b: logical_xor(a, b)  # noqa: F821
Tensor.__invert__ = lambda a: logical_not(a) if a.dtype.kind == "b" else bitwise_not(a)  # noqa: F821


def _setitem(self, index, value):
    """``x[index] = value`` in place: recorded while gradients are (``shape.setitem``), a plain
    write into the data otherwise (parameters under no_grad)."""
    from deepgrad.ops.shape import setitem

    setitem(self, index, value)


def _grad_enabled():
    from deepgrad.autograd import config

    return config.grad_enabled


Tensor.__setitem__ = _setitem


# -- in-place updates ---------------------------------------------------------------------------
# ``w -= lr * w.grad`` inside ``no_grad()`` (the lectures' gradient-descent step) must change the
# parameter itself, as in PyTorch.  In-place ops write into ``.data``; they are not recorded, so
# while gradients are being recorded they are refused on tensors that take part in the graph.
def _check_inplace(self, name):
    if _grad_enabled() and self.requires_grad:
        what = "a leaf tensor that requires grad" if self.creator is None else "a tensor in the autograd graph"
        raise RuntimeError(
            f"{name}: {what} cannot be modified in place while gradients are recorded; "
            "wrap the update in deepgrad.no_grad() (or use .data)"
        )


def _operand(self, other):
    data = other.data if isinstance(other, Tensor) else other
    xp = self.xp
    if not isinstance(data, (int, float, bool)) and xp.__name__ != type(data).__module__.split(".")[0]:
        data = xp.asarray(data)
    return data


def _inplace(name, ufunc_name):
    def method(self, other, *, alpha=None):
        _check_inplace(self, name)
        data = _operand(self, other)
        if alpha is not None:
            data = data * alpha
        ufunc = getattr(self.xp, ufunc_name)
        ufunc(self.data, data, out=self.data, casting="same_kind")
        return self

    method.__name__ = name
    method.__doc__ = f"In place: self = self {ufunc_name} other (not recorded by autograd)."
    return method


Tensor.add_ = _inplace("add_", "add")
Tensor.sub_ = _inplace("sub_", "subtract")
Tensor.mul_ = _inplace("mul_", "multiply")
Tensor.div_ = _inplace("div_", "true_divide")
def _augmented(inplace_name, op):
    """``a += b``: in place when nothing is being recorded; while recording, a tensor of the graph
    (``loss += term``) gets the out-of-place op, which Python rebinds: same values and gradients as
    PyTorch's recorded in-place op.  A leaf that requires grad is refused, as in PyTorch."""

    def method(a, b):
        if _grad_enabled() and (a.requires_grad or (isinstance(b, Tensor) and b.requires_grad)):
            if a.requires_grad and a.creator is None:
                _check_inplace(a, inplace_name)
            return op(a, b)
        return getattr(a, inplace_name)(b)

    return method


Tensor.__iadd__ = _augmented("add_", lambda a, b: add(a, b))  # noqa: F821
Tensor.__isub__ = _augmented("sub_", lambda a, b: sub(a, b))  # noqa: F821
Tensor.__imul__ = _augmented("mul_", lambda a, b: mul(a, b))  # noqa: F821
Tensor.__itruediv__ = _augmented("div_", lambda a, b: div(a, b))  # noqa: F821


def _fill_(self, value):
    _check_inplace(self, "fill_")
    self.data[...] = value.data if isinstance(value, Tensor) else value
    return self


def _copy_(self, src):
    _check_inplace(self, "copy_")
    data = _operand(self, src)
    self.data[...] = self.xp.broadcast_to(self.xp.asarray(data, dtype=self.dtype), self.shape)
    return self


def _clamp_(self, min=None, max=None):  # noqa: A002 - PyTorch's names
    _check_inplace(self, "clamp_")
    self.xp.clip(self.data, min, max, out=self.data)
    return self


Tensor.fill_ = _fill_
Tensor.copy_ = _copy_
Tensor.clamp_ = _clamp_


def _t(self):
    """Transpose of a tensor of at most 2 dimensions (PyTorch's ``t()``)."""
    if self.ndim > 2:
        raise ValueError(f"t(): expects a tensor with <= 2 dimensions, got shape {self.shape}; use transpose()")
    return self if self.ndim < 2 else transpose(self, 0, 1)  # noqa: F821


Tensor.t = _t
Tensor.contiguous = lambda self: self  # arrays are laid out by numpy; every op accepts any strides


# -- more PyTorch method spellings ----------------------------------------------------------------
Tensor.unflatten = lambda self, dim, sizes: unflatten(self, dim, sizes)  # noqa: F821
Tensor.expand_as = lambda self, other: expand(self, other.shape)  # noqa: F821
Tensor.view_as = lambda self, other: reshape(self, other.shape)  # noqa: F821
Tensor.reshape_as = lambda self, other: reshape(self, other.shape)  # noqa: F821
Tensor.where = lambda self, condition, other: where(condition, self, other)  # noqa: F821


def _inplace_op(name, fn):
    """``x.exp_()``: the op's result written into ``x`` (not recorded, as the other in-place updates)."""

    def method(self, *args, **kwargs):
        _check_inplace(self, name)
        from deepgrad.autograd import no_grad

        with no_grad():
            out = fn(self, *args, **kwargs)
        if out.dtype.kind in "fc" and self.dtype.kind not in "fc":
            raise TypeError(f"{name}: result type {out.dtype} can't be cast to the desired output type {self.dtype}")
        self.data[...] = out.data
        return self

    method.__name__ = name
    method.__doc__ = f"In place: ``{name[:-1]}`` written into this tensor (not recorded by autograd)."
    return method


for _name in ["exp", "log", "sqrt", "abs", "neg", "sigmoid", "tanh", "relu", "pow", "masked_fill", "sin", "cos",
              "floor", "ceil", "round", "trunc", "clamp_min", "clamp_max", "nan_to_num", "sign", "reciprocal",
              "square", "log1p", "expm1", "rsqrt", "scatter", "scatter_add", "index_add", "index_fill", "lerp",
              "addcmul", "addcdiv", "clip"]:
    if _name in globals() and not hasattr(Tensor, _name + "_"):
        setattr(Tensor, _name + "_", _inplace_op(_name + "_", globals()[_name]))


def _inplace_view(name, fn):
    """``x.t_()``, ``x.squeeze_()``: x itself takes the new shape (a view of the same data)."""

    def method(self, *args, **kwargs):
        _check_inplace(self, name)
        self.data = fn(Tensor._make(self.data), *args, **kwargs).data
        return self

    method.__name__ = name
    return method


for _name, _fn in [("t", lambda x: x.t()), ("transpose", lambda x, a, b: transpose(x, a, b)),  # noqa: F821
                   ("swapaxes", lambda x, a, b: transpose(x, a, b)), ("squeeze", squeeze),  # noqa: F821
                   ("unsqueeze", unsqueeze)]:  # noqa: F821
    setattr(Tensor, _name + "_", _inplace_view(_name + "_", _fn))


def _detach_(self):
    """Make this tensor a leaf that does not require grad (torch's detach_)."""
    self.creator = None
    self.requires_grad = False
    return self


def _random_(draw):
    def method(self, *args):
        from deepgrad.random import generator

        _check_inplace(self, draw)
        g = generator(self.xp)
        if draw == "uniform_":
            a, b = (list(args) + [0.0, 1.0][len(args):])[:2]
            values = g.random(self.shape) * (b - a) + a
        elif draw == "normal_":
            mean, std = (list(args) + [0.0, 1.0][len(args):])[:2]
            values = g.standard_normal(self.shape) * std + mean
        else:  # bernoulli_
            p = args[0] if args else 0.5
            p = p.data if isinstance(p, Tensor) else p
            values = g.random(self.shape) < p
        self.data[...] = values
        return self

    method.__name__ = draw
    method.__doc__ = f"Fill in place from deepgrad's seeded generator ({draw[:-1]}), as torch's {draw}."
    return method


def _fill_diagonal_(self, fill_value, wrap=False):
    """Write ``fill_value`` on the main diagonal (all dims of equal size, or a 2-D tensor)."""
    _check_inplace(self, "fill_diagonal_")
    if self.ndim < 2 or (self.ndim > 2 and len(set(self.shape)) != 1):
        raise ValueError(f"fill_diagonal_: expected a 2-D tensor or one with all dims equal, got shape {self.shape}")
    self.xp.fill_diagonal(self.data, fill_value, wrap=wrap)
    return self


Tensor.detach_ = _detach_
Tensor.uniform_ = _random_("uniform_")
Tensor.normal_ = _random_("normal_")
Tensor.bernoulli_ = _random_("bernoulli_")
Tensor.fill_diagonal_ = _fill_diagonal_


def numel(x):
    """Number of elements of ``x``."""
    return x.numel()


def is_tensor(obj):
    """True for a deepgrad Tensor."""
    return isinstance(obj, Tensor)


def is_floating_point(x):
    return x.is_floating_point()


__all__ += ["numel", "is_tensor", "is_floating_point"]
