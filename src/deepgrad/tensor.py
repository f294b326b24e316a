"""``Tensor``: one numpy or cupy array plus what reverse mode needs.

Ops live in ``deepgrad.ops``; the methods that reach them (``x.exp()``, ``x.sum(dim=1)``)
are attached by ``deepgrad.ops`` when it is imported.  This file holds only the data,
the properties, the conversions and ``backward``.
"""
from __future__ import annotations

import numpy as np

from deepgrad import autograd
from deepgrad.backend import (
    Device,
    _gpu_checks,
    as_numpy,
    device_of,
    get_array_module,
    is_cupy_array,
    run_gpu_checks,
    to_device,
)
from deepgrad.dtypes import get_default_dtype, to_dtype


class Tensor:
    __slots__ = ("data", "grad", "requires_grad", "creator", "_generation", "_retains_grad", "name", "_versions",
                 "__weakref__")

    __array_priority__ = 1000  # numpy defers to our operators: ndarray + Tensor -> Tensor

    def __init__(self, data, dtype=None, requires_grad=False, device=None, name=None):
        if isinstance(data, Tensor):
            data = data.data
        if not (isinstance(data, np.ndarray) or is_cupy_array(data)):
            arr = np.asarray(data)
            if dtype is None and arr.dtype == np.float64 and not isinstance(data, np.generic):
                arr = arr.astype(get_default_dtype())  # Python floats -> default float dtype
            data = arr
        if dtype is not None:
            dtype = to_dtype(dtype)
            if data.dtype != dtype:
                data = data.astype(dtype)
        if device is not None:
            data = to_device(data, device)
        self.data = data
        self.grad = None
        self.creator = None
        self._generation = 0
        self._retains_grad = False
        self._versions = None  # earlier values kept by recorded in-place assignments (autograd.rebase)
        self.name = name
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    @staticmethod
    def _make(array):
        """Wrap an array the engine just computed (no copies; a NumPy scalar becomes a 0-d array)."""
        return _wrap(array)

    # -- properties -------------------------------------------------------------------
    @property
    def shape(self):
        return self.data.shape

    def size(self, dim=None):
        """Number of elements (``x.size()`` is the shape as in PyTorch when called)."""
        return self.shape if dim is None else self.shape[dim]

    def numel(self):
        return int(self.data.size)

    @property
    def dtype(self):
        return self.data.dtype

    @property
    def ndim(self):
        return self.data.ndim

    def dim(self):
        return self.data.ndim

    @property
    def device(self):
        return device_of(self.data)

    @property
    def is_cuda(self):
        return is_cupy_array(self.data)

    @property
    def is_cpu(self):
        return not is_cupy_array(self.data)

    def get_device(self):
        """The CUDA device index, -1 on the CPU (as torch)."""
        return self.data.device.id if is_cupy_array(self.data) else -1

    @property
    def is_leaf(self):
        return self.creator is None

    @property
    def grad_fn(self):
        return self.creator

    @property
    def xp(self):
        return get_array_module(self.data)

    def __iter__(self):
        if self.data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        for i in range(self.data.shape[0]):
            yield self[i]

    def __len__(self):
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self.data)

    # -- conversions ------------------------------------------------------------------
    def numpy(self):
        """The array as numpy (a copy from the GPU). Unlike PyTorch, allowed on tensors in a graph."""
        return as_numpy(self.data)

    def item(self):
        if self.data.size != 1:
            raise ValueError(f"item(): only one-element tensors can be converted, got shape {self.shape}")
        if _gpu_checks and is_cupy_array(self.data):
            run_gpu_checks()
        return self.data.reshape(()).item()

    def tolist(self):
        return as_numpy(self.data).tolist()

    def __array__(self, dtype=None, copy=None):
        """``np.asarray(t)`` shares memory with a CPU tensor; ``np.array(t)`` copies (NumPy 2 protocol)."""
        a = as_numpy(self.data)
        if dtype is not None and a.dtype != dtype:
            return a.astype(dtype)  # a new array already
        if copy and a is self.data:
            a = a.copy()
        return a

    def __dlpack__(self, *args, **kwargs):
        return self.data.__dlpack__(*args, **kwargs)

    def __dlpack_device__(self):
        return self.data.__dlpack_device__()

    def to(self, device=None, dtype=None):
        """Move to ``device`` and/or cast to ``dtype`` (differentiable); ``x.to(other)`` takes
        ``other``'s dtype and device."""
        if isinstance(device, Tensor):
            device, dtype = device.device, device.dtype
        is_device_name = isinstance(device, str) and (device == "cpu" or device.startswith("cuda"))
        if isinstance(device, (np.dtype, type)) or (isinstance(device, str) and not is_device_name):
            device, dtype = None, device  # x.to(float64), x.to("float32")
        out = self
        if dtype is not None:
            out = out.type(dtype)
        if device is not None and Device(device) != out.device:
            from deepgrad.ops.device import to_device_op

            out = to_device_op(out, Device(device))
        return out

    def cuda(self, device=0):
        return self.to(f"cuda:{device}" if isinstance(device, int) else device)

    def cpu(self):
        return self.to("cpu")

    def type(self, dtype):
        from deepgrad.ops.device import cast

        dtype = to_dtype(dtype)
        return self if dtype == self.dtype else cast(self, dtype)

    def float(self):
        return self.type(np.float32)

    def double(self):
        return self.type(np.float64)

    def long(self):
        return self.type(np.int64)

    def int(self):
        return self.type(np.int32)

    def bool(self):
        return self.type(np.bool_)

    def half(self):
        return self.type(np.float16)

    def type_as(self, other):
        return self.type(other.dtype)

    def is_floating_point(self):
        return self.data.dtype.kind == "f"

    def element_size(self):
        return int(self.data.dtype.itemsize)

    def nelement(self):
        return int(self.data.size)

    def ndimension(self):
        return self.data.ndim

    def is_contiguous(self):
        return bool(self.data.flags.c_contiguous)

    # -- new tensors like this one (dtype and device kept unless given) ------------------
    def _new(self, fn, size, dtype, device, requires_grad, *args):
        from deepgrad.ops._util import shape_arg

        xp = self.xp if device is None else Device(device).xp
        dtype = self.dtype if dtype is None else to_dtype(dtype)
        out = Tensor._make(getattr(xp, fn)(shape_arg(size), *args, dtype=dtype))
        return out.requires_grad_(True) if requires_grad else out

    def new_zeros(self, *size, dtype=None, device=None, requires_grad=False):
        return self._new("zeros", size, dtype, device, requires_grad)

    def new_ones(self, *size, dtype=None, device=None, requires_grad=False):
        return self._new("ones", size, dtype, device, requires_grad)

    def new_empty(self, *size, dtype=None, device=None, requires_grad=False):
        return self._new("empty", size, dtype, device, requires_grad)

    def new_full(self, size, fill_value, dtype=None, device=None, requires_grad=False):
        return self._new("full", (size,), dtype, device, requires_grad, fill_value)

    def new_tensor(self, data, dtype=None, device=None, requires_grad=False):
        """A copy of ``data`` with this tensor's dtype (unless given) and device."""
        if isinstance(data, Tensor):
            data = data.data
        dtype = self.dtype if dtype is None else to_dtype(dtype)
        xp = self.xp if device is None else Device(device).xp
        out = Tensor._make(xp.array(as_numpy(data) if xp is np else data, dtype=dtype))
        return out.requires_grad_(True) if requires_grad else out

    def detach(self):
        return Tensor._make(self.data)

    def clone(self):
        from deepgrad.ops.device import copy

        return copy(self)

    def requires_grad_(self, requires_grad=True):
        if requires_grad and self.data.dtype.kind not in "fc":
            raise TypeError(
                f"requires_grad: only floating point tensors can require gradients, got dtype {self.dtype}"
            )
        if not requires_grad and self.creator is not None:
            raise RuntimeError("requires_grad_(False): can only be changed on leaf tensors; use .detach()")
        self.requires_grad = bool(requires_grad)
        return self

    def register_hook(self, hook):
        """``hook(grad)`` is called with this tensor's gradient during backward; returning a tensor
        replaces the gradient (as torch).  ``.remove()`` on the returned handle undoes it."""
        return autograd.register_hook(self, hook)

    def retain_grad(self):
        if not self.requires_grad:
            raise RuntimeError("retain_grad() on a tensor that does not require grad")
        self._retains_grad = True
        return self

    def zero_(self):
        self.data[...] = 0
        return self

    # -- reverse mode -----------------------------------------------------------------
    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Accumulate d(self)/d(leaf) into every leaf's ``.grad`` (only into ``inputs`` when given).

        ``gradient`` is required unless ``self`` has one element; the graph is freed afterwards
        unless ``retain_graph`` (default: ``create_graph``)."""
        if not self.requires_grad:
            raise RuntimeError(
                "backward(): this tensor does not require grad and has no creator "
                "(was it computed under no_grad, or from tensors without requires_grad=True?)"
            )
        seed = _seed_grad(self, gradient, "backward")
        retain = create_graph if retain_graph is None else (retain_graph or create_graph)
        if inputs is None:
            autograd.run_backward([self], [seed], retain_graph=retain, create_graph=create_graph)
            return
        inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
        grads = autograd.run_backward([self], [seed], retain_graph=retain, create_graph=create_graph, inputs=inputs)
        taken = {id(seed.data)}
        for t, g in zip(inputs, grads):
            if g is not None:
                autograd._deliver(t, g, create_graph, taken)

    # -- printing ---------------------------------------------------------------------
    def __repr__(self):
        arr = as_numpy(self.data)
        body = np.array2string(arr, separator=", ", prefix="tensor(", formatter=_float_formatter(arr))
        extra = ""
        if self.data.dtype != get_default_dtype() and self.data.dtype not in (np.int64, np.bool_):
            extra += f", dtype={self.data.dtype}"
        if self.device.type != "cpu":
            extra += f", device='{self.device}'"
        if self.creator is not None:
            extra += f", grad_fn=<{self.creator.name}Backward0>"
        elif self.requires_grad:
            extra += ", requires_grad=True"
        return f"tensor({body}{extra})"

    def __format__(self, spec):
        """``f"{loss:.4f}"`` formats a one-element tensor's value (as torch); ``f"{t}"`` is repr."""
        if spec and self.data.ndim == 0:
            return format(self.item(), spec)
        return object.__format__(self, spec) if spec else repr(self)

    def __bool__(self):
        if self.data.size != 1:
            raise RuntimeError(f"bool() of a tensor with {self.data.size} elements is ambiguous")
        if _gpu_checks and is_cupy_array(self.data):
            run_gpu_checks()
        return bool(self.data)

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __index__(self):
        if self.data.dtype.kind not in "iu":
            raise TypeError("only integer tensors can be used as an index")
        return int(self.item())

    __hash__ = object.__hash__


