"""A CPU stand-in for CuPy that keeps CuPy's one hard rule: device arrays and host arrays never mix.

``install()`` puts a module named ``cupy`` into ``sys.modules`` whose ``ndarray`` wraps a NumPy
array but, like ``cupy.ndarray``, is *not* a ``numpy.ndarray``:

- every ufunc, method and module function refuses a ``numpy.ndarray`` operand with CuPy's
  ``TypeError: Unsupported type <class 'numpy.ndarray'>``;
- ``numpy.asarray(x)`` refuses with CuPy's "Implicit conversion to a NumPy array is not allowed";
  ``x.get()`` / ``cupy.asnumpy(x)`` copy to the host, ``cupy.asarray(a)`` to the "device";
- reductions and scalar indexing give 0-d device arrays, never NumPy scalars, as CuPy does;
- ``numpy`` functions called on device arrays dispatch here (``__array_function__``), as CuPy's do.

It lets the device-parameterised suites (op table, optimizers, nn, data, keras) run their
``cuda`` cases on a machine without a GPU and catch code that mixes devices or leaks device
arrays to NumPy.  The hand-written CUDA kernels of ``deepgrad.kernels`` run compiled for the CPU
(tests/cupy_emulator_kernels.py; without a C++ compiler they are switched off).  Turn it on with
``DEEPGRAD_TEST_CUPY_EMULATOR=1`` (``make test`` runs the ``gpu`` tests a second time that way).
"""
from __future__ import annotations

import contextlib
import sys
import types

import numpy as np

_HOST_OK = {"asarray", "array", "asanyarray", "ascontiguousarray", "asnumpy"}
_PYTHON_RESULT = {"item", "tolist", "tobytes", "__float__", "__int__", "__bool__", "__index__", "__len__"}


def _reject(x):
    raise TypeError(f"Unsupported type {type(x)}")


def _dev(x):
    """Unwrap device arrays (recursively in lists/tuples/dicts); refuse host arrays."""
    if type(x) is ndarray:
        return x._a
    if isinstance(x, np.ndarray):
        _reject(x)
    if isinstance(x, (list, tuple)):
        return type(x)(_dev(v) for v in x)
    if isinstance(x, dict):
        return {k: _dev(v) for k, v in x.items()}
    return x


def _host_ok(x):
    """Unwrap device arrays, let host arrays through (indices, ``asarray``)."""
    if type(x) is ndarray:
        return x._a
    if isinstance(x, (list, tuple)):
        return type(x)(_host_ok(v) for v in x)
    return x


def _wrap(r):
    if isinstance(r, (np.ndarray, np.generic)) and not isinstance(r, np.dtype):
        return ndarray(np.asarray(r))
    if isinstance(r, tuple):
        return tuple(_wrap(v) for v in r)
    if isinstance(r, list):
        return [_wrap(v) for v in r]
    return r


class _Device:
    id = 0

    def __init__(self, device=0):
        self.id = int(getattr(device, "id", device) or 0)
        if self.id != 0:
            raise RuntimeError(f"cupy emulator: device {self.id} does not exist (one emulated device)")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def synchronize(self):
        pass

    def use(self):
        pass


