"""Fused optimizer updates: one kernel per parameter, in place.

Contiguous float32/float64 parameters take a ``RawKernel`` (a few microseconds of Python per
launch); anything else an ``ElementwiseKernel`` with the same body.

The bodies follow ``deepgrad.optim``'s CPU code operation by operation (same order, same
roundings: the kernels are compiled with ``--fmad=false`` so no multiply-add is contracted), so
a GPU run follows the CPU trajectory to float32 rounding.  Hyperparameters derived on the host
(``1 - beta1``, bias corrections) are computed in Python floats as the CPU code does and passed
as scalars of the parameter's dtype.
"""
from __future__ import annotations

import numpy as np

from deepgrad.backend import cupy_module
from deepgrad.kernels._compile import blocks, raw

_cache = {}
_OPTIONS = ("--fmad=false",)

_RAW_SGD = """
extern "C" __global__ void deepgrad_sgd(T* p, const T* g, long long n, T lr, T wd, int maximize) {
    const long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n) return;
    T d = maximize ? -g[i] : g[i];
    if (wd != (T)0) d = d + wd * p[i];
    p[i] = p[i] - lr * d;
}
"""

_RAW_SGD_MOMENTUM = """
extern "C" __global__ void deepgrad_sgd_momentum(T* p, const T* g, T* buf, long long n, T lr, T wd, T momentum,
                                                 T damp1, int first, int nesterov, int maximize) {
    const long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n) return;
    T d = maximize ? -g[i] : g[i];
    if (wd != (T)0) d = d + wd * p[i];
    T b;
    if (first) { b = d; } else { b = buf[i] * momentum; b = b + damp1 * d; }
    buf[i] = b;
    const T s = nesterov ? d + momentum * b : b;
    p[i] = p[i] - lr * s;
}
"""

_RAW_ADAM = """
__device__ __forceinline__ float dg_sqrt(float v) { return sqrtf(v); }
__device__ __forceinline__ double dg_sqrt(double v) { return sqrt(v); }
extern "C" __global__ void deepgrad_adam(T* p, const T* g, T* m, T* v, T* vmax, long long n, T decay, T wd,
                                         T omb1, T beta2, T omb2, T bc2, T eps, T neg_step, int decoupled,
                                         int maximize, int amsgrad) {
    const long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n) return;
    T d = maximize ? -g[i] : g[i];
    T w = p[i];
    if (wd != (T)0) { if (decoupled) w = w * decay; else d = d + wd * w; }
    T mi = m[i];
    mi = mi + (d - mi) * omb1;
    m[i] = mi;
    T vi = v[i];
    vi = vi * beta2 + (d * d) * omb2;
    v[i] = vi;
    T vv = vi;
    if (amsgrad) { T mx = vmax[i]; mx = mx > vi ? mx : vi; vmax[i] = mx; vv = mx; }
    T den = dg_sqrt(vv) / bc2;
    den = den + eps;
    p[i] = w + (mi / den) * neg_step;
}
"""
_RAW_TYPES = {"float32": "float", "float64": "double"}


def _flat_ok(p, g, *state):
    """True when the RawKernel path applies: float32/64, same shapes, all C-contiguous."""
    if str(p.dtype) not in _RAW_TYPES or not p.size or g.shape != p.shape:
        return False
    if not (p.flags.c_contiguous and g.flags.c_contiguous):
        return False
    return all(s is None or s.flags.c_contiguous for s in state)

_SGD = """
T d = maximize ? -g : g;
if (wd != (T)0) d = d + wd * p;
p = p - lr * d;
"""

_SGD_MOMENTUM = """
T d = maximize ? -g : g;
if (wd != (T)0) d = d + wd * p;
T b;
if (first) { b = d; } else { b = buf * momentum; b = b + damp1 * d; }
buf = b;
const T s = nesterov ? d + momentum * b : b;
p = p - lr * s;
"""

_ADAM = """
T d = maximize ? -g : g;
if (wd != (T)0) { if (decoupled) p = p * decay; else d = d + wd * p; }
m = m + (d - m) * omb1;
v = v * beta2 + (d * d) * omb2;
%s
T den = sqrt(vv) / bc2;
den = den + eps;
p = p + (m / den) * neg_step;
"""


