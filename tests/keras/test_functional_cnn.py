"""The functional API and a Sequential CNN, trained on small MNIST subsets."""
import numpy as np
import pytest

import deepgrad
from deepgrad.keras import layers
from deepgrad.keras.layers import Conv2D, Dense, Dropout, Flatten, Input, MaxPooling2D
from deepgrad.keras.models import Model, Sequential
from deepgrad.keras.optimizers import Adam
from deepgrad.keras.utils import to_categorical


def test_functional_mlp_trains_on_mnist(mnist_small):
    (x_train, y_train), (x_test, y_test) = mnist_small
    inputs = Input(shape=(784,))
    x = Dense(64, activation='relu')(inputs)
    x = Dropout(0.2)(x)
    outputs = Dense(10, activation='softmax')(x)
    model = Model(inputs, outputs)
    model.compile(optimizer=Adam(), loss='categorical_crossentropy', metrics=['accuracy'])
    h = model.fit(x_train, y_train, batch_size=100, epochs=2, validation_split=0.1, verbose=0)
    loss, acc = model.evaluate(x_test, y_test, verbose=0)
    print("functional 784-64-10 (relu, Adam) test accuracy after 2 epochs:", acc)
    assert acc > 0.85
    assert h.history["val_accuracy"][-1] > 0.8
    assert model.layers[0].name.startswith("input_layer") and len(model.layers) == 4
    assert model.inputs[0].shape == (None, 784) and model.outputs[0].shape == (None, 10)


def test_sequential_cnn_trains_on_mnist(mnist_raw):
    (x_train, y_train), (x_test, y_test) = mnist_raw
    n = 5000
    x_train = x_train[:n].reshape(n, 28, 28, 1).astype("float32") / 255  # channels last, as in Keras
    x_test = x_test[:1000].reshape(1000, 28, 28, 1).astype("float32") / 255
    model = Sequential([
        Input(shape=(28, 28, 1)),
        Conv2D(8, kernel_size=(3, 3), activation="relu"),
        MaxPooling2D(pool_size=(2, 2)),
        Conv2D(16, kernel_size=(3, 3), activation="relu"),
        MaxPooling2D(pool_size=(2, 2)),
        Flatten(),
        Dense(10, activation="softmax"),
    ])
    assert model.output_shape == (None, 10)
    assert [layer.output_shape for layer in model.layers] == [
        (None, 26, 26, 8), (None, 13, 13, 8), (None, 11, 11, 16), (None, 5, 5, 16), (None, 400), (None, 10)]
    model.compile(loss="sparse_categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    model.fit(x_train, y_train[:n], batch_size=64, epochs=2, verbose=0)
    loss, acc = model.evaluate(x_test, y_test[:1000], verbose=0)
    print("CNN (5k images, 2 epochs) test accuracy:", acc)
    assert acc > 0.8


def test_functional_multi_input_and_residual():
    a_in = Input(shape=(4,), name="a")
    b_in = Input(shape=(3,), name="b")
    h = Dense(8, activation="relu")(layers.Concatenate()([a_in, b_in]))
    h = layers.Add()([h, Dense(8)(h)])  # residual connection
    out = Dense(1, activation="sigmoid")(h)
    model = Model([a_in, b_in], out)
    rng = np.random.default_rng(0)
    xa, xb = rng.normal(size=(200, 4)).astype(np.float32), rng.normal(size=(200, 3)).astype(np.float32)
    y = ((xa.sum(1) - xb.sum(1)) > 0).astype(np.float32)
    model.compile(optimizer=Adam(0.02), loss="binary_crossentropy", metrics=["accuracy"])
    h = model.fit([xa, xb], y, epochs=10, batch_size=20, verbose=0)
    assert h.history["accuracy"][-1] > 0.9
    assert model.predict([xa, xb], verbose=0).shape == (200, 1)
    with pytest.raises(ValueError, match="expected 2 inputs"):
        model.predict(xa, verbose=0)


def test_functional_graph_checks():
    inp = Input(shape=(3,))
    other = Input(shape=(3,))
    out = layers.Add()([Dense(3)(inp), other])
    with pytest.raises(ValueError, match="not in the model's inputs"):
        Model(inp, out)
    with pytest.raises(TypeError, match="KerasTensors"):
        Model(inp, np.zeros(3))
    with pytest.raises(ValueError, match="same shape"):
        layers.Add()([Dense(3)(inp), Dense(4)(inp)])


def test_model_is_callable_and_nests():
    inner = Sequential([Dense(4, activation="relu", input_dim=3), Dense(2)])
    inp = Input(shape=(3,))
    out = Dense(1)(inner(inp))
    outer = Model(inp, out)
    x = np.ones((5, 3), np.float32)
    y = outer(x)
    assert isinstance(y, deepgrad.Tensor) and y.shape == (5, 1)
    assert len(outer.get_weights()) == 6
    outer.compile(optimizer="sgd", loss="mse")
    outer.fit(x, np.zeros((5, 1), np.float32), verbose=0)


def test_to_categorical_and_plot_model(tmp_path):
    np.testing.assert_array_equal(to_categorical([0, 2, 1], 3), [[1, 0, 0], [0, 0, 1], [0, 1, 0]])
    assert to_categorical(np.array([[1], [3]])).shape == (2, 4)
    assert to_categorical([1, 2]).dtype == np.float64  # Keras 3.15 gives float64 (Keras 2 gave float32)
    assert to_categorical([1, 2], dtype="float32").dtype == np.float32
    with pytest.raises(ValueError, match="num_classes"):
        to_categorical([5], 3)
    model = Sequential([Dense(3, input_dim=2), Dense(1)])
    from deepgrad.keras.utils import plot_model

    text = plot_model(model, to_file=str(tmp_path / "m.txt"))
    assert "dense (Dense)" not in text and "[dense: Dense]" in text and "(None, 3)" in text
    assert (tmp_path / "m.txt").read_text().strip() == text


def test_fashion_mnist_load_data_shapes():
    from deepgrad.keras.datasets import fashion_mnist

    try:
        (x_train, y_train), (x_test, y_test) = fashion_mnist.load_data()
    except Exception as e:  # noqa: BLE001 - no network and no cached files
        pytest.skip(f"Fashion-MNIST not available: {e}")
    assert x_train.shape == (60000, 28, 28) and x_train.dtype == np.uint8
    assert y_train.shape == (60000,) and y_train.dtype == np.uint8
    assert x_test.shape == (10000, 28, 28) and y_test.shape == (10000,)


def test_model_to_cpu_is_a_no_op_move():
    model = Sequential([Dense(3, input_dim=2), Dense(1)]).to("cpu")
    lazy = Sequential([Dense(3), Dense(1)]).to("cpu")
    x = np.ones((4, 2), np.float32)
    assert model.predict(x, verbose=0).shape == lazy.predict(x, verbose=0).shape == (4, 1)
    assert model(x).shape == (4, 1)
