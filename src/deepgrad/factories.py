"""Tensor factories: tensor, zeros, ones, full, arange, linspace, eye, rand, randn, randint, ..."""
from __future__ import annotations

import numpy as np

from deepgrad.backend import Device
from deepgrad.dtypes import get_default_dtype, to_dtype
from deepgrad.ops._util import shape_arg
from deepgrad.random import generator
from deepgrad.tensor import Tensor

_default_device = Device("cpu")


def set_default_device(device):
    """Where factories put tensors when no ``device=`` is given (the Keras API follows it)."""
    global _default_device
    _default_device = Device(device)


def get_default_device():
    return _default_device


def _xp(device):
    return Device(device if device is not None else _default_device).xp


def _finish(array, requires_grad):
    return Tensor(array, requires_grad=requires_grad)


def _carries_float64(data, depth=0):
    """True when ``data`` brings its own float64 (an array or NumPy scalar, also inside lists), as
    PyTorch infers; Python floats alone give the default dtype."""
    if isinstance(data, (np.ndarray, np.generic)) or type(data).__module__.startswith("cupy"):
        return data.dtype == np.float64
    if isinstance(data, (list, tuple)) and depth < 64:
        return any(_carries_float64(v, depth + 1) for v in data)
    return False


def tensor(data, dtype=None, device=None, requires_grad=False):
    """A new tensor holding a copy of ``data``; Python floats become float32 (the default dtype),
    NumPy float64 arrays and scalars stay float64, as in PyTorch."""
    if isinstance(data, Tensor):
        data = data.data
    if device is None and type(data).__module__.startswith("cupy"):
        device = f"cuda:{data.device.id}"  # a GPU array stays on its GPU
    xp = _xp(device)
    if dtype is None:
        arr = np.asarray(data) if xp is np else xp.asarray(data)
        if arr.dtype == np.float64 and not _carries_float64(data):
            arr = arr.astype(get_default_dtype())
        arr = arr.copy()
    else:
        arr = xp.array(data, dtype=to_dtype(dtype))
    return _finish(arr, requires_grad)


def from_numpy(array):
    """A tensor sharing memory with a numpy array (its dtype kept)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected a numpy.ndarray, got {type(array).__name__}")
    return Tensor(array)


def as_tensor(data, dtype=None, device=None):
    if isinstance(data, Tensor) and dtype is None and device is None:
        return data
    return tensor(data, dtype=dtype, device=device)


def _dt(dtype):
    return to_dtype(dtype) if dtype is not None else get_default_dtype()


def zeros(*shape, dtype=None, device=None, requires_grad=False):
    return _finish(_xp(device).zeros(shape_arg(shape), dtype=_dt(dtype)), requires_grad)


def ones(*shape, dtype=None, device=None, requires_grad=False):
    return _finish(_xp(device).ones(shape_arg(shape), dtype=_dt(dtype)), requires_grad)


def empty(*shape, dtype=None, device=None, requires_grad=False):
    return _finish(_xp(device).empty(shape_arg(shape), dtype=_dt(dtype)), requires_grad)


def full(shape, fill_value, dtype=None, device=None, requires_grad=False):
    if dtype is None:
        dtype = np.int64 if isinstance(fill_value, (int, np.integer)) and not isinstance(fill_value, bool) else (
            np.bool_ if isinstance(fill_value, bool) else get_default_dtype())
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    return _finish(_xp(device).full(shape, fill_value, dtype=to_dtype(dtype)), requires_grad)


def _like(x, dtype, device):
    return (dtype if dtype is not None else x.dtype), (device if device is not None else x.device)


def zeros_like(x, dtype=None, device=None, requires_grad=False):
    dtype, device = _like(x, dtype, device)
    return zeros(x.shape, dtype=dtype, device=device, requires_grad=requires_grad)


def ones_like(x, dtype=None, device=None, requires_grad=False):
    dtype, device = _like(x, dtype, device)
    return ones(x.shape, dtype=dtype, device=device, requires_grad=requires_grad)


def full_like(x, fill_value, dtype=None, device=None, requires_grad=False):
    dtype, device = _like(x, dtype, device)
    return full(x.shape, fill_value, dtype=dtype, device=device, requires_grad=requires_grad)


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad=False):
    if end is None:
        start, end = 0, start
    if dtype is None:
        ints = all(isinstance(v, (int, np.integer)) for v in (start, end, step))
        dtype = np.int64 if ints else get_default_dtype()
    dtype = to_dtype(dtype)
    if dtype.kind == "f":  # computed in float64, as torch's accumulate type: arange(0, 1, 0.3)[3] is 0.9
        return _finish(_xp(device).arange(start, end, step, dtype=np.float64).astype(dtype), requires_grad)
    return _finish(_xp(device).arange(start, end, step, dtype=dtype), requires_grad)


def linspace(start, end, steps, dtype=None, device=None, requires_grad=False):
    return _finish(_xp(device).linspace(start, end, steps, dtype=_dt(dtype)), requires_grad)


def eye(n, m=None, dtype=None, device=None, requires_grad=False):
    return _finish(_xp(device).eye(n, m, dtype=_dt(dtype)), requires_grad)


def _random_floats(draw, shape, dtype):
    """numpy's generators draw float32 or float64 only; other float dtypes are cast from float32."""
    dtype = _dt(dtype)
    if dtype.kind != "f":
        raise TypeError(f"expected a floating dtype for random floats, got {dtype}")
    if dtype.itemsize in (4, 8):
        return draw(shape_arg(shape), dtype=dtype)
    return draw(shape_arg(shape), dtype="float32").astype(dtype)


