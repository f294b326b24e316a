"""Every differentiable op, one family per module; this file also gives Tensor its methods.

Find an op by its family: arith (add, matmul), elementwise (exp, clamp), activation (relu,
gelu), reduction (sum, logsumexp), shape (reshape, gather), softmax, loss, dropout, conv,
pool, normalization.  Each module lists its public names in ``__all__``.
"""
from __future__ import annotations

import importlib

from deepgrad.tensor import Tensor, as_tensor

_FAMILIES = ["arith", "elementwise", "activation", "reduction", "shape", "softmax", "loss",
             "dropout", "compare", "device", "linear", "conv", "pool", "normalization", "embedding"]

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
Tensor.__getitem__ = lambda a, idx: getitem(a, idx)  # noqa: F821
Tensor.__eq__ = lambda a, b: eq(a, b)  # noqa: F821
Tensor.__ne__ = lambda a, b: ne(a, b)  # noqa: F821
Tensor.__lt__ = lambda a, b: lt(a, b)  # noqa: F821
Tensor.__le__ = lambda a, b: le(a, b)  # noqa: F821
Tensor.__gt__ = lambda a, b: gt(a, b)  # noqa: F821
Tensor.__ge__ = lambda a, b: ge(a, b)  # noqa: F821
Tensor.__and__ = lambda a, b: logical_and(a, b)  # noqa: F821
Tensor.__or__ = lambda a, b: logical_or(a, b)  # noqa: F821
Tensor.__xor__ = lambda a, b: logical_xor(a, b)  # noqa: F821
Tensor.__invert__ = lambda a: logical_not(a)  # noqa: F821


def _setitem(self, index, value):
    """In-place assignment into the data (not recorded, as for parameters under no_grad)."""
    from deepgrad.ops.shape import _unwrap_index

    if self.requires_grad and self.creator is None and _grad_enabled():
        raise RuntimeError("a leaf tensor that requires grad is used in an in-place operation; use no_grad()")
    self.data[_unwrap_index(index)] = value.data if isinstance(value, Tensor) else value


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
