"""deepgrad: a readable deep-learning framework on NumPy (CPU) and CuPy (GPU).

    import deepgrad as dg
    x = dg.randn(3, requires_grad=True)
    (x * x).sum().backward()
    x.grad  # 2 * x
"""
from deepgrad import dtypes
from deepgrad.autograd import (
    Function,
    detect_anomaly,
    enable_grad,
    grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)
from deepgrad.backend import Device as device
from deepgrad.dtypes import (
    bool_,
    double,
    float16,
    float32,
    float64,
    get_default_dtype,
    half,
    int8,
    int16,
    int32,
    int64,
    long,
    set_default_dtype,
    short,
    uint8,
    uint16,
    uint32,
    uint64,
)
from deepgrad.factories import *  # noqa: F403
from deepgrad.factories import __all__ as _factories
from deepgrad.ops import *  # noqa: F403
from deepgrad.ops import __all__ as _ops
from deepgrad.random import get_rng_state, manual_seed, seed_everything, set_rng_state
from deepgrad.tensor import Tensor

__version__ = "0.1.0"

__all__ = ["Tensor", "Function", "grad", "no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled",
           "inference_mode", "is_inference_mode_enabled",
           "detect_anomaly", "manual_seed", "seed_everything", "get_rng_state", "set_rng_state", "device",
           "dtypes", "float16", "float32", "float64", "half", "double", "int8", "int16", "int32", "int64",
           "long", "short", "uint8", "uint16", "uint32", "uint64", "bool_", "get_default_dtype", "set_default_dtype",
           *_factories, *_ops]


def __getattr__(name):
    # Subpackages load on first use so that `import deepgrad` stays light.
    import importlib

    if name in ("nn", "optim", "data", "keras", "utils", "vision", "io", "train", "cuda", "viz", "text", "prune",
                "linalg"):
        return importlib.import_module(f"deepgrad.{name}")
    if name == "summary":
        from deepgrad.nn.summary import summary

        return summary
    if name in ("save", "load"):
        from deepgrad import io

        return getattr(io, name)
    raise AttributeError(f"module 'deepgrad' has no attribute {name!r}")


# torch's other dtype names; last, so that the code above still sees the builtins, and not in
# __all__, so that `from deepgrad import *` does not shadow bool/float/int
from deepgrad.dtypes import bool, float, int  # noqa: E402, F401
