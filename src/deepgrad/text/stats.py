"""Rank statistics in NumPy (no scipy): ``rankdata`` with average ties, Pearson and Spearman."""
from __future__ import annotations

import numpy as np

__all__ = ["rankdata", "pearson", "spearman"]


def rankdata(x):
    """Ranks 1..n of a 1-D sequence; tied values share the mean of their ranks (scipy's 'average')."""
    x = np.asarray(x, dtype=np.float64).ravel()
    order = np.argsort(x, kind="stable")
    xs = x[order]
    starts = np.flatnonzero(np.r_[True, xs[1:] != xs[:-1]])  # first position of each run of equal values
    ends = np.r_[starts[1:], len(xs)]
    avg = (starts + ends + 1) / 2.0  # mean of ranks starts+1 .. ends
    ranks = np.empty(len(x))
    ranks[order] = np.repeat(avg, ends - starts)
    return ranks


def pearson(x, y):
    """Pearson correlation of two equal-length sequences (nan if either is constant)."""
    x = np.asarray(x, dtype=np.float64).ravel()
    y = np.asarray(y, dtype=np.float64).ravel()
    if x.shape != y.shape or x.size < 2:
        raise ValueError(f"pearson: need two sequences of equal length >= 2, got {x.size} and {y.size}")
    x, y = x - x.mean(), y - y.mean()
    den = np.sqrt((x * x).sum() * (y * y).sum())
    return float((x * y).sum() / den) if den > 0 else float("nan")


def spearman(x, y):
    """Spearman's rank correlation: Pearson of the (tie-averaged) ranks."""
    if len(x) != len(y):
        raise ValueError(f"spearman: sequences differ in length ({len(x)} vs {len(y)})")
    return pearson(rankdata(x), rankdata(y))
