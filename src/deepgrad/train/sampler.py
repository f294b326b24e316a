"""Mini-batch order that can be resumed from ``(epoch, batch index)`` alone.

Each epoch's permutation is derived from ``(seed, epoch)`` (``np.random.default_rng([seed,
epoch])``), not from a generator that has already moved on, so a run restored from a
checkpoint taken in the middle of an epoch sees exactly the batches it would have seen.
"""
from __future__ import annotations

import math

import numpy as np


def epoch_permutation(n, epoch, seed=0, shuffle=True):
    """The sample order of ``epoch``: a permutation of ``range(n)`` fixed by ``(seed, epoch)``."""
    if not shuffle:
        return np.arange(n)
    return np.random.default_rng([int(seed), int(epoch)]).permutation(n)


def resumable_batches(n, batch_size, shuffle=True, seed=0, epoch=0, start=0, drop_last=False):
    """Yield the index arrays of ``epoch``'s mini-batches, from batch number ``start`` on."""
    if batch_size < 1:
        raise ValueError(f"resumable_batches: batch_size must be >= 1, got {batch_size}")
    order = epoch_permutation(n, epoch, seed, shuffle)
    count = n // batch_size if drop_last else math.ceil(n / batch_size)
    for b in range(start, count):
        yield order[b * batch_size:(b + 1) * batch_size]


class ResumableSampler:
    """Batches of indices over ``n`` samples whose position is ``(epoch, batch)``.

    Iterating gives the rest of the current epoch and then moves to the next one; the
    position advances as batches are handed out, so ``state_dict()`` taken after a
    training step says exactly where to continue.  Give it to a ``Checkpointer``.

        sampler = ResumableSampler(len(x), 32, seed=0)
        for epoch in range(sampler.epoch, epochs):
            for idx in sampler:
                train_step(x[idx], y[idx])
    """

    def __init__(self, n, batch_size, shuffle=True, seed=0, drop_last=False):
        if int(n) < 0 or int(batch_size) < 1:
            raise ValueError(f"ResumableSampler: need n >= 0 and batch_size >= 1, got n={n}, batch_size={batch_size}")
        self.n = int(n)
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.seed = int(seed)
        self.drop_last = bool(drop_last)
        self.epoch = 0
        self.batch = 0  # the next batch to hand out in ``epoch``

    def __len__(self):
        """Batches per epoch."""
        return self.n // self.batch_size if self.drop_last else math.ceil(self.n / self.batch_size)

    def __iter__(self):
        """The remaining batches of the current epoch; afterwards the position is the next epoch's start."""
        order = epoch_permutation(self.n, self.epoch, self.seed, self.shuffle)
        while self.batch < len(self):
            b = self.batch
            self.batch += 1
            yield order[b * self.batch_size:(b + 1) * self.batch_size]
        self.epoch += 1
        self.batch = 0

    def state_dict(self):
        return {"n": self.n, "batch_size": self.batch_size, "shuffle": self.shuffle, "seed": self.seed,
                "drop_last": self.drop_last, "epoch": self.epoch, "batch": self.batch}

    def load_state_dict(self, state):
        for key in ("n", "batch_size", "shuffle", "drop_last"):
            if key in state and state[key] != getattr(self, key):
                raise ValueError(f"ResumableSampler.load_state_dict: saved {key}={state[key]!r} but this sampler has "
                                 f"{key}={getattr(self, key)!r}")
        self.seed = int(state["seed"])
        self.epoch = int(state["epoch"])
        self.batch = int(state["batch"])

    def __repr__(self):
        return (f"ResumableSampler(n={self.n}, batch_size={self.batch_size}, shuffle={self.shuffle}, seed={self.seed}, "
                f"epoch={self.epoch}, batch={self.batch})")


__all__ = ["ResumableSampler", "resumable_batches", "epoch_permutation"]
