"""CuPy's user kernels for tests/cupy_emulator.py: the CUDA sources of ``deepgrad.kernels``,
compiled for the CPU with g++ behind a small shim, run on the emulator's arrays.

- ``RawKernel(code, name)``: the ``extern "C" __global__`` function runs once per (block,
  thread) of the launch grid; kernels that call ``__syncthreads()`` run each block's threads as
  OS threads meeting at a real barrier (``__shared__`` memory is then shared by the block).
  Scalar arguments must be NumPy scalars of the declared C type's size, as on a GPU, where a
  wrong size shifts every later argument.
- ``ElementwiseKernel(in_params, out_params, body, name)``: CuPy's rules for ``raw`` and
  broadcast parameters, type placeholders (``T``) bound from the arguments, ``i`` the index;
  ``raw`` arrays index like CuPy's ``CArray`` (a flat index through the strides, or an index array).
- ``ReductionKernel``: a full reduction (``axis=None``), what deepgrad uses.

The arithmetic is the host's (no fused multiply-add: ``-ffp-contract=off``), so results match
the NumPy code to rounding as on a GPU; timing means nothing here.  Compiled libraries are
cached by source hash under ``$DEEPGRAD_KERNEL_CACHE`` (default: a folder in the temp dir).
"""
from __future__ import annotations

import ctypes
import hashlib
import os
import re
import shutil
import subprocess
import tempfile
import threading

import numpy as np

from tests import nvrtc

SHIM = r"""
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <type_traits>
#include <vector>
using namespace std;
struct dim3_ { unsigned int x, y, z; };
static DG_TLS dim3_ threadIdx, blockIdx;  // thread_local only for kernels run as OS threads
static dim3_ blockDim, gridDim;
#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __restrict__
#define __shared__ static
static std::mutex dg_mutex;
static std::condition_variable dg_cv;
static int dg_waiting = 0, dg_generation = 0, dg_block_threads = 1;
static void dg_syncthreads() {
    std::unique_lock<std::mutex> lock(dg_mutex);
    int gen = dg_generation;
    if (++dg_waiting == dg_block_threads) { dg_waiting = 0; ++dg_generation; dg_cv.notify_all(); }
    else dg_cv.wait(lock, [&] { return gen != dg_generation; });
}
#define __syncthreads() dg_syncthreads()
static std::mutex dg_atomic;
template <class T> static T atomicAdd(T* p, T v) {
    std::lock_guard<std::mutex> g(dg_atomic); T o = *p; *p = o + v; return o;
}
template <class T> static T atomicExch(T* p, T v) {
    std::lock_guard<std::mutex> g(dg_atomic); T o = *p; *p = v; return o;
}
static inline unsigned int __umulhi(unsigned int a, unsigned int b) {
    return (unsigned int)(((unsigned long long)a * b) >> 32);
}
template <class T> struct CArray {
    char* data; int ndim; const long long* shape; const long long* strides;
    template <class I, typename std::enable_if<std::is_integral<I>::value, int>::type = 0>
    T& operator[](I index) const {
        ptrdiff_t i = (ptrdiff_t)index;
        char* p = data;
        for (int d = ndim - 1; d > 0; --d) { p += strides[d] * (i % shape[d]); i /= shape[d]; }
        if (ndim > 0) p += strides[0] * i;
        return *(T*)p;
    }
    T& operator[](const ptrdiff_t* idx) const {
        char* p = data;
        for (int d = 0; d < ndim; ++d) p += strides[d] * idx[d];
        return *(T*)p;
    }
};
"""

_C = {"float32": "float", "float64": "double", "int8": "signed char", "int16": "short", "int32": "int",
      "int64": "long long", "uint8": "unsigned char", "uint16": "unsigned short", "uint32": "unsigned int",
      "uint64": "unsigned long long", "bool": "bool"}
_CTYPES = {"float": ctypes.c_float, "double": ctypes.c_double, "signed char": ctypes.c_byte, "short": ctypes.c_short,
           "int": ctypes.c_int, "long long": ctypes.c_longlong, "unsigned char": ctypes.c_ubyte,
           "unsigned short": ctypes.c_ushort, "unsigned int": ctypes.c_uint, "unsigned long long": ctypes.c_ulonglong,
           "bool": ctypes.c_bool, "long": ctypes.c_long, "unsigned long": ctypes.c_ulong}