class ndarray:  # noqa: N801 - CuPy's name
    """A device array: a NumPy array that refuses to meet host arrays."""

    __slots__ = ("_a",)
    __module__ = "cupy_emulator"  # deepgrad recognises device arrays by a module name starting with "cupy"
    __hash__ = None

    def __init__(self, a):
        object.__setattr__(self, "_a", a)

    # --- what CuPy adds -----------------------------------------------------------------------
    def get(self, stream=None, order="C", out=None):
        if out is not None:
            out[...] = self._a
            return out
        return np.array(self._a, order=order)

    def set(self, arr):
        if not isinstance(arr, np.ndarray):
            raise TypeError(f"Only numpy.ndarray can be set to cupy.ndarray, got {type(arr)}")
        self._a[...] = arr

    @property
    def device(self):
        return _Device(0)

    @property
    def flags(self):
        f = self._a.flags
        return types.SimpleNamespace(c_contiguous=f.c_contiguous, f_contiguous=f.f_contiguous, owndata=f.owndata)

    def __array__(self, dtype=None, copy=None):
        raise TypeError("Implicit conversion to a NumPy array is not allowed. "
                        "Please use `.get()` to construct a NumPy array explicitly.")

    # --- NumPy protocols: numpy functions on device arrays run here ----------------------------
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        out = kwargs.get("out")
        if out is not None:
            kwargs["out"] = tuple(_dev(o) for o in out)
        r = getattr(ufunc, method)(*_dev(inputs), **_dev(kwargs))
        if out is not None:
            return out[0] if len(out) == 1 else out
        return None if method == "at" else _wrap(r)

    def __array_function__(self, func, types_, args, kwargs):
        return _wrap(func(*_dev(args), **_dev(kwargs)))

    # --- attributes and methods of the wrapped array -------------------------------------------
    def __getattr__(self, name):
        if name == "_a" or name.startswith("__"):  # no __array_interface__ & co: NumPy must not see through
            raise AttributeError(name)
        attr = getattr(self._a, name)
        if not callable(attr):
            return _wrap(attr) if isinstance(attr, np.ndarray) else attr

        def method(*args, **kwargs):
            r = attr(*_dev(args), **_dev(kwargs))
            return r if name in _PYTHON_RESULT else _wrap(r)

        return method

    def __setattr__(self, name, value):
        if name == "shape":
            self._a.shape = value
            return
        raise AttributeError(f"cupy emulator: cannot set attribute {name!r}")

    def __repr__(self):
        return repr(self._a)

    def __str__(self):
        return str(self._a)

    def __format__(self, spec):
        return format(self._a.item() if self._a.ndim == 0 else self._a, spec)

    def __len__(self):
        return len(self._a)

    def __iter__(self):
        return (_wrap(v) for v in self._a)

    def __bool__(self):
        return bool(self._a)

    def __float__(self):
        return float(self._a)

    def __int__(self):
        return int(self._a)

    def __complex__(self):
        return complex(self._a)

    def __index__(self):
        return self._a.__index__()

    def __getitem__(self, key):
        return _wrap(self._a[_host_ok(key)])

    def __setitem__(self, key, value):
        self._a[_host_ok(key)] = _host_ok(value)

    def __copy__(self):
        return ndarray(self._a.copy())

    def __deepcopy__(self, memo):
        return ndarray(self._a.copy())

    def __reduce__(self):
        raise TypeError("cupy emulator: device arrays are not pickled")

    def __dlpack__(self, *args, **kwargs):
        return self._a.__dlpack__(*args, **kwargs)

    def __dlpack_device__(self):
        return (2, 0)  # kDLCUDA, device 0


def _binary(op):
    def f(self, other):
        return _wrap(op(self._a, _dev(other)))

    def r(self, other):
        return _wrap(op(_dev(other), self._a))

    return f, r


import operator as _op  # noqa: E402

for _name, _fn in {"add": _op.add, "sub": _op.sub, "mul": _op.mul, "truediv": _op.truediv,
                   "floordiv": _op.floordiv, "mod": _op.mod, "pow": _op.pow, "matmul": _op.matmul,
                   "and": _op.and_, "or": _op.or_, "xor": _op.xor, "lshift": _op.lshift,
                   "rshift": _op.rshift}.items():
    _f, _r = _binary(_fn)
    setattr(ndarray, f"__{_name}__", _f)
    setattr(ndarray, f"__r{_name}__", _r)

    def _inplace(self, other, _n=_name):
        getattr(self._a, f"__i{_n}__")(_dev(other))
        return self

    setattr(ndarray, f"__i{_name}__", _inplace)

for _name, _fn in {"eq": _op.eq, "ne": _op.ne, "lt": _op.lt, "le": _op.le, "gt": _op.gt, "ge": _op.ge}.items():
    setattr(ndarray, f"__{_name}__", _binary(_fn)[0])

for _name, _fn in {"neg": _op.neg, "pos": _op.pos, "abs": _op.abs, "invert": _op.invert}.items():
    setattr(ndarray, f"__{_name}__", lambda self, _f=_fn: _wrap(_f(self._a)))


class _Ufunc:
    """A NumPy ufunc that refuses host arrays and returns device arrays."""

    def __init__(self, uf):
        self._uf = uf
        self.__name__ = uf.__name__

    def __call__(self, *args, **kwargs):
        out = kwargs.get("out")
        if out is not None and not isinstance(out, tuple):
            out = (out,)
        r = self._uf(*_dev(args), **_dev({**kwargs, **({"out": out} if out is not None else {})}))
        if out is not None:
            return out[0] if len(out) == 1 else out
        return _wrap(r)

    def __getattr__(self, name):
        attr = getattr(self._uf, name)
        if not callable(attr):
            return attr

        def method(*args, **kwargs):
            r = attr(*_dev(args), **_dev(kwargs))
            return None if name == "at" else _wrap(r)

        return method


def _function(name, fn):
    if name in _HOST_OK:
        def f(a, *args, **kwargs):
            return _wrap(np.asarray(fn(_host_ok(a), *_dev(args), **_dev(kwargs))))
    else:
        def f(*args, **kwargs):
            return _wrap(fn(*_dev(args), **_dev(kwargs)))
    f.__name__ = name
    return f


