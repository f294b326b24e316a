"""compile / fit / evaluate / predict: one step against PyTorch, logs, validation, weights, errors."""
import numpy as np
import pytest
import torch

import deepgrad
from deepgrad.keras import layers, losses, regularizers
from deepgrad.keras.models import Model, Sequential
from deepgrad.keras.optimizers import SGD, Adam
from tests.keras.conftest import blobs


def _torch_twin(model):
    """A torch MLP with the same weights as a Dense-relu-Dense model."""
    k1, b1, k2, b2 = (torch.tensor(w, dtype=torch.float64) for w in model.get_weights())
    params = [k1.requires_grad_(), b1.requires_grad_(), k2.requires_grad_(), b2.requires_grad_()]
    return params, lambda x: torch.relu(x @ params[0] + params[1]) @ params[2] + params[3]


@pytest.mark.parametrize("loss", ["categorical_crossentropy", "mse", "sparse_categorical_crossentropy"])
def test_one_sgd_step_matches_torch(loss):
    x, yi = blobs(40, 5, 3)
    y = np.eye(3, dtype=np.float32)[yi] if loss != "sparse_categorical_crossentropy" else yi
    model = Sequential([layers.Dense(8, activation="relu", input_shape=(5,)), layers.Dense(3, activation="softmax")])
    model.compile(optimizer=SGD(learning_rate=0.5), loss=loss)
    params, f = _torch_twin(model)
    model.fit(x, y, batch_size=40, epochs=1, shuffle=False, verbose=0)
    logits = f(torch.tensor(x, dtype=torch.float64))
    if loss == "mse":
        ref = ((torch.softmax(logits, 1) - torch.tensor(y, dtype=torch.float64)) ** 2).mean()
    else:
        ref = torch.nn.functional.cross_entropy(logits, torch.tensor(yi))
    ref.backward()
    with torch.no_grad():
        expected = [(p - 0.5 * p.grad).numpy() for p in params]
    for got, want in zip(model.get_weights(), expected):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)