def rand(*shape, dtype=None, device=None, requires_grad=False):
    """Uniform on [0, 1) from deepgrad's seeded generator."""
    g = generator(_xp(device))
    return _finish(_random_floats(g.random, shape, dtype), requires_grad)


def randn(*shape, dtype=None, device=None, requires_grad=False):
    """Standard normal from deepgrad's seeded generator."""
    g = generator(_xp(device))
    return _finish(_random_floats(g.standard_normal, shape, dtype), requires_grad)


def rand_like(x, dtype=None, device=None, requires_grad=False):
    dtype, device = _like(x, dtype, device)
    return rand(x.shape, dtype=dtype, device=device, requires_grad=requires_grad)


def randn_like(x, dtype=None, device=None, requires_grad=False):
    dtype, device = _like(x, dtype, device)
    return randn(x.shape, dtype=dtype, device=device, requires_grad=requires_grad)


def randint(low, high=None, size=None, dtype=None, device=None):
    """Integers in [low, high) (int64); ``randint(high, size)`` and ``randint(low, high, size)`` as PyTorch."""
    if size is None:
        if isinstance(high, (tuple, list)):  # randint(high, size)
            low, high, size = 0, low, high
        else:
            size = ()
    if high is None:
        low, high = 0, low
    if high <= low:
        raise ValueError(f"randint: expected low < high, got low={low}, high={high}")
    xp = _xp(device)
    size = (size,) if isinstance(size, int) else tuple(size)
    arr = generator(xp).integers(low, high, size=size)
    return Tensor(arr.astype(to_dtype(dtype) if dtype is not None else np.int64))


def randperm(n, dtype=None, device=None):
    """A random permutation of 0..n-1 (int64) from deepgrad's seeded generator."""
    xp = _xp(device)
    return Tensor(generator(xp).permutation(n).astype(to_dtype(dtype) if dtype is not None else np.int64))


def empty_like(x, dtype=None, device=None, requires_grad=False):
    dtype, device = _like(x, dtype, device)
    return empty(x.shape, dtype=dtype, device=device, requires_grad=requires_grad)


def randint_like(x, low, high=None, dtype=None, device=None):
    """Integers in [low, high) (``randint_like(x, high)``: [0, high)) shaped like x, with x's dtype."""
    dtype, device = _like(x, dtype, device)
    return randint(low, high, x.shape, dtype=dtype, device=device)


def _data(v):
    return v.data if isinstance(v, Tensor) else v


def normal(mean=0.0, std=1.0, size=None, dtype=None, device=None, requires_grad=False):
    """Normal draws: ``normal(mean, std, size)`` with numbers, or elementwise for tensor mean/std."""
    ref = mean if isinstance(mean, Tensor) else std if isinstance(std, Tensor) else None
    if ref is None:
        if size is None:
            raise TypeError("normal: with number mean and std, pass size (a shape)")
        z = randn(size, dtype=dtype, device=device).data
        return _finish((z * std + mean).astype(z.dtype, copy=False), requires_grad)
    shape = np.broadcast_shapes(tuple(getattr(mean, "shape", ())), tuple(getattr(std, "shape", ())))
    z = randn(shape, dtype=dtype or ref.dtype, device=ref.device).data
    return _finish((z * _data(std) + _data(mean)).astype(z.dtype, copy=False), requires_grad)


def bernoulli(input, p=None):  # noqa: A002 - torch's names
    """0/1 draws (input's dtype) that are 1 with probability ``input`` (or ``p``), elementwise."""
    prob = input.data if p is None else p
    g = generator(input.xp)
    return Tensor((g.random(input.shape) < prob).astype(input.dtype))


def multinomial(input, num_samples, replacement=False):  # noqa: A002
    """``num_samples`` category indices per row of the (unnormalised) probabilities ``input`` (1-D or
    2-D), int64; without replacement each row gives distinct categories (Gumbel top-k)."""
    probs = input.data
    xp = input.xp
    if probs.ndim not in (1, 2):
        raise ValueError(f"multinomial: expected a 1-D or 2-D tensor of probabilities, got shape {input.shape}")
    rows = probs.reshape(1, -1) if probs.ndim == 1 else probs
    if bool((rows < 0).any()) or not bool(xp.isfinite(rows).all()) or bool((rows.sum(axis=1) <= 0).any()):
        raise ValueError("multinomial: probabilities must be finite, non-negative and not all zero in a row")
    n = rows.shape[1]
    if not replacement and num_samples > int((rows > 0).sum(axis=1).min()):
        raise ValueError(f"multinomial: cannot draw {num_samples} samples without replacement from rows with "
                         f"fewer nonzero categories (of {n})")
    g = generator(xp)
    if replacement:
        cdf = xp.cumsum(rows.astype(np.float64), axis=1)
        u = g.random((rows.shape[0], num_samples), dtype=np.float64) * cdf[:, -1:]
        idx = (cdf[:, None, :] <= u[:, :, None]).sum(axis=2)
        idx = xp.minimum(idx, n - 1)
    else:
        u = g.random(rows.shape, dtype=np.float64)
        with np.errstate(divide="ignore"):
            keys = xp.log(rows.astype(np.float64)) - xp.log(-xp.log(xp.maximum(u, 1e-300)))
        idx = xp.argsort(-keys, axis=1)[:, :num_samples]
    idx = idx.astype(np.int64)
    return Tensor(idx.reshape(-1) if probs.ndim == 1 else idx)


__all__ = ["tensor", "from_numpy", "as_tensor", "zeros", "ones", "empty", "full", "zeros_like", "ones_like",
           "full_like", "arange", "linspace", "eye", "rand", "randn", "rand_like", "randn_like", "randint", "randperm",
           "set_default_device", "get_default_device", "empty_like", "randint_like", "normal", "bernoulli",
           "multinomial"]