def _seed_grad(t, gradient, who):
    """The gradient that starts reverse mode at ``t``."""
    if gradient is None:
        if t.data.size != 1:
            raise RuntimeError(
                f"{who}(): grad can be implicitly created only for scalar outputs, but the output "
                f"has shape {t.shape}; pass gradient= (a tensor of that shape)"
            )
        xp = get_array_module(t.data)
        return Tensor._make(xp.ones_like(t.data))
    g = gradient if isinstance(gradient, Tensor) else Tensor(gradient, dtype=t.dtype)
    if g.shape != t.shape:
        raise ValueError(f"{who}(): gradient has shape {g.shape} but the output has shape {t.shape}")
    if g.dtype != t.dtype and t.dtype.kind in "fc":  # keep float32 math in float32
        g = Tensor._make(g.data.astype(t.dtype))
    return g


def _float_formatter(arr):
    """Print floats as torch does: ``2., 4.`` when all are whole numbers, else 4 decimals, or
    ``1.0000e-05`` when the values span more than 1000x or leave [1e-4, 1e8]; padded to one width."""
    if arr.dtype.kind != "f" or arr.size == 0:
        return None
    finite = arr[np.isfinite(arr)].astype(np.float64)
    nonzero = np.abs(finite[finite != 0])
    big = nonzero.size > 0 and nonzero.max() > 1e8
    if finite.size and np.all(finite == np.ceil(finite)):
        fmt = "{:.4e}" if big else "{:.0f}."
    elif nonzero.size and (big or nonzero.max() / nonzero.min() > 1000 or nonzero.min() < 1e-4):
        fmt = "{:.4e}"
    else:
        fmt = "{:.4f}"
    texts = [fmt.format(v) for v in (finite.min(), finite.max())] if finite.size else []
    texts += [str(v) for v in np.unique(arr[~np.isfinite(arr)])]  # nan, inf, -inf
    width = max(len(t) for t in texts)
    return {"float_kind": lambda v: (fmt.format(v) if np.isfinite(v) else str(v)).rjust(width)}


