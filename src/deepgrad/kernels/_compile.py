"""Lazy construction and caching of CuPy kernels, and the on/off switch."""
from __future__ import annotations

import os

from deepgrad.backend import cupy_module

_enabled = os.environ.get("DEEPGRAD_KERNELS", "1") not in ("0", "false", "no", "off")
_cache = {}


def enabled() -> bool:
    """True while deepgrad's hand-written GPU kernels are used (the default)."""
    return _enabled


def set_enabled(flag: bool) -> bool:
    """Turn the hand-written kernels on or off (the plain CuPy array code runs instead); returns
    the previous setting."""
    global _enabled
    prev, _enabled = _enabled, bool(flag)
    return prev


def use_kernels(array) -> bool:
    """True when ``array`` is a CuPy array and the kernels are enabled."""
    return _enabled and type(array).__module__.startswith("cupy")


def elementwise(name, in_params, out_params, body, preamble=""):
    """A ``cupy.ElementwiseKernel`` built once per name (compiled on first launch, per dtype)."""
    k = _cache.get(name)
    if k is None:
        cp = cupy_module()
        k = _cache[name] = cp.ElementwiseKernel(in_params, out_params, body, name, preamble=preamble)
    return k


def reduction(name, in_params, out_params, map_expr, reduce_expr, post_map_expr, identity):
    """A ``cupy.ReductionKernel`` built once per name."""
    k = _cache.get(name)
    if k is None:
        cp = cupy_module()
        k = _cache[name] = cp.ReductionKernel(in_params, out_params, map_expr, reduce_expr, post_map_expr,
                                              identity, name)
    return k


_CTYPES = {"float32": "float", "float64": "double", "int64": "long long", "int32": "int", "int16": "short",
           "int8": "signed char", "uint8": "unsigned char", "uint16": "unsigned short", "uint32": "unsigned int",
           "uint64": "unsigned long long", "bool": "bool"}


def ctype(dtype):
    """The C type of a NumPy/CuPy dtype, or None when there is none here."""
    return _CTYPES.get(str(dtype))


def raw_source(code, types):
    """``code`` with the typedefs ``types`` ({'T': 'float', ...}) prepended: the source NVRTC compiles."""
    return "".join(f"typedef {c} {t};\n" for t, c in types.items()) + code


def raw(name, code, types, options=()):
    """A ``cupy.RawKernel`` for ``code`` with the typedefs ``types`` ({'T': 'float', ...}) prepended,
    built once per (name, types).  A RawKernel launch costs a few microseconds of Python, several
    times less than an ElementwiseKernel's, which matters for the small arrays of a training step."""
    key = (name, tuple(sorted(types.items())))
    k = _cache.get(key)
    if k is None:
        cp = cupy_module()
        k = _cache[key] = cp.RawKernel(raw_source(code, types), name, options=tuple(options))
    return k


def blocks(n, threads=256):
    """Grid size covering ``n`` threads."""
    return ((n + threads - 1) // threads,)