_lock = threading.Lock()
_libs = {}


def compiler():
    """The C++ compiler, or None (``DEEPGRAD_TEST_NO_CXX=1`` pretends there is none)."""
    if os.environ.get("DEEPGRAD_TEST_NO_CXX"):
        return None
    return shutil.which("g++") or shutil.which("c++")


def _build(source, threaded=False):
    """A ctypes library compiled from ``SHIM + source``, cached by hash."""
    source = ("#define DG_TLS thread_local\n" if threaded else "#define DG_TLS\n") + SHIM + source
    key = hashlib.sha256(source.encode()).hexdigest()[:20]
    with _lock:
        if key in _libs:
            return _libs[key]
        folder = os.environ.get("DEEPGRAD_KERNEL_CACHE") or os.path.join(tempfile.gettempdir(),
                                                                          f"deepgrad-kernels-{os.getuid()}")
        os.makedirs(folder, exist_ok=True)
        lib = os.path.join(folder, f"{key}.so")
        if not os.path.exists(lib):
            src = os.path.join(folder, f"{key}.cpp")
            with open(src, "w") as f:
                f.write(source)
            tmp = f"{lib}.{os.getpid()}.tmp"
            proc = subprocess.run([compiler(), "-std=c++17", "-O2", "-ffp-contract=off", "-shared", "-fPIC",
                                   "-pthread", "-w", "-o", tmp, src], capture_output=True, text=True)
            if proc.returncode:
                raise RuntimeError(f"cupy emulator: the kernel source does not compile:\n{proc.stderr[-3000:]}")
            os.replace(tmp, lib)
        _libs[key] = ctypes.CDLL(lib)
        return _libs[key]


def _host(a):
    """The NumPy array behind an emulated device array."""
    return a._a if hasattr(a, "_a") else None


def _c_type(declared, typedefs):
    t = " ".join(declared.replace("const", " ").split())
    return typedefs.get(t, t)


class RawKernel:
    def __init__(self, code, name, options=(), **kwargs):
        self.code, self.name = code, name
        m = re.search(r'extern\s+"C"\s+__global__\s+void\s+' + re.escape(name) + r"\s*\(([^)]*)\)", code)
        if m is None:
            raise ValueError(f"cupy emulator: no extern \"C\" __global__ function {name!r} in the source")
        self.params = [p.strip() for p in m.group(1).split(",") if p.strip()]
        self.typedefs = {b: a.strip() for a, b in re.findall(r"typedef\s+([\w ]+?)\s+(\w+)\s*;", code)}
        names = [re.findall(r"\w+", p)[-1] for p in self.params]
        threaded = "__syncthreads" in code
        launcher = f"""
extern "C" void dg_launch(unsigned int dg_gx, unsigned int dg_bx, {", ".join(self.params)}) {{
    blockDim.x = dg_bx; gridDim.x = dg_gx;
    for (unsigned int dg_b = 0; dg_b < dg_gx; ++dg_b) {{
        {"dg_block_threads = (int)dg_bx; std::vector<std::thread> dg_ts;" if threaded else ""}
        for (unsigned int dg_t = 0; dg_t < dg_bx; ++dg_t) {{
            {"dg_ts.emplace_back([=] {" if threaded else "{"}
                blockIdx.x = dg_b; threadIdx.x = dg_t; blockIdx.y = blockIdx.z = threadIdx.y = threadIdx.z = 0;
                {name}({", ".join(names)});
            {"});" if threaded else "}"}
        }}
        {"for (auto& dg_th : dg_ts) dg_th.join();" if threaded else ""}
    }}
}}
"""
        nvrtc.check(code, name, options)  # the source as CuPy hands it to NVRTC on the GPU
        self.lib = _build(code + launcher, threaded)

    def __call__(self, grid, block, args, **kwargs):
        grid, block = tuple(grid), tuple(block)
        if len(grid) != 1 or len(block) != 1:
            raise NotImplementedError("cupy emulator: one-dimensional launches only")
        if len(args) != len(self.params):
            raise TypeError(f"RawKernel {self.name}: {len(self.params)} parameters, {len(args)} arguments")
        cargs = []
        for k, (decl, a) in enumerate(zip(self.params, args)):
            if "*" in decl:
                h = _host(a)
                if h is None:
                    raise TypeError(f"RawKernel {self.name}: argument {k} ({decl}) needs a device array, got {type(a)}")
                cargs.append(ctypes.c_void_p(h.ctypes.data))
                continue
            ctype = _CTYPES.get(_c_type(" ".join(decl.split()[:-1]), self.typedefs))
            if ctype is None:
                raise TypeError(f"RawKernel {self.name}: cannot pass parameter {decl!r}")
            if not isinstance(a, np.generic) or a.dtype.itemsize != ctypes.sizeof(ctype):
                raise TypeError(f"RawKernel {self.name}: argument {k} is declared {decl!r} "
                                f"({ctypes.sizeof(ctype)} bytes) but given {a!r} of type {type(a).__name__}: "
                                "pass a NumPy scalar of that size")
            cargs.append(ctype(a.item()))
        self.lib.dg_launch(ctypes.c_uint(grid[0]), ctypes.c_uint(block[0]), *cargs)


