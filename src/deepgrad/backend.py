"""The array-module switch: numpy on the CPU, cupy on an NVIDIA GPU.

Everything above this file asks ``get_array_module(array)`` for ``xp`` and never
branches on the device itself.  CuPy is imported lazily, only when a GPU is asked for.
"""
from __future__ import annotations

import numpy as np

_cupy = None
_cupy_checked = False
_cupy_problem = "CuPy is not installed"


def cupy_module():
    """Return the cupy module, or None when it is not installed or has no GPU."""
    global _cupy, _cupy_checked, _cupy_problem, _gpu_count
    if not _cupy_checked:
        _cupy_checked = True
        _cupy, _gpu_count = None, None
        try:
            import cupy  # noqa: PLC0415
        except ImportError as e:
            _cupy_problem = f"CuPy is not installed ({e})"
            return None
        try:
            count = cupy.cuda.runtime.getDeviceCount()
        except Exception as e:  # CuPy present, but no driver / CUDA runtime that works
            _cupy_problem = f"CuPy {getattr(cupy, '__version__', '')} is installed but CUDA does not work: {e}"
            return None
        if count < 1:
            _cupy_problem = f"CuPy {getattr(cupy, '__version__', '')} is installed but CUDA sees no GPU"
            return None
        _cupy = cupy
    return _cupy


_gpu_count = None


def _select_gpu(cp, index):
    """Check that GPU ``index`` exists and make it CuPy's current device, where CuPy allocates and
    launches (deepgrad computes on one GPU at a time: the last one a tensor was put on)."""
    global _gpu_count
    if _gpu_count is None:
        _gpu_count = int(cp.cuda.runtime.getDeviceCount())
    if index >= _gpu_count:
        raise RuntimeError(f"device cuda:{index}: no such CUDA device; this machine has {_gpu_count} "
                           f"(cuda:0{'' if _gpu_count == 1 else f' to cuda:{_gpu_count - 1}'})")
    if _gpu_count > 1 and cp.cuda.runtime.getDevice() != index:
        cp.cuda.runtime.setDevice(index)


def get_array_module(x):
    """numpy for numpy arrays and scalars, cupy for cupy arrays."""
    if type(x).__module__.startswith("cupy"):
        return cupy_module()
    return np


def is_cupy_array(x) -> bool:
    return type(x).__module__.startswith("cupy")


class Device:
    """A place where arrays live: ``Device('cpu')`` or ``Device('cuda:0')``."""

    __slots__ = ("type", "index")

    def __init__(self, spec="cpu"):
        if isinstance(spec, Device):
            self.type, self.index = spec.type, spec.index
            return
        spec = str(spec)
        kind, _, idx = spec.partition(":")
        if kind not in ("cpu", "cuda"):
            raise ValueError(f"device: expected 'cpu', 'cuda' or 'cuda:N', got {spec!r}")
        self.type = kind
        self.index = None if kind == "cpu" else int(idx or 0)

    @property
    def xp(self):
        if self.type == "cpu":
            return np
        cp = cupy_module()
        if cp is None:
            raise RuntimeError(
                f"device {self}: CuPy with a working CUDA GPU is not available ({_cupy_problem}); "
                "install it with `pip install deepgrad[gpu]` on a machine with an NVIDIA GPU"
            )
        _select_gpu(cp, self.index)
        return cp

    def __eq__(self, other):
        try:
            other = Device(other)
        except (ValueError, TypeError):
            return NotImplemented
        return self.type == other.type and self.index == other.index

    def __hash__(self):
        return hash((self.type, self.index))

    def __str__(self):
        return "cpu" if self.type == "cpu" else f"cuda:{self.index}"

    def __repr__(self):
        return f"device(type='{self.type}'" + ("" if self.index is None else f", index={self.index}") + ")"


def device_of(array) -> Device:
    if is_cupy_array(array):
        return Device(f"cuda:{array.device.id}")
    return Device("cpu")


def to_device(array, device):
    device = Device(device)
    if device.type == "cpu":
        if is_cupy_array(array):
            return as_numpy(array)
        return array
    cp = device.xp
    with cp.cuda.Device(device.index):
        return cp.asarray(array)


# Checks of work already queued on the GPU (the fused cross entropy's label check) run when data
# next comes back to the host, so no op has to wait for the GPU to raise.  name -> callable.
_gpu_checks = {}


def defer_gpu_check(name, check):
    """Run ``check()`` (which raises on an error recorded on the GPU) at the next host read."""
    _gpu_checks[name] = check


def run_gpu_checks():
    """Run the deferred GPU checks (``as_numpy``, ``Tensor.item``, ``deepgrad.cuda.synchronize``)."""
    if _gpu_checks:
        checks = list(_gpu_checks.values())
        _gpu_checks.clear()
        for check in checks:
            check()


def as_numpy(array):
    if is_cupy_array(array):
        if _gpu_checks:
            run_gpu_checks()
        return array.get()
    return np.asarray(array)
