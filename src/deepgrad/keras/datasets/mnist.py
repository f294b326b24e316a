"""``mnist.load_data()``: ((x_train, y_train), (x_test, y_test)), uint8 images (N, 28, 28), as Keras returns.

The files are fetched (once) and checked by ``deepgrad.data.datasets.load_mnist``.
"""
from __future__ import annotations

import numpy as np


def load_data(path=None):
    from deepgrad.data.datasets import load_mnist

    kwargs = {} if path is None else {"root": path}
    x_train, y_train, x_test, y_test = load_mnist(**kwargs)
    return ((np.asarray(x_train, dtype=np.uint8), np.asarray(y_train, dtype=np.uint8)),
            (np.asarray(x_test, dtype=np.uint8), np.asarray(y_test, dtype=np.uint8)))


__all__ = ["load_data"]
