"""scikit-learn's bundled 8x8 handwritten digits (1797 images, values 0..16): no download needed."""
from __future__ import annotations

import numpy as np

__all__ = ["load_digits"]


def load_digits(test_size=None, seed=0):
    """The 8x8 digits as ``x`` uint8 (1797, 8, 8) with values 0..16 and ``y`` uint8 (1797,).

    With ``test_size`` (a fraction or a count) returns ``(x_train, y_train, x_test, y_test)``
    split by a permutation drawn from ``np.random.default_rng(seed)``.  Needs scikit-learn
    (``pip install scikit-learn``), which ships the data inside the package.
    """
    try:
        from sklearn.datasets import load_digits as _sk_load_digits
    except ImportError as e:
        raise RuntimeError("load_digits: needs scikit-learn, which ships this data set; install it with "
                           "`pip install scikit-learn`") from e
    d = _sk_load_digits()
    x = d.images.astype(np.uint8)
    y = d.target.astype(np.uint8)
    if test_size is None:
        return x, y
    n = len(x)
    n_test = int(round(test_size * n)) if isinstance(test_size, float) else int(test_size)
    if not 0 < n_test < n:
        raise ValueError(f"load_digits: test_size={test_size!r} must leave both splits non-empty (n={n})")
    perm = np.random.default_rng(seed).permutation(n)
    tr, te = perm[n_test:], perm[:n_test]
    return x[tr], y[tr], x[te], y[te]