def _kernel(name, in_params, out_params, body):
    k = _cache.get(name)
    if k is None:
        cp = cupy_module()
        try:
            k = cp.ElementwiseKernel(in_params, out_params, body, name, options=("--fmad=false",))
        except TypeError:  # a CuPy without ``options``: contracted multiply-adds, still within rounding
            k = cp.ElementwiseKernel(in_params, out_params, body, name)
        _cache[name] = k
    return k


def sgd_update(p, g, buf, lr, weight_decay, momentum, dampening, nesterov, maximize):
    """``torch.optim.SGD``'s update of one parameter array ``p`` (in place) from gradient ``g``.

    ``buf`` is the momentum buffer, or None on the first step (then a new one is returned);
    with ``momentum == 0`` no buffer is kept and None is returned."""
    fast = _flat_ok(p, g, buf)
    if fast:
        n, dt, types = p.size, p.dtype.type, {"T": _RAW_TYPES[str(p.dtype)]}
    if momentum == 0:
        if fast:
            raw("deepgrad_sgd", _RAW_SGD, types, _OPTIONS)(blocks(n), (256,), (p, g, np.int64(n), dt(lr),
                                                                             dt(weight_decay), np.int32(maximize)))
            return None
        k = _kernel("deepgrad_sgd", "T g, T lr, T wd, int32 maximize", "T p", _SGD)
        k(g, lr, weight_decay, int(maximize), p)
        return None
    first = buf is None
    if first:
        buf = cupy_module().empty_like(p)
    if fast:
        raw("deepgrad_sgd_momentum", _RAW_SGD_MOMENTUM, types, _OPTIONS)(
            blocks(n), (256,), (p, g, buf, np.int64(n), dt(lr), dt(weight_decay), dt(momentum), dt(1.0 - dampening),
                                np.int32(first), np.int32(nesterov), np.int32(maximize)))
        return buf
    k = _kernel("deepgrad_sgd_momentum",
                "T g, T lr, T wd, T momentum, T damp1, int32 first, int32 nesterov, int32 maximize",
                "T p, T buf", _SGD_MOMENTUM)
    k(g, lr, weight_decay, momentum, 1.0 - dampening, int(first), int(nesterov), int(maximize), p, buf)
    return buf


def adam_update(p, g, m, v, vmax, step, lr, beta1, beta2, eps, weight_decay, decoupled, maximize):
    """``torch.optim.Adam``/``AdamW``'s update of one parameter (in place, with its moments
    ``m``, ``v`` and, for AMSGrad, ``vmax``); ``step`` is the step number after this update."""
    step_size = lr / (1.0 - beta1**step)
    bc2 = (1.0 - beta2**step) ** 0.5
    scalars = (1.0 - lr * weight_decay, weight_decay, 1.0 - beta1, beta2, 1.0 - beta2, bc2, eps, -step_size,
               int(decoupled), int(maximize))
    if _flat_ok(p, g, m, v, vmax):
        n, dt = p.size, p.dtype.type
        k = raw("deepgrad_adam", _RAW_ADAM, {"T": _RAW_TYPES[str(p.dtype)]}, _OPTIONS)
        k(blocks(n), (256,), (p, g, m, v, m if vmax is None else vmax, np.int64(n), *[dt(a) for a in scalars[:8]],
                              np.int32(decoupled), np.int32(maximize), np.int32(vmax is not None)))
        return
    params = ("T g, T decay, T wd, T omb1, T beta2, T omb2, T bc2, T eps, T neg_step, int32 decoupled, "
              "int32 maximize")
    if vmax is None:
        k = _kernel("deepgrad_adam", params, "T p, T m, T v", _ADAM % "const T vv = v;")
        k(g, *scalars, p, m, v)
    else:
        k = _kernel("deepgrad_adam_amsgrad", params, "T p, T m, T v, T vmax",
                    _ADAM % "vmax = vmax > v ? vmax : v; const T vv = vmax;")
        k(g, *scalars, p, m, v, vmax)
