"""Toy data sets: shapes, dtypes, the defining property, and determinism under a seed."""
from __future__ import annotations

import numpy as np
import pytest

import deepgrad as dg
from deepgrad.data.datasets import circles, toy, two_spirals, universality, universality_2d, xor


def test_xor():
    x, y = xor()
    np.testing.assert_array_equal(x, [[0, 0], [0, 1], [1, 0], [1, 1]])
    np.testing.assert_array_equal(y, [0, 1, 1, 0])
    assert x.dtype == np.float32 and y.dtype == np.int64
    xn, yn = xor(n=500, noise=0.1, seed=3)
    assert xn.shape == (500, 2) and set(np.unique(yn)) == {0, 1}
    np.testing.assert_array_equal(yn, (np.rint(xn[:, 0]) != np.rint(xn[:, 1])).astype(np.int64))
    np.testing.assert_array_equal(xor(n=500, noise=0.1, seed=3)[0], xn)


def test_two_spirals():
    x, y = two_spirals(n=300, seed=0)
    assert x.shape == (600, 2) and y.shape == (600,) and x.dtype == np.float32
    np.testing.assert_allclose(x[300:], -x[:300])  # class 1 is class 0 turned by 180 degrees
    assert np.abs(x).max() <= 1.0 + 1e-6
    np.testing.assert_array_equal(two_spirals(n=300, noise=0.05, seed=4)[0], two_spirals(n=300, noise=0.05, seed=4)[0])
    assert not np.array_equal(two_spirals(n=300, seed=1)[0], x)


def test_circles_matches_sklearn():
    x, y = circles(101, shuffle=False, factor=0.5)
    r = np.hypot(x[:, 0], x[:, 1])
    np.testing.assert_allclose(r[y == 0], 1.0, rtol=1e-6)
    np.testing.assert_allclose(r[y == 1], 0.5, rtol=1e-6)
    assert (y == 0).sum() == 50 and (y == 1).sum() == 51
    sk = pytest.importorskip("sklearn.datasets")
    xs, ys = sk.make_circles(101, shuffle=False, factor=0.5)
    np.testing.assert_allclose(x, xs, atol=1e-6)
    np.testing.assert_array_equal(y, ys)
    xa, ya = circles(200, noise=0.05, seed=9)
    xb, yb = circles(200, noise=0.05, seed=9)
    np.testing.assert_array_equal(xa, xb) and np.testing.assert_array_equal(ya, yb)
    with pytest.raises(ValueError, match="factor"):
        circles(10, factor=1.5)


def test_universality_functions():
    for name in toy.UNIVERSALITY_FUNCTIONS:
        x, y = universality(name, n=101)
        assert x.shape == y.shape == (101, 1) and x.dtype == y.dtype == np.float32
        assert np.all(np.diff(x[:, 0]) > 0)
    x, y = universality("step", n=101)
    np.testing.assert_array_equal(y[:, 0], (x[:, 0] >= 0).astype(np.float32))
    x, y = universality("sine", n=101)
    np.testing.assert_allclose(y[:, 0], np.sin(np.pi * x[:, 0]), atol=1e-6)
    assert universality("bump", n=101)[1].max() == 1.0
    a = universality("sine", n=50, noise=0.1, random_x=True, seed=2)
    b = universality("sine", n=50, noise=0.1, random_x=True, seed=2)
    np.testing.assert_array_equal(a[0], b[0]) and np.testing.assert_array_equal(a[1], b[1])
    with pytest.raises(ValueError, match="unknown function 'cubic'"):
        universality("cubic")
    x2, y2 = universality_2d("saddle", n=30, seed=0)
    assert x2.shape == (30, 2) and y2.shape == (30, 1)
    np.testing.assert_allclose(y2[:, 0], x2[:, 0] ** 2 - x2[:, 1] ** 2, rtol=1e-5)


def test_seed_none_follows_manual_seed():
    dg.manual_seed(11)
    a = two_spirals(50, noise=0.1)[0]
    dg.manual_seed(11)
    np.testing.assert_array_equal(two_spirals(50, noise=0.1)[0], a)
