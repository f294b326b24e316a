"""A CPU stand-in for CuPy that keeps CuPy's one hard rule: device arrays and host arrays never mix.

``install()`` puts a module named ``cupy`` into ``sys.modules`` whose ``ndarray`` wraps a NumPy
array but, like ``cupy.ndarray``, is *not* a ``numpy.ndarray``:

- every ufunc, method and module function refuses a ``numpy.ndarray`` operand with CuPy's
  ``TypeError: Unsupported type <class 'numpy.ndarray'>``;
- ``numpy.asarray(x)`` refuses with CuPy's "Implicit conversion to a NumPy array is not allowed";
  ``x.get()`` / ``cupy.asnumpy(x)`` copy to the host, ``cupy.asarray(a)`` to the "device";
- reductions and scalar indexing give 0-d device arrays, never NumPy scalars, as CuPy does;
- ``numpy`` functions called on device arrays dispatch here (``__array_function__``), as CuPy's do;
- only CuPy 14.2.0's API (tests/cupy_api_14.json, written by tests/make_cupy_api.py from the real
  CuPy): any other name of ``cupy``, its submodules, ``cupy.ndarray``, a ufunc or
  ``cupy.random.Generator`` raises CuPy's ``AttributeError``, a keyword CuPy does not take a
  ``TypeError``; the ufunc methods CuPy lacks (``maximum.accumulate``, ``maximum.reduce``, ...)
  raise its ``NotImplementedError``, and ``ufunc.at`` refuses the dtypes CuPy's scatter refuses;
  device arrays have no ``__index__`` (a 0-d array is no Python int), as in CuPy;
- out-of-bounds integer-array indices (``a[idx]``, ``a[idx] = v``, ``ufunc.at``, ``take``,
  ``take_along_axis``) wrap around silently, as in CuPy, where NumPy raises IndexError;
- ``sort``/``argsort`` are stable and refuse any other ``kind``, as CuPy's.

It lets the device-parameterised suites (op table, optimizers, nn, data, keras) run their
``cuda`` cases on a machine without a GPU and catch code that mixes devices or leaks device
arrays to NumPy.  The hand-written CUDA kernels of ``deepgrad.kernels`` run compiled for the CPU
(tests/cupy_emulator_kernels.py; without a C++ compiler they are switched off).  Turn it on with
``DEEPGRAD_TEST_CUPY_EMULATOR=1`` (``make test`` runs the ``gpu`` tests a second time that way).
"""
from __future__ import annotations

import contextlib
import json
import os
import sys
import types

import numpy as np

with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "cupy_api_14.json")) as _f:
    API = json.load(_f)  # what CuPy 14.2.0 has (tests/make_cupy_api.py)
_EMULATOR_ONLY = {"EMULATED", "KERNELS"}  # markers the tests read; absent from a real CuPy
_TREE = {}  # the emulated module tree of the last build(): numpy calls on device arrays resolve in it

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


def _wrap_index(shape, key):
    """``key`` (unwrapped) with its integer-array indices taken modulo their axis's size: CuPy wraps
    out-of-bounds integer-array indices around instead of raising IndexError as NumPy does."""
    key = key if isinstance(key, tuple) else (key,)
    arrays = [np.asarray(k) if isinstance(k, (list, np.ndarray)) else k for k in key]

    def dims(k):
        if k is None or k is Ellipsis or isinstance(k, (bool, np.bool_)):
            return 0
        return k.ndim if isinstance(k, np.ndarray) and k.dtype.kind == "b" else 1

    out, axis = [], 0
    for k, a in zip(key, arrays):
        if a is Ellipsis:
            axis += len(shape) - sum(dims(b) for b in arrays)
        elif isinstance(a, np.ndarray) and a.dtype.kind in "iu" and axis < len(shape) and shape[axis]:
            k = a % shape[axis]
        out.append(k)
        axis += dims(a)
    return tuple(out)


