"""Keras weight initializers: ``initializer(shape, dtype)`` returns an array in Keras layout.

Fans are computed as Keras does (a Conv2D kernel (kh, kw, in, out) has fan_in = kh*kw*in),
and every draw uses deepgrad's one seeded generator, so ``deepgrad.manual_seed`` fixes the
initial weights.  ``glorot_uniform`` (Keras's default kernel initializer) is the same
distribution as ``deepgrad.nn.init.xavier_uniform_``; the normal variants are truncated at two
standard deviations as in Keras (PyTorch's ``xavier_normal_``/``kaiming_normal_`` are not).
"""
from __future__ import annotations

import math

import numpy as np

from deepgrad.keras.object_registry import get_custom_object
from deepgrad.random import generator

_TRUNC_STD = 0.87962566103423978  # std of a unit normal truncated to [-2, 2]


def compute_fans(shape):
    """(fan_in, fan_out) of a Keras-layout weight shape."""
    shape = tuple(shape)
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    if len(shape) == 2:
        return shape[0], shape[1]
    receptive = int(np.prod(shape[:-2]))
    return shape[-2] * receptive, shape[-1] * receptive


def _truncated_normal(shape, mean, stddev):
    rng = generator(np)
    out = rng.standard_normal(shape)
    bad = np.abs(out) > 2.0
    while bad.any():  # redraw the few values outside [-2, 2]
        out[bad] = rng.standard_normal(int(bad.sum()))
        bad = np.abs(out) > 2.0
    return out * stddev + mean


class Initializer:
    """Base: ``__call__(shape, dtype)`` and ``get_config``."""

    def __call__(self, shape, dtype=None):  # pragma: no cover - abstract
        raise NotImplementedError

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class Zeros(Initializer):
    def __call__(self, shape, dtype=None):
        return np.zeros(shape, dtype=dtype or np.float32)


class Ones(Initializer):
    def __call__(self, shape, dtype=None):
        return np.ones(shape, dtype=dtype or np.float32)


class Constant(Initializer):
    def __init__(self, value=0.0):
        self.value = float(value)

    def __call__(self, shape, dtype=None):
        return np.full(shape, self.value, dtype=dtype or np.float32)

    def get_config(self):
        return {"value": self.value}


class RandomNormal(Initializer):
    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        self.mean, self.stddev, self.seed = float(mean), float(stddev), seed

    def __call__(self, shape, dtype=None):
        rng = generator(np) if self.seed is None else np.random.default_rng(self.seed)
        return (rng.standard_normal(shape) * self.stddev + self.mean).astype(dtype or np.float32)

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


class RandomUniform(Initializer):
    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        self.minval, self.maxval, self.seed = float(minval), float(maxval), seed

    def __call__(self, shape, dtype=None):
        rng = generator(np) if self.seed is None else np.random.default_rng(self.seed)
        return rng.uniform(self.minval, self.maxval, size=shape).astype(dtype or np.float32)

    def get_config(self):
        return {"minval": self.minval, "maxval": self.maxval, "seed": self.seed}


class TruncatedNormal(Initializer):
    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        self.mean, self.stddev, self.seed = float(mean), float(stddev), seed

    def __call__(self, shape, dtype=None):
        return _truncated_normal(shape, self.mean, self.stddev).astype(dtype or np.float32)

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


class VarianceScaling(Initializer):
    """Keras's family: scale / fan (fan_in, fan_out or their average), normal or uniform."""

    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None):
        if mode not in ("fan_in", "fan_out", "fan_avg"):
            raise ValueError(f"VarianceScaling: mode must be fan_in, fan_out or fan_avg, got {mode!r}")
        if distribution == "normal":
            distribution = "truncated_normal"
        if distribution not in ("truncated_normal", "untruncated_normal", "uniform"):
            raise ValueError(f"VarianceScaling: unknown distribution {distribution!r}")
        self.scale, self.mode, self.distribution, self.seed = float(scale), mode, distribution, seed

    def __call__(self, shape, dtype=None):
        fan_in, fan_out = compute_fans(shape)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}[self.mode]
        var = self.scale / max(1.0, n)
        rng = generator(np) if self.seed is None else np.random.default_rng(self.seed)
        if self.distribution == "truncated_normal":
            out = _truncated_normal(shape, 0.0, math.sqrt(var) / _TRUNC_STD)
        elif self.distribution == "untruncated_normal":
            out = rng.standard_normal(shape) * math.sqrt(var)
        else:
            limit = math.sqrt(3.0 * var)
            out = rng.uniform(-limit, limit, size=shape)
        return out.astype(dtype or np.float32)

    def get_config(self):
        return {"scale": self.scale, "mode": self.mode, "distribution": self.distribution, "seed": self.seed}


