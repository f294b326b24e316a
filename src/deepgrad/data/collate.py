"""default_collate / default_convert: samples into batches, as ``torch.utils.data`` does (arrays here,
Tensors from the public functions)."""
from __future__ import annotations

import numpy as np

from deepgrad.backend import get_array_module, is_cupy_array
from deepgrad.tensor import Tensor

__all__ = ["default_collate", "default_convert"]


def _collate(samples):
    """default_collate on arrays: what the DataLoader uses before placing the batch on its device."""
    if not samples:
        raise ValueError("default_collate: got an empty list of samples")
    first = samples[0]
    if isinstance(first, Tensor):
        first = first.data
        samples = [s.data if isinstance(s, Tensor) else s for s in samples]
    if isinstance(first, np.ndarray) or is_cupy_array(first):
        shapes = {tuple(s.shape) for s in samples}
        if len(shapes) != 1:
            raise ValueError(f"default_collate: cannot stack samples of different shapes {sorted(shapes)}; "
                             "pass collate_fn= to batch them yourself")
        return get_array_module(first).stack(samples)
    if isinstance(first, (bool, np.bool_)):
        return np.asarray(samples, dtype=np.bool_)
    if isinstance(first, (np.integer, np.floating)):
        return np.asarray(samples, dtype=first.dtype)
    if isinstance(first, int):
        return np.asarray(samples, dtype=np.int64)
    if isinstance(first, float):
        return np.asarray(samples, dtype=np.float64)
    if isinstance(first, (str, bytes)):
        return list(samples)
    if isinstance(first, dict):
        return {k: _collate([s[k] for s in samples]) for k in first}
    if isinstance(first, (tuple, list)):
        if any(len(s) != len(first) for s in samples):
            raise ValueError(f"default_collate: each element in list of batch should be of equal size, got "
                             f"lengths {sorted({len(s) for s in samples})}")
        columns = [_collate(list(col)) for col in zip(*samples)]
        return type(first)(*columns) if hasattr(first, "_fields") else columns  # tuples become lists, as in torch
    raise TypeError(f"default_collate: cannot batch samples of type {type(first).__name__}; pass collate_fn=")


def _plain_tensors(obj):
    """Arrays inside ``obj`` turned into Tensors (dtypes kept), containers recursed."""
    if isinstance(obj, np.ndarray) or is_cupy_array(obj):
        return Tensor(obj)
    if isinstance(obj, (np.number, np.bool_)):  # NumPy scalars become 0-d Tensors, as in torch
        return Tensor(np.asarray(obj))
    if isinstance(obj, dict):
        return {k: _plain_tensors(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_plain_tensors(v) for v in obj]
    if isinstance(obj, tuple):  # namedtuples keep their type, other tuples become lists (as in torch)
        items = [_plain_tensors(v) for v in obj]
        return type(obj)(*items) if hasattr(obj, "_fields") else items
    return obj


def default_collate(samples):
    """Stack a list of samples into one batch, as ``torch.utils.data.default_collate``:
    arrays/Tensors are stacked on a new first axis into a Tensor; Python ints become int64,
    Python floats float64, bools bool, NumPy scalars keep their dtype; strings stay a list;
    dicts and namedtuples keep their type, other tuples and lists become lists."""
    return _plain_tensors(_collate(samples))


def default_convert(data):
    """What the DataLoader does to each sample when ``batch_size=None``: arrays and NumPy scalars
    become Tensors, tuples lists (Python numbers and strings stay), as ``torch.utils.data.default_convert``."""
    return _plain_tensors(data)
