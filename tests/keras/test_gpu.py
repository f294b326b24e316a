"""deepgrad.keras on the GPU (CuPy): same predictions as on the CPU, and training runs there."""
import numpy as np
import pytest

from deepgrad.backend import cupy_module
from deepgrad.keras import layers
from deepgrad.keras.models import Sequential
from tests.keras.conftest import blobs

pytestmark = [pytest.mark.gpu, pytest.mark.skipif(cupy_module() is None, reason="needs CuPy and a CUDA GPU")]


def test_model_to_cuda_predicts_like_cpu_and_trains():
    x, y = blobs(256, 8, 3)
    model = Sequential([layers.Dense(32, activation="relu", input_dim=8), layers.Dropout(0.2),
                        layers.BatchNormalization(), layers.Dense(3, activation="softmax")])
    cpu = model.predict(x, verbose=0)
    model.to("cuda")
    assert type(model.weights[0].data).__module__.startswith("cupy")
    np.testing.assert_allclose(model.predict(x, verbose=0), cpu, rtol=1e-5, atol=1e-6)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    h = model.fit(x, y, epochs=5, batch_size=32, validation_split=0.2, verbose=0)
    assert h.history["accuracy"][-1] > 0.9
    assert isinstance(model.predict(x, verbose=0), np.ndarray)


def test_cnn_on_cuda():
    rng = np.random.default_rng(0)
    x = rng.random((64, 12, 12, 1), dtype=np.float32)
    y = rng.integers(0, 2, 64)
    model = Sequential([layers.Input(shape=(12, 12, 1)), layers.Conv2D(4, 3, padding="same", activation="relu"),
                        layers.MaxPooling2D(), layers.GlobalAveragePooling2D(), layers.Dense(2, activation="softmax")])
    cpu = model.predict(x, verbose=0)
    model.to("cuda")
    np.testing.assert_allclose(model.predict(x, verbose=0), cpu, rtol=1e-4, atol=1e-5)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    assert np.isfinite(model.fit(x, y, epochs=1, verbose=0).history["loss"][0])
