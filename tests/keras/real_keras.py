"""Real Keras 3 on its PyTorch backend, the oracle of the ``test_real_keras_*`` files.

``from tests.keras.real_keras import real`` skips the importing test module when Keras is not
installed or already runs on another backend; ``MARKS`` silences the warnings Keras and torch print
(NumPy 2 deprecations, ``input_shape`` notices), ``make_x`` gives a file its own float32 samples."""
import os

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "torch")
real = pytest.importorskip("keras")
if real.backend.backend() != "torch":  # pragma: no cover - another backend was chosen first
    pytest.skip(f"real Keras runs on {real.backend.backend()}, not torch", allow_module_level=True)

MARKS = [pytest.mark.filterwarnings("ignore::DeprecationWarning"), pytest.mark.filterwarnings("ignore::UserWarning")]


def make_x(seed=0):
    """``x(*shape)``: standard normal float32 samples from one generator per test file."""
    rng = np.random.default_rng(seed)

    def x(*shape):
        return rng.standard_normal(shape).astype(np.float32)

    return x
