"""Fixtures for the deepgrad.keras tests: a fresh layer-name session and small MNIST subsets."""
import numpy as np
import pytest

import deepgrad
from deepgrad.keras import backend


@pytest.fixture(autouse=True)
def _fresh_session():
    backend.clear_session()
    deepgrad.manual_seed(0)
    yield


_MNIST = {}


def _mnist():
    if "data" not in _MNIST:
        from deepgrad.keras.datasets import mnist

        try:
            _MNIST["data"] = mnist.load_data()
        except Exception as e:  # noqa: BLE001 - no network and no cached files
            _MNIST["data"] = e
    if isinstance(_MNIST["data"], Exception):
        pytest.skip(f"MNIST not available: {_MNIST['data']}")
    return _MNIST["data"]


@pytest.fixture
def mnist_raw():
    """((x_train, y_train), (x_test, y_test)) exactly as mnist.load_data() returns them."""
    return _mnist()


@pytest.fixture
def mnist_small():
    """The lecture's preprocessing on a subset: 10k train / 2k test, flattened, /255, one-hot."""
    from deepgrad.keras.utils import to_categorical

    (x_train, y_train), (x_test, y_test) = _mnist()
    n_train, n_test = 10000, 2000
    x_train = x_train[:n_train].reshape(n_train, 28 * 28).astype("float32") / 255
    x_test = x_test[:n_test].reshape(n_test, 28 * 28).astype("float32") / 255
    return (x_train, to_categorical(y_train[:n_train], 10)), (x_test, to_categorical(y_test[:n_test], 10))


def blobs(n=300, d=10, classes=3, seed=0):
    """A small separable classification set (float32 features, integer labels)."""
    rng = np.random.default_rng(seed)
    centers = rng.normal(0, 3, (classes, d))
    y = rng.integers(0, classes, n)
    x = (centers[y] + rng.normal(0, 1, (n, d))).astype(np.float32)
    return x, y
