"""Data types: numpy dtypes under PyTorch's names; float32 unless asked otherwise."""
from __future__ import annotations

import numpy as np

float16 = half = np.dtype(np.float16)
float32 = float = np.dtype(np.float32)
float64 = double = np.dtype(np.float64)
int8 = np.dtype(np.int8)
uint8 = np.dtype(np.uint8)
int16 = short = np.dtype(np.int16)
uint16 = np.dtype(np.uint16)
uint32 = np.dtype(np.uint32)
uint64 = np.dtype(np.uint64)
int32 = int = np.dtype(np.int32)
int64 = long = np.dtype(np.int64)
bool_ = bool = np.dtype(np.bool_)

_default = float32


def get_default_dtype():
    return _default


def set_default_dtype(dtype):
    global _default
    dtype = to_dtype(dtype)
    if dtype.kind != "f":
        raise TypeError(f"set_default_dtype: expected a floating dtype, got {dtype}")
    _default = dtype


def to_dtype(dtype):
    """np.dtype from a numpy dtype, a type, or a name such as 'float32'."""
    if dtype is None:
        return _default
    try:
        return np.dtype(dtype)
    except TypeError as e:
        raise TypeError(f"unknown dtype {dtype!r}") from e
