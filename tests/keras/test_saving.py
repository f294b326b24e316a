"""model.save / load_model (.keras zip of JSON + arrays), save_weights / load_weights, refusals."""
import json
import zipfile

import numpy as np
import pytest

from deepgrad.keras import layers, losses
from deepgrad.keras.models import Model, Sequential, load_model
from deepgrad.keras.optimizers import Adam
from deepgrad.keras.saving import SavingError
from tests.keras.conftest import blobs


def _trained_cnn():
    x = np.random.default_rng(0).random((32, 8, 8, 1), dtype=np.float32)
    y = np.random.default_rng(1).integers(0, 3, 32)
    m = Sequential([layers.Input(shape=(8, 8, 1)), layers.Conv2D(4, 3, padding="same", activation="relu"),
                    layers.BatchNormalization(), layers.MaxPooling2D(), layers.Dropout(0.3), layers.Flatten(),
                    layers.Dense(8), layers.LeakyReLU(), layers.PReLU(), layers.Dense(3, activation="softmax")])
    m.compile(optimizer=Adam(0.01), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    m.fit(x, y, epochs=2, batch_size=8, verbose=0)
    return m, x, y


def test_round_trip_sequential_identical_predictions(tmp_path):
    m, x, y = _trained_cnn()
    m.save(tmp_path / "cnn.keras")
    with zipfile.ZipFile(tmp_path / "cnn.keras") as zf:
        names = set(zf.namelist())
        config = json.loads(zf.read("config.json"))
    assert {"config.json", "metadata.json"} <= names
    assert config["class_name"] == "Sequential"
    assert [entry["class_name"] for entry in config["config"]["layers"]][:2] == ["Conv2D", "BatchNormalization"]
    assert config["compile_config"]["loss"]["class_name"] == "SparseCategoricalCrossentropy"
    loaded = load_model(tmp_path / "cnn.keras")
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), m.predict(x, verbose=0))
    assert loaded.evaluate(x, y, verbose=0) == m.evaluate(x, y, verbose=0)
    assert [layer.name for layer in loaded.layers] == [layer.name for layer in m.layers]
    for a, b in zip(loaded.get_weights(), m.get_weights()):
        np.testing.assert_array_equal(a, b)
    loaded.fit(x, y, epochs=1, verbose=0)  # compiled again: it trains on
    uncompiled = load_model(tmp_path / "cnn.keras", compile=False)
    assert not uncompiled.compiled


def test_round_trip_functional(tmp_path):
    inp = layers.Input(shape=(6,))
    a = layers.Dense(8, activation="relu")(inp)
    shared = layers.Dense(8)
    b = shared(a)
    c = shared(b)  # a layer used twice
    merged = layers.Concatenate()([layers.Add()([a, c]), inp])
    out = layers.Dense(3, activation="softmax")(merged)
    m = Model(inp, out)
    x, y = blobs(40, 6, 3)
    m.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    m.fit(x, y, epochs=1, verbose=0)
    m.save(tmp_path / "f.keras")
    loaded = load_model(tmp_path / "f.keras")
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), m.predict(x, verbose=0))
    assert len(loaded.get_weights()) == len(m.get_weights()) == 6  # three Dense, one shared


def test_weights_only_files(tmp_path):
    m, x, _ = _trained_cnn()
    m.save_weights(tmp_path / "cnn.weights.npz")
    other, _, _ = _trained_cnn()  # different weights, same architecture
    other.load_weights(tmp_path / "cnn.weights.npz")
    np.testing.assert_array_equal(other.predict(x, verbose=0), m.predict(x, verbose=0))
    with np.load(tmp_path / "cnn.weights.npz", allow_pickle=False) as f:
        assert len(f.files) == len(m.get_weights())
    with pytest.raises(ValueError, match="weights.npz"):
        m.save_weights(tmp_path / "cnn.h5")
    small = Sequential([layers.Dense(2, input_dim=3)])
    with pytest.raises(SavingError, match="weights"):
        small.load_weights(tmp_path / "cnn.weights.npz")


def _rewrite_config(src, dst, edit):
    with zipfile.ZipFile(src) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    config = json.loads(members["config.json"])
    edit(config)
    members["config.json"] = json.dumps(config).encode()
    with zipfile.ZipFile(dst, "w") as zf:
        for n, data in members.items():
            zf.writestr(n, data)


def test_unknown_class_names_are_refused(tmp_path):
    m = Sequential([layers.Dense(2, input_dim=3)])
    m.save(tmp_path / "ok.keras")

    def evil(config):
        config["config"]["layers"][0]["class_name"] = "os.system"

    _rewrite_config(tmp_path / "ok.keras", tmp_path / "evil.keras", evil)
    with pytest.raises(SavingError, match="Unknown layer class 'os.system'"):
        load_model(tmp_path / "evil.keras")

    def bad_activation(config):
        config["config"]["layers"][0]["config"]["activation"] = "eval"

    _rewrite_config(tmp_path / "ok.keras", tmp_path / "act.keras", bad_activation)
    with pytest.raises(SavingError, match="Unknown activation 'eval'"):
        load_model(tmp_path / "act.keras")
    (tmp_path / "junk.keras").write_bytes(b"not a zip")
    with pytest.raises(SavingError, match="zip"):
        load_model(tmp_path / "junk.keras")
    with pytest.raises(ValueError, match=".keras"):
        m.save(tmp_path / "model.h5")


def test_custom_objects(tmp_path):
    def my_loss(y_true, y_pred):
        return ((y_true - y_pred) ** 2).sum(axis=-1)

    class Scale(layers.Layer):
        def __init__(self, factor=2.0, **kwargs):
            super().__init__(**kwargs)
            self.factor = factor

        def call(self, x, training=False):
            return x * self.factor

        def get_config(self):
            return {**super().get_config(), "factor": self.factor}

    m = Sequential([layers.Dense(2, input_dim=3), Scale(3.0)])
    m.compile(optimizer="sgd", loss=my_loss)
    m.save(tmp_path / "c.keras")
    with pytest.raises(SavingError, match="Scale"):
        load_model(tmp_path / "c.keras")
    with pytest.raises(SavingError, match="compile"):
        load_model(tmp_path / "c.keras", custom_objects={"Scale": Scale})
    loaded = load_model(tmp_path / "c.keras", custom_objects={"Scale": Scale, "my_loss": my_loss})
    x = np.ones((2, 3), np.float32)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), m.predict(x, verbose=0))
    assert isinstance(loaded.loss, losses.LossFunctionWrapper)