def _check_kwargs(qualname, params, kwargs):
    """CuPy's TypeError for a keyword ``qualname`` does not take (``params``: tests/cupy_api_14.json)."""
    if isinstance(params, list) and "**" not in params:
        for k in kwargs:
            if k not in params:
                raise TypeError(f"{qualname}() got an unexpected keyword argument '{k}'")


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
    def get(self, stream=None, order="C", out=None, blocking=True):
        if out is not None:
            if not isinstance(out, np.ndarray):
                raise TypeError("Only numpy.ndarray can be obtained fromcupy.ndarray")
            if out.dtype != self._a.dtype:
                raise TypeError(f"{out.dtype} array cannot be obtained from {self._a.dtype} array")
            if out.shape != self._a.shape:
                raise ValueError(f"Shape mismatch. Expected shape: {self._a.shape}, actual shape: {out.shape}")
            out[...] = self._a
            return out
        return np.array(self._a, order=order)

    def set(self, arr, stream=None):
        if not isinstance(arr, np.ndarray):
            raise TypeError("Only numpy.ndarray can be set to cupy.ndarray")
        if arr.dtype != self._a.dtype:
            raise TypeError(f"{arr.dtype} array cannot be set to {self._a.dtype} array")
        if arr.shape != self._a.shape:
            raise ValueError(f"Shape mismatch. Old shape: {self._a.shape}, new shape: {arr.shape}")
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
        """As CuPy: the cupy (or cupyx.scipy.special) ufunc of the same name runs, NotImplemented else."""
        if "out" in kwargs:
            if len(kwargs["out"]) != 1:
                raise ValueError("The 'out' parameter must have exactly one array value")
            kwargs["out"] = kwargs["out"][0]
        if method not in ("__call__", "outer", "at", "reduce", "accumulate", "reduceat"):
            return NotImplemented
        try:
            func = getattr(_TREE["cupy"], ufunc.__name__, None) or getattr(_TREE["cupyx.scipy.special"],
                                                                           ufunc.__name__)
        except AttributeError:
            return NotImplemented
        return func(*inputs, **kwargs) if method == "__call__" else getattr(func, method)(*inputs, **kwargs)

    def __array_function__(self, func, types_, args, kwargs):
        """As CuPy: ``numpy.<path>.f`` on device arrays runs ``cupy.<path>.f``, NotImplemented if none."""
        name = ".".join(["cupy", *func.__module__.split(".")[1:]])
        if name not in _TREE or func.__name__ not in API["modules"][name]:
            return NotImplemented
        return getattr(_TREE[name], func.__name__)(*args, **kwargs)

    # --- attributes and methods of the wrapped array -------------------------------------------
    def __getattr__(self, name):
        if name == "_a" or name.startswith("__"):  # no __array_interface__ & co: NumPy must not see through
            raise AttributeError(name)
        params = API["ndarray"].get(name, "absent")
        if params == "absent":
            raise AttributeError(f"'ndarray' object has no attribute '{name}'")
        attr = getattr(self._a, name)
        if not callable(attr):
            return _wrap(attr) if isinstance(attr, np.ndarray) else attr

        def method(*args, **kwargs):
            _check_kwargs(f"ndarray.{name}", params, kwargs)
            rule = _METHOD_RULES.get(name)
            r = rule(attr, *_dev(args), **_dev(kwargs)) if rule else attr(*_dev(args), **_dev(kwargs))
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

    def __getitem__(self, key):
        return _wrap(self._a[_wrap_index(self._a.shape, _host_ok(key))])

    def __setitem__(self, key, value):
        self._a[_wrap_index(self._a.shape, _host_ok(key))] = _host_ok(value)

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

    if _name != "matmul":  # CuPy has no __imatmul__
        setattr(ndarray, f"__i{_name}__", _inplace)

for _name, _fn in {"eq": _op.eq, "ne": _op.ne, "lt": _op.lt, "le": _op.le, "gt": _op.gt, "ge": _op.ge}.items():
    setattr(ndarray, f"__{_name}__", _binary(_fn)[0])

for _name, _fn in {"neg": _op.neg, "pos": _op.pos, "abs": _op.abs, "invert": _op.invert}.items():
    setattr(ndarray, f"__{_name}__", lambda self, _f=_fn: _wrap(_f(self._a)))


