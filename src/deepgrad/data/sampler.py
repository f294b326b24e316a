"""Samplers: which sample indices a DataLoader visits, and in what order (``torch.utils.data`` names).

``generator`` may be a ``numpy.random.Generator``, an int seed, or None (deepgrad's seeded
generator, so ``deepgrad.manual_seed`` fixes the order); a ``torch.Generator`` gives its seed.
Indices are drawn when iteration starts; every sampler yields Python ints (``BatchSampler``: lists).
"""
from __future__ import annotations

import numpy as np

from deepgrad import random as _random

__all__ = ["Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler", "WeightedRandomSampler",
           "BatchSampler", "as_rng"]


def as_rng(generator, who="sampler"):
    """A numpy Generator from ``generator``: None (deepgrad's), an int seed, or a numpy Generator."""
    if generator is None:
        return _random.generator(np)
    if isinstance(generator, np.random.Generator):
        return generator
    if isinstance(generator, (int, np.integer)) and not isinstance(generator, bool):
        return np.random.default_rng(int(generator))
    if callable(getattr(generator, "initial_seed", None)):  # a torch.Generator: its seed, not its numbers
        return np.random.default_rng(int(generator.initial_seed()))
    raise TypeError(f"{who}: generator must be a numpy.random.Generator, an int seed or None, "
                    f"got {type(generator).__name__}")


def _positive_int(value, who, name):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise ValueError(f"{who}: {name} should be a positive integer value, but got {name}={value!r}")
    return int(value)


def _boolean(value, who, name, kind=ValueError):
    if not isinstance(value, (bool, np.bool_)):
        raise kind(f"{who}: {name} should be a boolean value, but got {name}={value!r}")
    return bool(value)


class Sampler:
    """Base class: subclasses define ``__iter__`` (indices) and usually ``__len__``."""

    def __init__(self, data_source=None):
        pass

    def __class_getitem__(cls, item):  # Sampler[int] in type hints, as torch's generic Sampler
        return cls

    def __iter__(self):
        raise NotImplementedError(f"{type(self).__name__} must define __iter__")


class SequentialSampler(Sampler):
    """``0, 1, ..., len(data_source) - 1``."""

    def __init__(self, data_source):
        self.data_source = data_source

    def __iter__(self):
        return iter(range(len(self.data_source)))

    def __len__(self):
        return len(self.data_source)


class RandomSampler(Sampler):
    """A random permutation of ``data_source``'s indices; with ``replacement``, ``num_samples``
    independent draws.  Without replacement, ``num_samples`` beyond the dataset's length
    chains fresh permutations (as PyTorch does)."""

    def __init__(self, data_source, replacement=False, num_samples=None, generator=None):
        self.data_source = data_source
        self.replacement = _boolean(replacement, "RandomSampler", "replacement", TypeError)
        self._num_samples = None if num_samples is None else _positive_int(num_samples, "RandomSampler",
                                                                           "num_samples")
        self.generator = generator
        self._rng = None if generator is None else as_rng(generator, "RandomSampler")

    @property
    def num_samples(self):
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self):
        n, k = len(self.data_source), self.num_samples
        rng = self._rng or as_rng(None)
        if n == 0:
            return iter(())
        if self.replacement:
            return iter(rng.integers(0, n, size=k).tolist())
        parts = [rng.permutation(n) for _ in range(k // n)]
        if k % n:
            parts.append(rng.permutation(n)[:k % n])
        return iter(np.concatenate(parts).tolist())

    def __len__(self):
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given ``indices`` in a random order (a new one each iteration)."""

    def __init__(self, indices, generator=None):
        self.indices = indices
        self.generator = generator
        self._rng = None if generator is None else as_rng(generator, "SubsetRandomSampler")

    def __iter__(self):
        perm = (self._rng or as_rng(None)).permutation(len(self.indices))
        return iter([self.indices[i] for i in perm.tolist()])

    def __len__(self):
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """``num_samples`` indices drawn with probabilities proportional to ``weights`` (with
    ``replacement`` by default; without it, no index is drawn twice)."""

    def __init__(self, weights, num_samples, replacement=True, generator=None):
        self.num_samples = _positive_int(num_samples, "WeightedRandomSampler", "num_samples")
        self.replacement = _boolean(replacement, "WeightedRandomSampler", "replacement")
        w = np.asarray(weights.numpy() if hasattr(weights, "numpy") else weights, dtype=np.float64)
        if w.ndim != 1:
            raise ValueError(f"WeightedRandomSampler: weights should be a 1d sequence but given weights have "
                             f"shape {tuple(w.shape)}")
        if not np.all(np.isfinite(w)) or np.any(w < 0):
            raise ValueError("WeightedRandomSampler: weights must be finite and >= 0, got "
                             f"{w[~np.isfinite(w) | (w < 0)][:5].tolist()}")
        if w.sum() <= 0:
            raise ValueError("WeightedRandomSampler: weights sum to 0 (invalid distribution)")
        if not self.replacement and self.num_samples > np.count_nonzero(w):
            raise ValueError(f"WeightedRandomSampler: cannot draw num_samples={self.num_samples} without replacement "
                             f"from {np.count_nonzero(w)} indices of non-zero weight")
        self.weights = w
        self.generator = generator
        self._rng = None if generator is None else as_rng(generator, "WeightedRandomSampler")

    def __iter__(self):
        rng = self._rng or as_rng(None)
        p = self.weights / self.weights.sum()
        return iter(rng.choice(len(p), size=self.num_samples, replace=self.replacement, p=p).tolist())

    def __len__(self):
        return self.num_samples


class BatchSampler(Sampler):
    """Group the indices of ``sampler`` into lists of ``batch_size`` (the last one shorter
    unless ``drop_last``)."""

    def __init__(self, sampler, batch_size, drop_last):
        self.sampler = sampler
        self.batch_size = _positive_int(batch_size, "BatchSampler", "batch_size")
        self.drop_last = _boolean(drop_last, "BatchSampler", "drop_last")

    def __iter__(self):
        batch = []
        for idx in self.sampler:
            batch.append(idx)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self):
        n = len(self.sampler)
        return n // self.batch_size if self.drop_last else (n + self.batch_size - 1) // self.batch_size