def _variance(name, scale, mode, distribution):
    class _Init(VarianceScaling):
        def __init__(self, seed=None):
            super().__init__(scale, mode, distribution, seed)

        def get_config(self):
            return {"seed": self.seed}

    _Init.__name__ = _Init.__qualname__ = name
    _Init.__doc__ = f"VarianceScaling(scale={scale}, mode={mode!r}, distribution={distribution!r})."
    return _Init


GlorotUniform = _variance("GlorotUniform", 1.0, "fan_avg", "uniform")
GlorotNormal = _variance("GlorotNormal", 1.0, "fan_avg", "truncated_normal")
HeUniform = _variance("HeUniform", 2.0, "fan_in", "uniform")
HeNormal = _variance("HeNormal", 2.0, "fan_in", "truncated_normal")
LecunUniform = _variance("LecunUniform", 1.0, "fan_in", "uniform")
LecunNormal = _variance("LecunNormal", 1.0, "fan_in", "truncated_normal")


class Orthogonal(Initializer):
    def __init__(self, gain=1.0, seed=None):
        self.gain, self.seed = float(gain), seed

    def __call__(self, shape, dtype=None):
        rows = int(np.prod(shape[:-1])) if len(shape) > 1 else 1
        cols = shape[-1]
        rng = generator(np) if self.seed is None else np.random.default_rng(self.seed)
        a = rng.standard_normal((max(rows, cols), min(rows, cols)))
        q, r = np.linalg.qr(a)
        q *= np.sign(np.diag(r))
        if rows < cols:
            q = q.T
        return (self.gain * q[:rows, :cols].reshape(shape)).astype(dtype or np.float32)

    def get_config(self):
        return {"gain": self.gain, "seed": self.seed}


class Identity(Initializer):
    """``gain`` times the identity matrix (2-D shapes only; a non-square shape gets ones on its diagonal)."""

    def __init__(self, gain=1.0):
        self.gain = float(gain)

    def __call__(self, shape, dtype=None):
        if len(shape) != 2:
            raise ValueError(f"Identity initializer: expected a 2-D shape, got {tuple(shape)}")
        return (self.gain * np.eye(*shape)).astype(dtype or np.float32)

    def get_config(self):
        return {"gain": self.gain}


_CLASSES = {c.__name__: c for c in (Zeros, Ones, Constant, RandomNormal, RandomUniform, TruncatedNormal,
                                    VarianceScaling, GlorotUniform, GlorotNormal, HeUniform, HeNormal,
                                    LecunUniform, LecunNormal, Orthogonal, Identity)}
_ALIASES = {"zeros": Zeros, "ones": Ones, "constant": Constant, "random_normal": RandomNormal,
            "random_uniform": RandomUniform, "truncated_normal": TruncatedNormal,
            "variance_scaling": VarianceScaling, "glorot_uniform": GlorotUniform, "glorot_normal": GlorotNormal,
            "he_uniform": HeUniform, "he_normal": HeNormal, "lecun_uniform": LecunUniform,
            "lecun_normal": LecunNormal, "orthogonal": Orthogonal, "uniform": RandomUniform,
            "normal": RandomNormal, "identity": Identity}


def get(identifier):
    """An initializer from a name ('glorot_uniform'), a config dict, an instance or a callable."""
    if identifier is None:
        return None
    if isinstance(identifier, Initializer):
        return identifier
    if isinstance(identifier, str):
        cls = _ALIASES.get(identifier.lower()) or _CLASSES.get(identifier)
        if cls is None:
            obj = get_custom_object(identifier)
            if obj is None:
                raise ValueError(f"Unknown initializer {identifier!r}; known: {sorted(_ALIASES)}")
            return obj() if isinstance(obj, type) else obj
        return cls()
    if isinstance(identifier, dict):
        name = identifier.get("class_name")
        cls = _CLASSES.get(name)
        if cls is None:
            raise ValueError(f"Unknown initializer class {name!r}; known: {sorted(_CLASSES)}")
        return cls.from_config(identifier.get("config", {}))
    if callable(identifier):
        return identifier
    raise TypeError(f"initializer: expected a name, dict or callable, got {type(identifier).__name__}")


def serialize(init):
    """A JSON-safe form ``get`` understands."""
    if isinstance(init, Initializer):
        return {"class_name": type(init).__name__, "config": init.get_config()}
    return getattr(init, "__name__", str(init))


__all__ = list(_CLASSES) + ["Initializer", "get", "serialize", "compute_fans"]
