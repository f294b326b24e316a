"""Datasets: anything with ``__len__`` and ``__getitem__``; optionally ``__getitems__`` for whole batches.

A dataset that defines ``__getitems__(indices)`` returns a whole batch at once (one fancy
index per array, one batch transform); the DataLoader then never loops over samples in Python.
Return the batch as a tuple, array or dict; a list of ``len(indices)`` items is taken as
PyTorch's convention (one sample each) and collated.
``TensorDataset``, ``Subset`` of such a dataset, and the MNIST datasets all do.
"""
from __future__ import annotations

import bisect
import math
import warnings

import numpy as np

from deepgrad.backend import get_array_module
from deepgrad.tensor import Tensor

__all__ = ["Dataset", "IterableDataset", "ChainDataset", "TensorDataset", "Subset", "ConcatDataset", "random_split"]


class _SizeMismatch(ValueError, AssertionError):
    """TensorDataset's length mismatch: a ValueError, and an AssertionError as PyTorch raises."""


class _NegativeIndex(IndexError, ValueError):
    """An index below ``-len``: an IndexError, and a ValueError as PyTorch's ConcatDataset raises."""


class Dataset:
    """Base class: subclasses define ``__getitem__(i)`` and ``__len__()``."""

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__")

    def __len__(self):
        raise NotImplementedError(f"{type(self).__name__} must define __len__")

    def __add__(self, other):
        return ConcatDataset([self, other])

    def __class_getitem__(cls, item):  # Dataset[tuple] in type hints, as torch's generic Dataset
        return cls


class IterableDataset(Dataset):
    """A stream of samples: subclasses define ``__iter__`` (and ``__len__`` if they know it).

    A DataLoader groups the stream into batches of ``batch_size`` in the loop's thread
    (``shuffle``, ``sampler`` and ``batch_sampler`` do not apply to a stream)."""

    def __iter__(self):
        raise NotImplementedError(f"{type(self).__name__} must define __iter__")

    def __len__(self):
        raise TypeError(f"{type(self).__name__} is an IterableDataset without __len__")

    def __add__(self, other):
        return ChainDataset([self, other])


class ChainDataset(IterableDataset):
    """Several IterableDatasets one after another."""

    def __init__(self, datasets):
        self.datasets = list(datasets)

    def __iter__(self):
        for d in self.datasets:
            yield from d

    def __len__(self):
        return sum(len(d) for d in self.datasets)


class TensorDataset(Dataset):
    """Rows of several arrays or Tensors of the same length: ``ds[i] = (a[i], b[i], ...)``.

    The arrays are kept as they are (no copy); Tensors are unwrapped to their arrays and
    ``ds[i]`` then gives Tensors back.  ``ds.__getitems__(idx)`` indexes each array once.
    """

    def __init__(self, *tensors):
        if not tensors:
            raise ValueError("TensorDataset: needs at least one array or Tensor")
        self.as_tensors = all(isinstance(t, Tensor) for t in tensors)
        arrays = []
        for k, t in enumerate(tensors):
            a = t.data if isinstance(t, Tensor) else t
            if not hasattr(a, "shape"):
                a = np.asarray(a)
            if a.ndim == 0:
                raise ValueError(f"TensorDataset: argument {k} is a 0-d array; every argument needs a first "
                                 "(sample) dimension")
            arrays.append(a)
        lengths = [a.shape[0] for a in arrays]
        if len(set(lengths)) != 1:
            raise _SizeMismatch(f"TensorDataset: size mismatch between tensors: all need the same first dimension, "
                                f"got shapes {[tuple(a.shape) for a in arrays]}")
        self.arrays = tuple(arrays)

    @property
    def tensors(self):
        return tuple(Tensor(a) for a in self.arrays)

    def __len__(self):
        return self.arrays[0].shape[0]

    def __getitem__(self, index):
        rows = tuple(a[index] for a in self.arrays)
        return tuple(Tensor(r) for r in rows) if self.as_tensors else rows

    def __getitems__(self, indices):
        """The batch ``indices`` of every array, by one fancy index each (arrays, not Tensors)."""
        idx = np.asarray(indices, dtype=np.intp)
        xp = get_array_module(self.arrays[0])
        if xp is not np:  # cupy arrays take a cupy index
            idx = xp.asarray(idx)
        return tuple(a[idx] for a in self.arrays)


