"""deepgrad.keras on the GPU (CuPy): same predictions as on the CPU, and training runs there."""
import numpy as np
import pytest

from deepgrad.backend import cupy_module
from deepgrad.keras import layers
from deepgrad.keras.models import Sequential
from tests.keras.conftest import blobs

pytestmark = [pytest.mark.gpu, pytest.mark.skipif(cupy_module() is None, reason="needs CuPy and a CUDA GPU")]


def _mlp(dropout):
    extra = [layers.Dropout(0.2)] if dropout else []
    return Sequential([layers.Dense(32, activation="relu", input_dim=8), *extra,
                       layers.BatchNormalization(), layers.Dense(3, activation="softmax")])


def test_model_to_cuda_predicts_and_trains_like_cpu():
    """No randomness in training (no Dropout, shuffle=False): the GPU run follows the CPU run."""
    x, y = blobs(256, 8, 3)
    cpu_model, gpu_model = _mlp(False), _mlp(False)
    cpu_pred = cpu_model.predict(x, verbose=0)
    gpu_model.predict(x, verbose=0)
    gpu_model.set_weights(cpu_model.get_weights())
    gpu_model.to("cuda")
    assert type(gpu_model.weights[0].data).__module__.startswith("cupy")
    np.testing.assert_allclose(gpu_model.predict(x, verbose=0), cpu_pred, rtol=1e-5, atol=1e-6)
    hist = {}
    for name, model in (("cpu", cpu_model), ("cuda", gpu_model)):
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        hist[name] = model.fit(x, y, epochs=5, batch_size=32, validation_split=0.2, shuffle=False,
                               verbose=0).history
    for key in ("loss", "val_loss"):
        np.testing.assert_allclose(hist["cuda"][key], hist["cpu"][key], rtol=1e-4, err_msg=key)
    assert hist["cuda"]["accuracy"] == hist["cpu"]["accuracy"]
    assert hist["cuda"]["loss"][-1] < 0.5 * hist["cuda"]["loss"][0]
    out = gpu_model.predict(x, verbose=0)
    assert isinstance(out, np.ndarray)
    np.testing.assert_allclose(out, cpu_model.predict(x, verbose=0), rtol=1e-3, atol=1e-5)


def test_dropout_model_trains_on_cuda():
    """With Dropout (masks drawn on the device) the model still learns the three blobs."""
    x, y = blobs(256, 8, 3)
    model = _mlp(True)
    model.to("cuda")
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    h = model.fit(x, y, epochs=20, batch_size=32, validation_split=0.2, verbose=0)
    assert h.history["accuracy"][-1] > 0.9 and h.history["val_accuracy"][-1] > 0.9


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


def test_custom_layer_with_sublayers_and_add_loss_trains_on_cuda_like_cpu():
    from deepgrad.keras import Model, regularizers

    class Block(layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.parts = [layers.Dense(16, activation="relu", kernel_regularizer=regularizers.L2(1e-3)),
                          layers.BatchNormalization()]

        def call(self, x, training=False):
            h = self.parts[1](self.parts[0](x), training=training)
            self.add_loss(1e-2 * (h * h).mean())
            return h

    def model():
        inp = layers.Input((8,))
        return Model(inp, layers.Dense(3, activation="softmax")(Block()(inp)))

    x, y = blobs(128, 8, 3)
    cpu_model, gpu_model = model(), model()
    gpu_model.set_weights(cpu_model.get_weights())
    gpu_model.to("cuda")
    assert all(type(w.data).__module__.startswith("cupy") for w in gpu_model.weights)
    hist = {}
    for name, m in (("cpu", cpu_model), ("cuda", gpu_model)):
        m.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        hist[name] = m.fit(x, y, epochs=3, batch_size=32, shuffle=False, verbose=0).history["loss"]
    np.testing.assert_allclose(hist["cuda"], hist["cpu"], rtol=1e-4)
    np.testing.assert_allclose(gpu_model.predict(x, verbose=0), cpu_model.predict(x, verbose=0), rtol=1e-3,
                               atol=1e-5)