class _Ufunc:
    """A NumPy ufunc that refuses host arrays, returns device arrays and has CuPy's methods only."""

    def __init__(self, uf, qualname):
        self._uf, self._qualname = uf, qualname
        self.__name__ = uf.__name__
        self._info = API["ufuncs"].get(qualname, {})
        self._methods = self._info.get("methods", [])

    def __call__(self, *args, **kwargs):
        extra = {k: v for k, v in kwargs.items() if k not in API["ufunc"]["__call__"]}
        if extra:  # CuPy's ufunc takes out, dtype and casting only (no where=)
            raise TypeError(f"Wrong arguments {extra}")
        out = kwargs.get("out")
        if out is not None and not isinstance(out, tuple):
            out = (out,)
        r = self._uf(*_dev(args), **_dev({**kwargs, **({"out": out} if out is not None else {})}))
        if out is not None:
            return out[0] if len(out) == 1 else out
        return _wrap(r)

    def __getattr__(self, name):
        params = API["ufunc"].get(name, "absent")
        if name.startswith("_") or params == "absent":
            raise AttributeError(f"'cupy._core._kernel.ufunc' object has no attribute '{name}'")
        attr = getattr(self._uf, name)
        if not callable(attr):
            return attr

        def method(*args, **kwargs):
            _check_kwargs(f"ufunc.{name}", params, kwargs)
            if name in ("reduce", "accumulate", "reduceat") and name not in self._methods:
                raise NotImplementedError(f"`cupy_{self.__name__}.{name}` is not supported yet")
            if name == "at":
                self._check_at(*args)
                a, index, *rest = args  # host index arrays are fine (CuPy copies them over), as in a[index]
                return attr(_dev(a), _wrap_index(a.shape, _host_ok(index)), *_dev(rest), **_dev(kwargs))
            r = attr(*_dev(args), **_dev(kwargs))
            return None if name == "at" else _wrap(r)

        return method

    def _check_at(self, a, indices, b=None):
        """CuPy's ``ufunc.at``: a scatter kernel (add, max, min, ...), whose atomics take only some dtypes."""
        if not any(m.startswith("at:") for m in self._methods):
            raise NotImplementedError(f"`cupy_{self.__name__}.at` is not supported yet")
        index = indices if isinstance(indices, tuple) else (indices,)
        arrays = [i for i in index if type(i) is ndarray or isinstance(i, (list, np.ndarray))]
        masks = [i for i in arrays if np.asarray(_host_ok(i)).dtype.kind == "b"]
        allowed = self._info.get("at_dtypes")
        if arrays and not masks and allowed is not None and a.dtype.name not in allowed:
            raise TypeError(self._info["at_error"])


def _stable_sort(fn, *args, kind=None, **kwargs):
    """CuPy sorts stably (thrust) and takes no other ``kind``; NumPy's default quicksort is not stable."""
    if kind is not None and kind != "stable":
        raise ValueError("kind can only be None or 'stable'")
    return fn(*args, kind="stable", **kwargs)


def _wrapped_take(fn, a, indices, axis=None, *args, **kwargs):
    """CuPy's take / take_along_axis wrap out-of-bounds indices around (NumPy raises)."""
    n = a.size if axis is None else a.shape[axis]
    return fn(a, np.asarray(indices) % n if n else indices, axis, *args, **kwargs)


# where CuPy's functions and methods differ from NumPy's in a way deepgrad could depend on
_RULES = {"sort": _stable_sort, "argsort": _stable_sort, "take": _wrapped_take, "take_along_axis": _wrapped_take}
_METHOD_RULES = {"sort": _stable_sort, "argsort": _stable_sort}


def _function(name, fn, params=None):
    rule = _RULES.get(name)
    if rule is not None:
        def f(*args, **kwargs):
            _check_kwargs(name, params, kwargs)
            return _wrap(rule(fn, *_dev(args), **_dev(kwargs)))
    elif name in _HOST_OK:
        def f(a, *args, **kwargs):
            _check_kwargs(name, params, kwargs)
            return _wrap(np.asarray(fn(_host_ok(a), *_dev(args), **_dev(kwargs))))
    else:
        def f(*args, **kwargs):
            _check_kwargs(name, params, kwargs)
            return _wrap(fn(*_dev(args), **_dev(kwargs)))
    f.__name__ = name
    return f


class _Strict(types.ModuleType):
    """A module with only what CuPy 14.2.0's module of that name has (tests/cupy_api_14.json)."""

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        if name not in API["modules"][self.__name__]:
            raise AttributeError(f"module '{self.__name__}' has no attribute '{name}'")
        return self._emulate(name)

    def _emulate(self, name):
        raise AttributeError(f"cupy emulator: {self.__name__}.{name} (in CuPy 14.2.0) is not emulated")