def _parse(params):
    """[(is_raw, type, name)] of a CuPy parameter string like ``"raw T x, int32 C"``."""
    out = []
    for p in params.split(","):
        words = p.split()
        if not words:
            continue
        raw = words[0] == "raw"
        if raw:
            words = words[1:]
        out.append((raw, words[0], words[1]))
    return out


class ElementwiseKernel:
    def __init__(self, in_params, out_params, operation, name="kernel", preamble="", options=(), **kwargs):
        self.ins, self.outs = _parse(in_params), _parse(out_params)
        self.body, self.name, self.preamble, self.options = operation, name, preamble, tuple(options)

    def _bind(self, args):
        """Type placeholders -> dtypes, from the array (and then scalar) arguments."""
        types = {}
        params = self.ins + self.outs
        for (_, t, _), a in zip(params, args):
            if t not in _C and _host(a) is not None:
                types.setdefault(t, _host(a).dtype)
        for (_, t, _), a in zip(params, args):
            if t not in _C and t not in types and a is not None:
                types[t] = np.asarray(a).dtype
        return types

    def __call__(self, *args, size=None, **kwargs):
        from tests.cupy_emulator import ndarray  # noqa: PLC0415 - the emulator imports this module

        nin = len(self.ins)
        if len(args) not in (nin, nin + len(self.outs)):
            raise TypeError(f"ElementwiseKernel {self.name}: {nin} inputs (+{len(self.outs)} outputs), "
                            f"got {len(args)} arguments")
        args = list(args) + [None] * (nin + len(self.outs) - len(args))
        types = self._bind(args)
        params = self.ins + self.outs
        shapes = [_host(a).shape for (raw, _, _), a in zip(params, args) if not raw and _host(a) is not None]
        shape = np.broadcast_shapes(*shapes) if shapes else (size,)
        for k, ((_, t, _), a) in enumerate(zip(params, args)):
            if a is None:  # an output to allocate
                args[k] = ndarray(np.empty(shape, dtype=types[t] if t in types else np.dtype(t)))
        decls, names, cargs, loop = [], [], [], []
        keep = []
        for k, ((raw, t, nm), a) in enumerate(zip(params, args)):
            ctype = _C[str(types[t])] if t in types else _C[t]
            h = _host(a)
            if h is None:  # a scalar
                decls.append(f"{ctype} {nm}")
                cargs.append(_CTYPES[ctype](np.asarray(a).astype(np.dtype(types[t]) if t in types else t).item()))
                continue
            view = h if raw else np.broadcast_to(h, shape) if k < nin else h
            if not raw and k >= nin and view.shape != shape:
                raise ValueError(f"ElementwiseKernel {self.name}: output {nm} has shape {view.shape}, not {shape}")
            sh = np.asarray(view.shape, dtype=np.int64)
            st = np.asarray(view.strides, dtype=np.int64)
            keep += [sh, st]
            arr = nm if raw else f"{nm}_arr"
            decls.append(f"char* {nm}_p, const long long* {nm}_s, const long long* {nm}_t, int {nm}_n")
            names.append(f"CArray<{ctype}> {arr} = {{{nm}_p, {nm}_n, {nm}_s, {nm}_t}};")
            cargs += [ctypes.c_void_p(view.ctypes.data), ctypes.c_void_p(sh.ctypes.data),
                      ctypes.c_void_p(st.ctypes.data), ctypes.c_int(view.ndim)]
            if not raw:
                loop.append(f"const {ctype} {nm} = {arr}[i];" if k < nin else f"{ctype}& {nm} = {arr}[i];")
        typedefs = "".join(f"typedef {_C[str(d)]} {t};\n" for t, d in types.items())
        source = (typedefs + self.preamble + f"""
extern "C" void dg_run(long long n, {", ".join(decls)}) {{
    {" ".join(names)}
    for (ptrdiff_t i = 0; i < n; ++i) {{
        {" ".join(loop)}
        {{
{self.body};
        }}
    }}
}}
""")
        nvrtc.check(*_cuda_elementwise(self, types, [(raw, t, nm, _host(a)) for (raw, t, nm), a in zip(params, args)],
                                       len(shape)))
        _build(source).dg_run(ctypes.c_longlong(int(np.prod(shape, dtype=np.int64))), *cargs)
        outs = args[nin:]
        return outs[0] if len(outs) == 1 else tuple(outs)


