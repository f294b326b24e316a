"""NVIDIA's runtime compiler (NVRTC), the compiler CuPy hands deepgrad's kernels to, run without a GPU.

NVRTC is a plain library (PyPI ``nvidia-cuda-nvrtc``, CUDA 13.5); compiling needs no driver and no
device, so the tests compile every CUDA source deepgrad builds (``tests/cupy_emulator_kernels.py``
calls :func:`check` for each RawKernel, ElementwiseKernel and ReductionKernel as it is built) to
machine code for the H100 (``sm_90``), as CuPy would on the GPU, with CuPy's own headers
(``cupy/_core/include`` from the ``cupy-cuda13x`` wheel) for the element-wise and reduction templates.

``DEEPGRAD_TEST_NVRTC=1`` makes a missing NVRTC an error (``make test`` sets it), ``0`` turns the
check off; unset, it runs where NVRTC is installed.
"""
from __future__ import annotations

import ctypes
import glob
import hashlib
import os
import re
import sys
import tempfile
import threading

ARCH = "sm_90"  # NVIDIA H100
_lock = threading.Lock()
_done = set()
_lib = None


class NvrtcError(RuntimeError):
    pass


def _package_dir(name):
    """The folder of an installed package, found on sys.path (not imported: under the CuPy stand-in
    ``cupy`` in sys.modules is the emulator)."""
    for entry in sys.path:
        path = os.path.join(entry or ".", name)
        if os.path.isdir(path):
            return path
    return None


def library():
    """The loaded NVRTC library, or None."""
    global _lib
    if _lib is None:
        nvidia = _package_dir("nvidia")
        paths = sorted(glob.glob(os.path.join(nvidia, "cu*", "lib", "libnvrtc.so*"))) if nvidia else []
        for path in [p for p in paths if "builtins" not in p] or ["libnvrtc.so"]:
            try:
                _lib = ctypes.CDLL(path)
                break
            except OSError:
                continue
    return _lib or None


def cupy_include():
    """CuPy's header folder (without importing CuPy, which needs a driver for most things), or None."""
    cupy = _package_dir("cupy")
    inc = os.path.join(cupy, "_core", "include") if cupy else None
    return inc if inc and os.path.isdir(os.path.join(inc, "cupy")) else None


def mode():
    """'off', 'required' or 'auto' from ``DEEPGRAD_TEST_NVRTC``."""
    v = os.environ.get("DEEPGRAD_TEST_NVRTC", "")
    return "off" if v == "0" else "required" if v else "auto"


def available():
    return library() is not None and cupy_include() is not None


def version():
    lib = library()
    major, minor = ctypes.c_int(), ctypes.c_int()
    lib.nvrtcVersion(ctypes.byref(major), ctypes.byref(minor))
    return major.value, minor.value


def _options(extra):
    inc = cupy_include()
    cccl = os.path.join(inc, "cupy", "_cccl")
    return [f"-arch={ARCH}", "--std=c++17", f"-I{inc}", f"-I{cccl}/libcudacxx", f"-I{cccl}/thrust",
            f"-I{cccl}/cub", *extra]


def compile_cuda(source, name, options=()):
    """Compile ``source`` for ``ARCH``; raise NvrtcError with NVRTC's log if it fails or if the cubin
    lacks the ``extern "C"`` kernel ``name``.  Returns NVRTC's log (ptxas's report with ``-Xptxas -v``)."""
    lib = library()
    prog = ctypes.c_void_p()
    if lib.nvrtcCreateProgram(ctypes.byref(prog), source.encode(), f"{name}.cu".encode(), 0, None, None):
        raise NvrtcError(f"nvrtcCreateProgram failed for {name}")
    try:
        opts = [o.encode() for o in _options(options)]
        status = lib.nvrtcCompileProgram(prog, len(opts), (ctypes.c_char_p * len(opts))(*opts))
        size = ctypes.c_size_t()
        lib.nvrtcGetProgramLogSize(prog, ctypes.byref(size))
        log = ctypes.create_string_buffer(size.value)
        lib.nvrtcGetProgramLog(prog, log)
        if status:
            raise NvrtcError(f"NVRTC {'.'.join(map(str, version()))} cannot compile kernel {name!r} for {ARCH}:\n"
                             f"{log.value.decode(errors='replace')[-4000:]}")
        lib.nvrtcGetCUBINSize(prog, ctypes.byref(size))
        cubin = ctypes.create_string_buffer(size.value)
        lib.nvrtcGetCUBIN(prog, cubin)
        if name.encode() + b"\0" not in cubin.raw:
            raise NvrtcError(f"NVRTC compiled the source, but it has no extern \"C\" kernel named {name!r}")
        return log.value.decode(errors="replace")
    finally:
        lib.nvrtcDestroyProgram(ctypes.byref(prog))


def resources(source, name, options=()):
    """ptxas's report for kernel ``name``: {'registers', 'smem' (static shared bytes), 'spill' (bytes)}."""
    log = compile_cuda(source, name, (*options, "--ptxas-options=-v"))
    part = log[log.index(f"Compiling entry function '{name}'"):]
    regs = re.search(r"Used (\d+) registers", part)
    smem = re.search(r"(\d+) bytes smem", part.split("Compiling entry function")[1])
    spill = re.search(r"(\d+) bytes spill stores", part)
    return {"registers": int(regs.group(1)), "smem": int(smem.group(1)) if smem else 0,
            "spill": int(spill.group(1)) if spill else 0}


def check(source, name, options=()):
    """Compile once per distinct (source, name, options) when the check is on (see module doc);
    successes are remembered on disk, so repeated test runs cost nothing."""
    m = mode()
    if m == "off" or (m == "auto" and not available()):
        return
    if not available():
        raise NvrtcError("DEEPGRAD_TEST_NVRTC=1 but NVRTC or CuPy's headers are not installed: "
                         "pip install -e '.[test]' (nvidia-cuda-nvrtc, cupy-cuda13x), or unset DEEPGRAD_TEST_NVRTC")
    key = hashlib.sha256(repr((source, name, tuple(options), ARCH, version())).encode()).hexdigest()[:24]
    folder = os.environ.get("DEEPGRAD_KERNEL_CACHE") or os.path.join(tempfile.gettempdir(),
                                                                      f"deepgrad-kernels-{os.getuid()}")
    marker = os.path.join(folder, f"{key}.nvrtc-ok")
    with _lock:
        if key in _done or os.path.exists(marker):
            _done.add(key)
            return
        compile_cuda(source, name, options)
        os.makedirs(folder, exist_ok=True)
        open(marker, "w").close()
        _done.add(key)