class _Module(types.ModuleType):
    """``cupy``: NumPy's namespace, with functions and ufuncs wrapped to work on device arrays."""

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        attr = getattr(np, name)
        if isinstance(attr, np.ufunc):
            value = _Ufunc(attr)
        elif callable(attr) and not isinstance(attr, type):
            value = _function(name, attr)
        else:
            value = attr
        setattr(self, name, value)
        return value


class _Generator:
    """``cupy.random.Generator`` on top of NumPy's: device arrays out."""

    def __init__(self, seed=None):
        self._g = np.random.default_rng(seed)

    def __getattr__(self, name):
        attr = getattr(self._g, name)
        if not callable(attr):
            return attr

        def method(*args, **kwargs):
            return _wrap(attr(*_dev(args), **_dev(kwargs)))

        return method


class _MemoryPool:
    def used_bytes(self):
        return 0

    def total_bytes(self):
        return 0

    def free_all_blocks(self):
        pass


def _as_strided(x, shape=None, strides=None):
    return _wrap(np.lib.stride_tricks.as_strided(_dev(x), shape=shape, strides=strides))


def _erf(x):
    from deepgrad.ops.special import erf_array  # the NumPy implementation on the wrapped array

    return _wrap(erf_array(_dev(x)))


def build():
    """The emulated ``cupy`` module tree: ``{module name: module}``."""
    cupy = _Module("cupy")
    cupy.EMULATED = True
    cupy.ndarray = ndarray
    from tests import cupy_emulator_kernels as kernels

    # deepgrad's CUDA kernels, compiled for the CPU (tests/cupy_emulator_kernels.py), when there is a compiler
    cupy.KERNELS = kernels.compiler() is not None
    cupy.RawKernel, cupy.ElementwiseKernel = kernels.RawKernel, kernels.ElementwiseKernel
    cupy.ReductionKernel = kernels.ReductionKernel
    cupy.asnumpy = lambda a, stream=None, order="C", out=None: a.get(order=order, out=out) if type(a) is ndarray \
        else np.asarray(a)
    cupy.get_array_module = lambda *args: cupy if any(type(a) is ndarray for a in args) else np
    pool = _MemoryPool()
    cupy.get_default_memory_pool = lambda: pool
    cupy.get_default_pinned_memory_pool = lambda: pool
    stream = types.SimpleNamespace(synchronize=lambda: None)
    runtime = types.SimpleNamespace(getDeviceCount=lambda: 1)
    cuda = types.ModuleType("cupy.cuda")
    cuda.runtime, cuda.Device = runtime, _Device
    cuda.get_current_stream = lambda: stream
    cuda.Stream = lambda *a, **k: contextlib.nullcontext(stream)
    cupy.cuda = cuda
    random = types.ModuleType("cupy.random")
    random.default_rng = _Generator
    random.Generator = _Generator
    cupy.random = random
    lib = types.ModuleType("cupy.lib")
    tricks = types.ModuleType("cupy.lib.stride_tricks")
    tricks.as_strided = _as_strided
    lib.stride_tricks = tricks
    cupy.lib = lib
    cupyx = types.ModuleType("cupyx")
    scipy = types.ModuleType("cupyx.scipy")
    special = types.ModuleType("cupyx.scipy.special")
    special.erf = _erf
    scipy.special = special
    cupyx.scipy = scipy
    return {"cupy": cupy, "cupy.cuda": cuda, "cupy.random": random, "cupy.lib": lib,
            "cupy.lib.stride_tricks": tricks, "cupyx": cupyx, "cupyx.scipy": scipy, "cupyx.scipy.special": special}


def is_emulated(cp) -> bool:
    """True when ``cp`` (deepgrad's cupy module) is this emulator, not a real GPU."""
    return getattr(cp, "EMULATED", False)


def runs_kernels(cp) -> bool:
    """True on a real GPU, and on the emulator when it can compile the kernels for the CPU."""
    return cp is not None and (not is_emulated(cp) or cp.KERNELS)


def install():
    """Make ``import cupy`` give the emulator.  deepgrad's CUDA kernels run compiled for the CPU
    when a C++ compiler is there (``DEEPGRAD_KERNELS=0`` still turns them off); else they are off."""
    import os

    modules = build()
    sys.modules.update(modules)
    if not modules["cupy"].KERNELS:
        os.environ["DEEPGRAD_KERNELS"] = "0"
        if "deepgrad.kernels._compile" in sys.modules:
            sys.modules["deepgrad.kernels._compile"].set_enabled(False)
    if "deepgrad.backend" in sys.modules:  # forget an earlier "no cupy" answer
        sys.modules["deepgrad.backend"]._cupy_checked = False