class ReductionKernel:
    """Full reductions (``axis=None``) of non-raw inputs to one output."""

    def __init__(self, in_params, out_params, map_expr, reduce_expr, post_map_expr, identity, name="reduce",
                 reduce_type=None, **kwargs):
        self.ins, self.outs = _parse(in_params), _parse(out_params)
        self.map, self.reduce, self.post, self.identity = map_expr, reduce_expr, post_map_expr, identity
        self.name, self.reduce_type = name, reduce_type

    def __call__(self, *args, axis=None, **kwargs):
        from tests.cupy_emulator import ndarray  # noqa: PLC0415

        if axis is not None or len(self.outs) != 1 or len(args) != len(self.ins):
            raise NotImplementedError("cupy emulator: ReductionKernel over all elements, one output, no out=")
        types = ElementwiseKernel._bind(self, list(args) + [None])
        (_, ot, oname), = self.outs
        out_dtype = types[ot] if ot in types else np.dtype(ot)
        out = ndarray(np.empty((), dtype=out_dtype))
        red = _C[str(out_dtype)] if self.reduce_type is None else self.reduce_type
        shapes = [_host(a).shape for a in args if _host(a) is not None]
        shape = np.broadcast_shapes(*shapes)
        decls, pre, loop, cargs, keep = [], [], [], [], []
        for (_, t, nm), a in zip(self.ins, args):
            ctype = _C[str(types[t])] if t in types else _C[t]
            h = _host(a)
            if h is None:
                decls.append(f"{ctype} {nm}")
                cargs.append(_CTYPES[ctype](np.asarray(a).astype(types.get(t, t)).item()))
                continue
            view = np.broadcast_to(h, shape)
            sh, st = np.asarray(view.shape, np.int64), np.asarray(view.strides, np.int64)
            keep += [sh, st]
            decls.append(f"char* {nm}_p, const long long* {nm}_s, const long long* {nm}_t, int {nm}_n")
            pre.append(f"CArray<{ctype}> {nm}_arr = {{{nm}_p, {nm}_n, {nm}_s, {nm}_t}};")
            loop.append(f"const {ctype} {nm} = {nm}_arr[i];")
            cargs += [ctypes.c_void_p(view.ctypes.data), ctypes.c_void_p(sh.ctypes.data),
                      ctypes.c_void_p(st.ctypes.data), ctypes.c_int(view.ndim)]
        octype = _C[str(out_dtype)]
        typedefs = "".join(f"typedef {_C[str(d)]} {t};\n" for t, d in types.items())
        source = typedefs + f"""
extern "C" void dg_run(long long n, {octype}* dg_out, {", ".join(decls)}) {{
    {" ".join(pre)}
    {red} a = ({red})({self.identity});
    for (ptrdiff_t i = 0; i < n; ++i) {{
        {" ".join(loop)}
        const {red} b = ({red})({self.map});
        a = ({self.reduce});
    }}
    {octype}& {oname} = *dg_out;
    {self.post};
}}
"""
        n = int(np.prod(shape, dtype=np.int64))
        nvrtc.check(*_cuda_reduction(self, types, [(t, nm, _host(a)) for (_, t, nm), a in zip(self.ins, args)],
                                     (octype, oname), red, len(shape)))
        _build(source).dg_run(ctypes.c_longlong(n), ctypes.c_void_p(out._a.ctypes.data), *cargs)
        return out