def as_tensor(x, dtype=None, like=None):
    """A Tensor from ``x``; Python scalars take ``like``'s dtype and device (no float64 leaks).

    As in PyTorch: a float with an integer or bool tensor gives the default float dtype, an int
    with a bool tensor gives int64, anything else takes the tensor's dtype."""
    if isinstance(x, Tensor):
        return x
    if like is not None:
        tx = type(x)
        if tx is float or tx is int or tx is bool:  # exact types: np.float64 is a float subclass
            ldata = like.data
            dt = ldata.dtype
            kind = dt.kind
            if tx is float and kind not in "fc":
                dt = get_default_dtype()
            elif tx is int and kind == "b":
                dt = _int64
            if ldata.__class__ is _ndarray:
                return _wrap(np.array(x, dtype=dt))
            return _wrap(get_array_module(ldata).asarray(x, dtype=dt))
        if is_cupy_array(like.data) and not is_cupy_array(x):
            x = get_array_module(like.data).asarray(x)
    return Tensor(x, dtype=dtype)


_new = object.__new__
_ndarray, _generic, _int64 = np.ndarray, np.generic, np.dtype(np.int64)


def _wrap(array):
    """``Tensor._make`` as a plain function (the engine's hot path: no classmethod binding)."""
    if array.__class__ is not _ndarray and isinstance(array, _generic):
        array = np.asarray(array)  # x.sum() gives np.float32: keep .data an array (writeable, dlpack)
    t = _new(Tensor)
    t.data = array
    t.grad = None
    t.creator = None
    t._generation = 0
    t._retains_grad = False
    t._versions = None
    t.name = None
    t.requires_grad = False
    return t


autograd._bind_tensor(Tensor, as_tensor, _wrap)
