"""Keras models name the failing layer: ``model.layers[2] Dense(units=10): expected ..., got shape ...``."""
import numpy as np
import pytest

from deepgrad import keras

L = keras.layers


def _seq():
    return keras.Sequential([L.Input((500,)), L.Flatten(), L.Dropout(0.1), L.Dense(10)])


def test_sequential_names_layer_index_and_shapes():
    with pytest.raises(ValueError) as info:
        _seq()(np.zeros((32, 784), np.float32))
    assert str(info.value) == "model.layers[2] Dense(units=10): expected input with last dimension 500, " \
                              "got shape (32, 784)"


def test_functional_uses_the_index_in_model_layers():
    inp = L.Input((500,))
    model = keras.Model(inp, L.Dense(10)(L.Dropout(0.1)(inp)))
    with pytest.raises(ValueError, match=r"^model\.layers\[2\] Dense\(units=10\): expected input with last "
                                         r"dimension 500, got shape \(32, 784\)$"):
        model(np.zeros((32, 784), np.float32))
    assert model.layers[2].units == 10


def test_nested_model_path_is_not_repeated():
    outer = keras.Sequential([L.Input((500,)), _seq()])
    with pytest.raises(ValueError) as info:
        outer(np.zeros((32, 784), np.float32))
    msg = str(info.value)
    assert msg.startswith("model.layers[0].layers[2] Dense(units=10): ")
    assert msg.count("model") == 1 and msg.count("Dense") == 1


def test_conv_layer_shape_mismatch():
    model = keras.Sequential([L.Input((8, 8, 3)), L.Conv2D(4, 3), L.Flatten(), L.Dense(2)])
    with pytest.raises(ValueError) as info:
        model(np.zeros((2, 8, 8, 5), np.float32))
    msg = str(info.value)
    assert msg.startswith("model.layers[0] Conv2D(filters=4, kernel_size=(3, 3)): ")
    assert "(None, 8, 8, 3)" in msg and "(2, 8, 8, 5)" in msg


def test_fit_reports_the_model_input_shape():
    model = _seq()
    model.compile("sgd", "mse")
    with pytest.raises(ValueError, match=r"expected input of shape \(None, 500\), got data of shape \(4, 784\)"):
        model.fit(np.zeros((4, 784)), np.zeros((4, 10)), verbose=0)