# What CuPy compiles for an ElementwiseKernel / ReductionKernel (the layout of CuPy 14's templates in
# cupy/_core/_kernel.pyx and _reduction.pyx, with its headers), for tests/nvrtc.py to compile as the GPU would.
_CUPY_HEADERS = ("#include <cupy/complex.cuh>\n#include <cupy/carray.cuh>\n#include <cupy/atomics.cuh>\n"
                 "#include <cupy/math_constants.h>\n")


def _cuda_param(t, types):
    return _C[str(types[t])] if t in types else _C[t]


def _cuda_elementwise(k, types, params, ndim):
    """(source, name, options) of the kernel CuPy builds for ``k`` with these argument types."""
    nin, decls, loads = len(k.ins), [], []
    for j, (raw, t, nm, host) in enumerate(params):
        ctype = _cuda_param(t, types)
        if host is None:
            decls.append(f"{ctype} {nm}")
        elif raw:
            decls.append(f"CArray<{ctype}, {host.ndim}> {nm}")
        else:
            decls.append(f"CArray<{ctype}, {max(ndim, 1)}> _raw_{nm}")
            loads.append(f"{'const ' if j < nin else ''}{t} &{nm} = _raw_{nm}[_ind.get()];")
    typedefs = "".join(f"typedef {_C[str(d)]} {t};\n" for t, d in types.items())
    source = (_CUPY_HEADERS + typedefs + k.preamble + f"""
extern "C" __global__ void {k.name}({", ".join(decls + [f"CIndexer<{max(ndim, 1)}> _ind"])}) {{
  CUPY_FOR(i, _ind.size()) {{
    _ind.set(i);
    {" ".join(loads)}
    {k.body};
  }};
}}
""")
    return source, k.name, k.options


def _cuda_reduction(k, types, ins, out, red, ndim):
    octype, oname = out
    decls, loads = [], []
    for t, nm, host in ins:
        ctype = _cuda_param(t, types)
        if host is None:
            decls.append(f"{ctype} {nm}")
        else:
            decls.append(f"CArray<{ctype}, {max(ndim, 1)}> _raw_{nm}")
            loads.append(f"const {t} &{nm} = _raw_{nm}[_in_ind.get()];")
    typedefs = "".join(f"typedef {_C[str(d)]} {t};\n" for t, d in types.items())
    source = (_CUPY_HEADERS + typedefs + f"""
typedef {red} _type_reduce;
#define REDUCE(a, b) ({k.reduce})
#define POST_MAP(a) ({k.post})
extern "C" __global__ void {k.name}({", ".join(decls)}, CArray<{octype}, 0, true> _raw_{oname},
                                     CIndexer<{max(ndim, 1)}> _in_ind, CIndexer<0> _out_ind) {{
  __shared__ char _sdata_raw[sizeof(_type_reduce) * 512];
  _type_reduce* _sdata = reinterpret_cast<_type_reduce*>(_sdata_raw);
  _type_reduce _s = _type_reduce({k.identity});
  for (ptrdiff_t _j = threadIdx.x; _j < _in_ind.size(); _j += blockDim.x) {{
    _in_ind.set(_j);
    {" ".join(loads)}
    _type_reduce _a = _s, _b = static_cast<_type_reduce>({k.map});
    {{ const _type_reduce& a = _a; const _type_reduce& b = _b; _s = REDUCE(a, b); }}
  }}
  _sdata[threadIdx.x] = _s;
  __syncthreads();
  if (threadIdx.x == 0) {{
    _out_ind.set(0);
    {octype} &{oname} = _raw_{oname}[_out_ind.get()];
    _type_reduce a = _sdata[0];
    POST_MAP(a);
  }}
}}
""")
    return source, k.name, ()