def test_history_keys_and_validation_split_uses_last_samples():
    x, y = blobs(200, 6, 3)
    model = Sequential([layers.Dense(16, activation="relu"), layers.Dense(3, activation="softmax")])
    model.compile(optimizer=Adam(0.01), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    h = model.fit(x, y, epochs=3, batch_size=32, validation_split=0.25, verbose=0)
    assert set(h.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert all(len(v) == 3 for v in h.history.values())
    assert h.epoch == [0, 1, 2] and model.history is h
    val = model.evaluate(x[150:], y[150:], verbose=0, batch_size=7)
    assert val[0] == pytest.approx(h.history["val_loss"][-1], rel=1e-5)
    assert val[1] == pytest.approx(h.history["val_accuracy"][-1])
    h2 = model.fit(x[:150], y[:150], epochs=1, validation_data=(x[150:], y[150:]), verbose=0)
    assert "val_loss" in h2.history
    assert h.history["accuracy"][-1] > 0.8


def test_evaluate_return_shapes():
    x, y = blobs(64, 4, 2)
    y = np.eye(2, dtype=np.float32)[y]
    model = Sequential([layers.Dense(2, activation="softmax", input_dim=4)])
    model.compile(optimizer="sgd", loss="categorical_crossentropy")
    loss = model.evaluate(x, y, verbose=0)
    assert isinstance(loss, float)
    model.compile(optimizer="sgd", loss="categorical_crossentropy", metrics=["accuracy", "mae"])
    out = model.evaluate(x, y, verbose=0)
    assert isinstance(out, list) and len(out) == 3 and out[0] == pytest.approx(loss)
    d = model.evaluate(x, y, verbose=0, return_dict=True)
    assert list(d) == ["accuracy", "loss", "mae"]  # Keras 3 sorts the dict by name
    assert model.metrics_names == ["loss", "accuracy", "mae"]
    p = model.predict(x, batch_size=10, verbose=0)  # 64 = 6 * 10 + 4
    assert p.shape == (64, 2)
    np.testing.assert_allclose(p, model(x).numpy(), rtol=1e-6)


def test_class_weight_and_sample_weight_scale_the_loss():
    x, y = blobs(30, 4, 3)
    model = Sequential([layers.Dense(3, activation="softmax", input_dim=4)])
    model.compile(optimizer=SGD(learning_rate=0.0), loss="sparse_categorical_crossentropy")
    per = losses.sparse_categorical_crossentropy(y, model.predict(x, verbose=0)).numpy()
    cw = {0: 0.0, 1: 2.0, 2: 1.0}
    got = model.train_on_batch(x, y, class_weight=cw)
    want = (per * np.array([cw[int(c)] for c in y])).sum() / len(y)
    assert got == pytest.approx(want, rel=1e-5)
    sw = np.linspace(0, 1, 30).astype(np.float32)
    assert model.test_on_batch(x, y, sample_weight=sw) == pytest.approx((per * sw).sum() / 30, rel=1e-5)
    h = model.fit(x, y, class_weight=cw, epochs=1, batch_size=30, verbose=0)
    assert h.history["loss"][0] == pytest.approx(want, rel=1e-5)


def test_regularization_is_added_to_the_loss():
    x, y = blobs(20, 4, 2)
    model = Sequential([layers.Dense(2, activation="softmax", input_dim=4, kernel_regularizer=regularizers.l2(0.1))])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    plain = losses.sparse_categorical_crossentropy(y, model.predict(x, verbose=0)).numpy().mean()
    kernel = model.get_weights()[0]
    assert model.evaluate(x, y, verbose=0) == pytest.approx(plain + 0.1 * (kernel**2).sum(), rel=1e-5)
    l1 = regularizers.l1_l2(l1=0.5, l2=0.0)(deepgrad.tensor(kernel))
    assert l1.item() == pytest.approx(0.5 * np.abs(kernel).sum(), rel=1e-6)


def test_same_seed_same_training_and_uint8_inputs():
    (x, y) = blobs(100, 8, 2)
    xu = (np.abs(x) * 10).astype(np.uint8)
    runs = []
    for _ in range(2):
        deepgrad.manual_seed(5)
        model = Sequential([layers.Dense(4, activation="relu"), layers.Dropout(0.5),
                            layers.Dense(2, activation="softmax")])
        model.compile(optimizer=Adam(), loss="sparse_categorical_crossentropy")
        runs.append(model.fit(xu, y, epochs=2, batch_size=16, verbose=0).history["loss"])
    assert runs[0] == runs[1]


def test_errors_are_clear():
    model = Sequential([layers.Dense(2, input_dim=3)])
    with pytest.raises(RuntimeError, match="compile"):
        model.fit(np.zeros((4, 3)), np.zeros((4, 2)))
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(ValueError, match="3 samples but y has 4"):
        model.fit(np.zeros((3, 3)), np.zeros((4, 2)), verbose=0)
    with pytest.raises(ValueError, match="expected input of shape"):
        model.fit(np.zeros((4, 5)), np.zeros((4, 2)), verbose=0)
    with pytest.raises(TypeError, match="expected a Layer"):
        model.add("dense")


def test_sequential_add_pop_summary(capsys):
    model = Sequential()
    model.add(layers.Input(shape=(784,)))
    model.add(layers.Dense(500, activation="relu"))
    model.add(layers.Dense(10, activation="softmax"))
    model.summary()
    text = capsys.readouterr().out
    assert 'Model: "sequential"' in text
    assert "dense (Dense)" in text and "(None, 500)" in text and "392500" in text
    assert "Total params: 397,510" in text
    popped = model.pop()
    assert popped.name == "dense_1" and len(model.layers) == 1 and model.output_shape == (None, 500)
    lazy = Sequential([layers.Dense(3), layers.Dense(1)])
    assert not lazy.built
    lazy.predict(np.zeros((2, 7), np.float32), verbose=0)
    assert lazy.built and lazy.layers[0].get_weights()[0].shape == (7, 3)


def test_subclassed_model_trains():
    class MLP(Model):
        def __init__(self):
            super().__init__()
            self.hidden = layers.Dense(16, activation="relu")
            self.out = layers.Dense(3, activation="softmax")

        def call(self, x, training=False):
            return self.out(self.hidden(x))

    x, y = blobs(150, 5, 3)
    model = MLP()
    model.compile(optimizer=Adam(0.02), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    h = model.fit(x, y, epochs=5, batch_size=30, verbose=0)
    assert h.history["accuracy"][-1] > 0.8
    assert [w.shape for w in model.get_weights()] == [(5, 16), (16,), (16, 3), (3,)]


def test_verbose_progress_output(capsys):
    x, y = blobs(64, 4, 2)
    model = Sequential([layers.Dense(2, activation="softmax", input_dim=4)])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=2, batch_size=16, verbose=2)
    out = capsys.readouterr().out
    assert "Epoch 1/2" in out and "Epoch 2/2" in out and "loss:" in out and "accuracy:" in out