class Subset(Dataset):
    """The samples ``indices`` of ``dataset``, in that order."""

    def __init__(self, dataset, indices):
        self.dataset = dataset
        self.indices = np.asarray(indices, dtype=np.intp)
        n = len(dataset)
        if self.indices.ndim != 1:
            raise ValueError(f"Subset: indices must be 1-d, got shape {self.indices.shape}")
        if self.indices.size and (self.indices.min() < -n or self.indices.max() >= n):
            raise IndexError(f"Subset: indices span [{self.indices.min()}, {self.indices.max()}] but the "
                             f"dataset has {n} samples")
        if hasattr(dataset, "__getitems__"):
            self.__getitems__ = self._getitems

    def __len__(self):
        return len(self.indices)

    def __getitem__(self, i):
        if isinstance(i, (list, np.ndarray)):
            return self.dataset[[int(j) for j in self.indices[np.asarray(i, dtype=np.intp)]]]
        return self.dataset[int(self.indices[i])]

    def _getitems(self, indices):
        return self.dataset.__getitems__(self.indices[np.asarray(indices, dtype=np.intp)])


class ConcatDataset(Dataset):
    """Several datasets one after another."""

    def __init__(self, datasets):
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("ConcatDataset: needs at least one dataset")
        self.cumulative_sizes = np.cumsum([len(d) for d in self.datasets]).tolist()

    def __len__(self):
        return self.cumulative_sizes[-1]

    def __getitem__(self, i):
        n = len(self)
        if i < -n:
            raise _NegativeIndex(f"ConcatDataset: absolute value of index {i} should not exceed dataset length {n}")
        if i >= n:
            raise IndexError(f"ConcatDataset: index {i} out of range for {n} samples")
        i = i + n if i < 0 else i
        k = bisect.bisect_right(self.cumulative_sizes, i)
        start = self.cumulative_sizes[k - 1] if k else 0
        return self.datasets[k][i - start]


def random_split(dataset, lengths, generator=None):
    """Split ``dataset`` into non-overlapping random Subsets of the given ``lengths``, as PyTorch does.

    ``lengths`` are counts summing to ``len(dataset)``, or fractions summing to 1 (each
    ``floor(n * f)``, the leftover samples one each to the first splits, round-robin).  The
    permutation comes from ``generator`` (a numpy Generator or an int seed) or deepgrad's
    seeded generator.
    """
    from deepgrad.data.sampler import as_rng

    n = len(dataset)
    lengths = list(lengths)
    total = sum(lengths)
    if math.isclose(total, 1) and total <= 1:
        counts = []
        for i, frac in enumerate(lengths):
            if frac < 0 or frac > 1:
                raise ValueError(f"random_split: fraction at index {i} is not between 0 and 1, got {frac}")
            counts.append(int(math.floor(n * frac)))
        for i in range(n - sum(counts)):
            counts[i % len(counts)] += 1
        for i, count in enumerate(counts):
            if count == 0:
                warnings.warn(f"random_split: length of split at index {i} is 0; this might result in an empty "
                              "dataset", UserWarning, stacklevel=2)
        lengths = counts
    if any(isinstance(x, float) and not float(x).is_integer() for x in lengths):
        raise ValueError(f"random_split: lengths {lengths} must be ints summing to {n} or fractions summing to 1")
    lengths = [int(x) for x in lengths]
    if any(x < 0 for x in lengths):
        raise ValueError(f"random_split: lengths must be non-negative, got {lengths}")
    if sum(lengths) != n:
        raise ValueError(f"random_split: sum of input lengths {lengths} = {sum(lengths)} does not equal the length "
                         f"of the input dataset ({n})")
    perm = as_rng(generator, "random_split").permutation(n)
    out, start = [], 0
    for length in lengths:
        out.append(Subset(dataset, perm[start:start + length]))
        start += length
    return out
