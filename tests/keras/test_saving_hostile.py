"""load_model refuses bad files with SavingError (a deepgrad.io.FormatError), before allocating."""
import io
import json
import tracemalloc
import zipfile

import numpy as np
import pytest

from deepgrad.io import FormatError
from deepgrad.keras import layers
from deepgrad.keras.models import Sequential, load_model
from deepgrad.keras.saving import SavingError, load_weights, register_serializable


def _small(tmp_path):
    m = Sequential([layers.Input((4,)), layers.Dense(3)])
    m.compile("sgd", "mse")
    path = tmp_path / "m.keras"
    m.save(path)
    with zipfile.ZipFile(path) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    return m, path, members


def _write(path, members):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for n, d in members.items():
            zf.writestr(n, d)
    path.write_bytes(buf.getvalue())
    return path


def test_saving_error_is_a_format_error():
    assert issubclass(SavingError, FormatError) and issubclass(SavingError, ValueError)


def test_huge_dense_is_refused_before_allocating(tmp_path):
    _, _, members = _small(tmp_path)
    config = {"class_name": "Sequential", "config": {"build_input_shape": [None, 1000],
                                                     "layers": [{"class_name": "Dense", "config": {"units": 10**6}}]}}
    path = _write(tmp_path / "big.keras", {**members, "config.json": json.dumps(config).encode()})
    tracemalloc.start()
    try:
        with pytest.raises(SavingError, match=r"would have 1001000000 weights, but the file holds 15 numbers"):
            load_model(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 10 * 1024 * 1024, f"allocated {peak} bytes for a {path.stat().st_size}-byte file"


def test_model_with_weights_and_a_file_without_is_refused(tmp_path):
    _, _, members = _small(tmp_path)
    path = _write(tmp_path / "now.keras", {k: v for k, v in members.items() if not k.startswith("model.weights")})
    with pytest.raises(SavingError, match="holds no weights"):
        load_model(path)


@pytest.mark.parametrize("config", [
    {"class_name": "Sequential", "config": {"build_input_shape": "abc", "layers": []}},
    {"class_name": "Sequential", "config": {"build_input_shape": [None, 4], "layers": [
        {"class_name": "Dense", "config": {"units": 3, "activation": {"module": "os", "class_name": "system"}}}]}},
    {"class_name": "Sequential", "config": {"build_input_shape": [None, 4.5], "layers": [
        {"class_name": "Dense", "config": {"units": 3}}]}},
    {"class_name": "Sequential", "config": {"build_input_shape": [None, 4], "layers": [
        {"class_name": "Dense", "config": {"units": "three"}}]}},
    {"class_name": "Sequential", "config": {"build_input_shape": [None, 4], "layers": [
        {"class_name": "Dense", "config": {"units": 3, "name": {"x": 1}}}]}},
    {"class_name": "Functional", "config": {"layers": [], "nodes": [], "input_layers": 7}},
    [1, 2, 3],
])
def test_hostile_configs_raise_saving_error(tmp_path, config):
    _, _, members = _small(tmp_path)
    path = _write(tmp_path / "h.keras", {**members, "config.json": json.dumps(config).encode()})
    with pytest.raises(SavingError):
        load_model(path)


def test_damaged_weights_member_is_a_saving_error(tmp_path):
    m, path, members = _small(tmp_path)
    bad = _write(tmp_path / "w.keras", {**members, "model.weights.safetensors": b"\x10" + b"\0" * 7 + b"{}"})
    with pytest.raises(SavingError, match="unreadable weights"):
        load_model(bad)
    with pytest.raises(SavingError):
        load_weights(m, bad)
    npz = tmp_path / "x.weights.npz"
    npz.write_bytes(b"PK\x03\x04" + b"\0" * 40)
    with pytest.raises(SavingError):
        load_weights(m, npz)


@register_serializable(package="tests")
class Doubler(layers.Layer):
    def call(self, x, training=False):
        return x * 2.0


class Unregistered(layers.Layer):
    def call(self, x, training=False):
        return x * 3.0


def test_registered_custom_layer_round_trips_and_unregistered_is_refused(tmp_path):
    x = np.arange(8, dtype=np.float32).reshape(2, 4)
    m = Sequential([layers.Input((4,)), Doubler(), layers.Dense(2)])
    m.save(tmp_path / "c.keras")
    loaded = load_model(tmp_path / "c.keras")
    assert type(loaded.layers[0]) is Doubler
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), m.predict(x, verbose=0))
    u = Sequential([layers.Input((4,)), Unregistered(), layers.Dense(2)])
    u.save(tmp_path / "u.keras")
    with pytest.raises(SavingError, match="Unknown layer class 'Unregistered'"):
        load_model(tmp_path / "u.keras")
    assert load_model(tmp_path / "u.keras", custom_objects={"Unregistered": Unregistered}).layers[0].name