class _Module(_Strict):
    """``cupy`` (or ``cupy.linalg``): the NumPy namespace's names that CuPy has, with functions and
    ufuncs wrapped to work on device arrays and refuse keywords CuPy does not take."""

    def __init__(self, name, np_module):
        super().__init__(name)
        self._np = np_module

    def _emulate(self, name):
        attr = getattr(self._np, name, None)
        if attr is None:
            return super()._emulate(name)
        spec = API["modules"][self.__name__][name]
        if isinstance(attr, np.ufunc) and spec == "ufunc":
            value = _Ufunc(attr, f"{self.__name__}.{name}")
        elif callable(attr) and not isinstance(attr, type):
            value = _function(name, attr, spec)
        else:
            value = attr
        setattr(self, name, value)
        return value


class _Generator:
    """``cupy.random.Generator`` on top of NumPy's: device arrays out, CuPy's methods only."""

    def __init__(self, seed=None):
        self._g = np.random.default_rng(seed)

    def __getattr__(self, name):
        params = API["random.Generator"].get(name, "absent")
        if name.startswith("_") or params == "absent":
            raise AttributeError(f"'Generator' object has no attribute '{name}'")
        attr = getattr(self._g, name)

        def method(*args, **kwargs):
            _check_kwargs(f"Generator.{name}", params, kwargs)
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


def _constructor(qualname, cls):
    """``cls``, refusing the keywords CuPy's class of that name does not take."""
    def make(*args, **kwargs):
        _check_kwargs(qualname, API["constructors"][qualname], kwargs)
        return cls(*args, **kwargs)

    make.__name__ = qualname.rsplit(".", 1)[1]
    return make


def build():
    """The emulated ``cupy`` module tree: ``{module name: module}``."""
    cupy = _Module("cupy", np)
    cupy.EMULATED = True
    cupy.ndarray = ndarray
    from tests import cupy_emulator_kernels as kernels

    # deepgrad's CUDA kernels, compiled for the CPU (tests/cupy_emulator_kernels.py), when there is a compiler
    cupy.KERNELS = kernels.compiler() is not None
    cupy.RawKernel = _constructor("cupy.RawKernel", kernels.RawKernel)
    cupy.ElementwiseKernel = _constructor("cupy.ElementwiseKernel", kernels.ElementwiseKernel)
    cupy.ReductionKernel = _constructor("cupy.ReductionKernel", kernels.ReductionKernel)
    cupy.asnumpy = lambda a, stream=None, order="C", out=None, *, blocking=True: \
        a.get(order=order, out=out) if type(a) is ndarray else np.asarray(a)
    cupy.get_array_module = lambda *args: cupy if any(type(a) is ndarray for a in args) else np
    pool = _MemoryPool()
    cupy.get_default_memory_pool = lambda: pool
    cupy.get_default_pinned_memory_pool = lambda: pool
    stream = types.SimpleNamespace(synchronize=lambda: None)
    runtime = _Strict("cupy.cuda.runtime")
    runtime.getDeviceCount = lambda: 1
    cuda = _Strict("cupy.cuda")
    cuda.runtime, cuda.Device = runtime, _constructor("cupy.cuda.Device", _Device)
    cuda.get_current_stream = lambda: stream
    cuda.Stream = _constructor("cupy.cuda.Stream", lambda *a, **k: contextlib.nullcontext(stream))
    cupy.cuda = cuda
    random = _Strict("cupy.random")
    random.default_rng = _Generator
    random.Generator = _Generator
    cupy.random = random
    linalg = _Module("cupy.linalg", np.linalg)
    cupy.linalg = linalg
    lib = _Strict("cupy.lib")
    tricks = _Strict("cupy.lib.stride_tricks")
    tricks.as_strided = _as_strided
    lib.stride_tricks = tricks
    cupy.lib = lib
    cupyx = _Strict("cupyx")
    scipy = _Strict("cupyx.scipy")
    special = _Strict("cupyx.scipy.special")
    special.erf = _erf
    scipy.special = special
    cupyx.scipy = scipy
    tree = {"cupy": cupy, "cupy.cuda": cuda, "cupy.cuda.runtime": runtime, "cupy.random": random,
            "cupy.linalg": linalg, "cupy.lib": lib, "cupy.lib.stride_tricks": tricks, "cupyx": cupyx,
            "cupyx.scipy": scipy, "cupyx.scipy.special": special}
    for name, module in tree.items():  # the emulator itself offers nothing CuPy lacks
        extra = set(vars(module)) - set(API["modules"][name]) - _EMULATOR_ONLY
        extra = {n for n in extra if not n.startswith("_")}
        assert not extra, f"cupy emulator: {name} offers {sorted(extra)}, which CuPy 14.2.0 lacks"
    _TREE.clear()
    _TREE.update(tree)
    return tree


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