def test_functional_config_with_a_huge_layer_is_refused_before_allocating(tmp_path):
    _, _, members = _small(tmp_path)
    config = {"class_name": "Functional", "config": {
        "layers": [{"class_name": "InputLayer", "config": {"batch_shape": [None, 50000], "name": "in"}},
                   {"class_name": "Dense", "config": {"units": 50000, "name": "d"}}],
        "nodes": [{"layer": "d", "inputs": [["in", 0]], "list_call": False}],
        "input_layers": [["in", 0]], "output_layers": [["d", 0]]}}
    path = _write(tmp_path / "f.keras", {**members, "config.json": json.dumps(config).encode()})
    tracemalloc.start()
    try:
        with pytest.raises(SavingError):
            load_model(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 10 * 1024 * 1024


@pytest.mark.parametrize("make,key,value", [
    (lambda: layers.LSTM(3), "units", 10**6),
    (lambda: layers.Conv1D(2, 3), "filters", 10**7),
    (lambda: layers.SeparableConv2D(2, 3), "depth_multiplier", 10**7),
    (lambda: layers.Bidirectional(layers.GRU(2)), None, 10**6),
])
def test_huge_new_layers_are_refused_before_allocating(tmp_path, make, key, value):
    shape = (6, 6, 2) if key == "depth_multiplier" else (5, 4)
    m = Sequential([layers.Input(shape), make()])
    m.save(tmp_path / "m.keras")
    with zipfile.ZipFile(tmp_path / "m.keras") as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    config = json.loads(members["config.json"])
    entry = config["config"]["layers"][-1]["config"]
    if key is None:
        entry["layer"]["config"]["units"] = value
    else:
        entry[key] = value
    members["config.json"] = json.dumps(config).encode()
    with pytest.raises(SavingError, match="would have .* weights"):
        load_model(_write(tmp_path / "evil.keras", members))


def test_layers_without_bias_or_scale_load_back(tmp_path):
    m = Sequential([layers.Input((6, 6, 1)), layers.Conv2D(2, 3, use_bias=False),
                    layers.BatchNormalization(center=False), layers.Reshape((16, 2)),
                    layers.LSTM(3, use_bias=False), layers.LayerNormalization(scale=False),
                    layers.Dense(2, use_bias=False)])
    m.save(tmp_path / "nb.keras")
    x = np.random.default_rng(0).random((2, 6, 6, 1)).astype(np.float32)
    np.testing.assert_array_equal(load_model(tmp_path / "nb.keras").predict(x, verbose=0), m.predict(x, verbose=0))


def _attention_model(layer, features):
    inp = layers.Input((5, features))
    out = layer(inp, inp) if isinstance(layer, layers.MultiHeadAttention) else layer([inp, inp])
    from deepgrad.keras import Model

    return Model(inp, out)


@pytest.mark.parametrize("make", [
    lambda: layers.MultiHeadAttention(2, 3),
    lambda: layers.MultiHeadAttention(2, 3, value_dim=5, use_bias=False, output_shape=(7,)),
    lambda: layers.AdditiveAttention(),
    lambda: layers.Attention(use_scale=True, score_mode="concat"),
])
def test_huge_attention_inputs_are_refused_before_allocating(tmp_path, make):
    m = _attention_model(make(), 4)
    m.save(tmp_path / "m.keras")
    with zipfile.ZipFile(tmp_path / "m.keras") as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    config = json.loads(members["config.json"])
    config["config"]["layers"][0]["config"]["batch_shape"] = [None, 5, 10**7]
    members["config.json"] = json.dumps(config).encode()
    tracemalloc.start()
    try:
        if isinstance(m.layers[1], layers.Attention) and not isinstance(m.layers[1], layers.AdditiveAttention):
            load_model(_write(tmp_path / "evil.keras", members))  # two scalars whatever the input: loads
        else:
            with pytest.raises(SavingError, match="would have .* weights"):
                load_model(_write(tmp_path / "evil.keras", members))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 10 * 1024 * 1024


@pytest.mark.parametrize("make,shape,key,value", [
    (lambda: layers.Conv1DTranspose(2, 3), (5, 4), "filters", 10**7),
    (lambda: layers.Normalization(axis=-1), (10**7,), None, None),
    (lambda: layers.RNN(layers.LSTMCell(3)), (5, 4), "cell", 10**6),
])
def test_huge_conv1d_transpose_normalization_and_rnn_cells_are_refused(tmp_path, make, shape, key, value):
    small = tuple(4 if d == 10**7 else d for d in shape)
    m = Sequential([layers.Input(small), make()])
    m.save(tmp_path / "m.keras")
    with zipfile.ZipFile(tmp_path / "m.keras") as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    config = json.loads(members["config.json"])
    entry = config["config"]["layers"][-1]["config"]
    if key == "cell":
        entry["cell"]["config"]["units"] = value
    elif key is not None:
        entry[key] = value
    else:
        config["config"]["build_input_shape"] = [None, *shape]
    members["config.json"] = json.dumps(config).encode()
    tracemalloc.start()
    try:
        with pytest.raises(SavingError, match="would have .* weights"):
            load_model(_write(tmp_path / "evil.keras", members))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 10 * 1024 * 1024


@pytest.mark.parametrize("make,shape", [
    (lambda: layers.MultiHeadAttention(2, 3, value_dim=5, output_shape=(7,)), [(None, 5, 4), (None, 6, 3)]),
    (lambda: layers.AdditiveAttention(), [(None, 5, 4), (None, 6, 4)]),
    (lambda: layers.Attention(use_scale=True, score_mode="concat"), [(None, 5, 4), (None, 6, 4)]),
    (lambda: layers.Conv1DTranspose(3, 2), (None, 5, 4)),
    (lambda: layers.Conv1DTranspose(3, 2, use_bias=False), (None, 5, 4)),
    (lambda: layers.Normalization(axis=(1, 2)), (None, 3, 4, 2)),
    (lambda: layers.Discretization(bin_boundaries=[0.0, 1.0]), (None, 4)),
    (lambda: layers.CategoryEncoding(6), (None, 4)),
    (lambda: layers.RandomFlip(), (None, 4, 4, 1)),
    (lambda: layers.RandomZoom(0.1), (None, 4, 4, 1)),
    (lambda: layers.RandomContrast(0.1), (None, 4, 4, 1)),
])
def test_weight_budget_counts_exactly_what_the_new_layers_build(make, shape):
    from deepgrad.keras.models.saving import _weight_count

    layer = make()
    expected = _weight_count(layer, shape)
    layer._maybe_build(shape)
    assert expected == layer.count_params()
