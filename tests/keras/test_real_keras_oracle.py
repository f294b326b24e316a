"""deepgrad.keras against real Keras 3 (PyTorch backend) as the oracle: the lecture's workflow
(Sequential of Dense layers, compile, fit without shuffling, evaluate) from the same initial
weights gives the same training losses, accuracies and final weights, optimizer by optimizer and
loss by loss.  Skipped when Keras is not installed (it is in the ``test`` extra)."""
import os

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "torch")
real = pytest.importorskip("keras")
if real.backend.backend() != "torch":  # pragma: no cover - another backend was chosen first
    pytest.skip(f"real Keras runs on {real.backend.backend()}, not torch", allow_module_level=True)

from deepgrad import keras as dgk  # noqa: E402

pytestmark = [pytest.mark.filterwarnings("ignore::DeprecationWarning"),  # NumPy 2 notices inside Keras/torch
              pytest.mark.filterwarnings("ignore:Do not pass an `input_shape`:UserWarning")]  # the lecture's style

CASES = [
    ("SGD", {"learning_rate": 0.1}, "categorical_crossentropy", "sigmoid"),
    ("SGD", {"learning_rate": 0.1, "momentum": 0.9, "nesterov": True}, "categorical_crossentropy", "sigmoid"),
    ("SGD", {"learning_rate": 0.1}, "mean_squared_error", "sigmoid"),
    ("SGD", {"learning_rate": 0.1}, "sparse_categorical_crossentropy", "relu"),
    ("Adam", {"learning_rate": 0.01}, "categorical_crossentropy", "relu"),
    ("Adam", {"learning_rate": 0.01, "amsgrad": True}, "categorical_crossentropy", "tanh"),
    ("AdamW", {"learning_rate": 0.01, "weight_decay": 0.05}, "categorical_crossentropy", "relu"),
    ("RMSprop", {"learning_rate": 0.01}, "categorical_crossentropy", "sigmoid"),
    ("RMSprop", {"learning_rate": 0.01, "momentum": 0.5}, "categorical_crossentropy", "sigmoid"),
    ("RMSprop", {"learning_rate": 0.01, "centered": True}, "categorical_crossentropy", "sigmoid"),
    ("RMSprop", {"learning_rate": 0.01, "weight_decay": 0.01}, "categorical_crossentropy", "sigmoid"),
    ("Adagrad", {"learning_rate": 0.1}, "categorical_crossentropy", "sigmoid"),
    ("Adagrad", {"learning_rate": 0.1, "initial_accumulator_value": 0.0}, "categorical_crossentropy", "sigmoid"),
    ("Adamax", {"learning_rate": 0.01}, "categorical_crossentropy", "relu"),
    ("Nadam", {"learning_rate": 0.01}, "categorical_crossentropy", "tanh"),
    ("Nadam", {"learning_rate": 0.01, "beta_1": 0.8, "weight_decay": 0.01}, "categorical_crossentropy", "relu"),
    ("Adadelta", {"learning_rate": 1.0}, "categorical_crossentropy", "sigmoid"),
    ("Adadelta", {"learning_rate": 0.5, "rho": 0.9, "clipnorm": 0.1}, "categorical_crossentropy", "relu"),
    ("SGD", {"learning_rate": 0.5}, "binary_crossentropy", "relu"),
    *[("SGD", {"learning_rate": 0.2}, loss, "tanh") for loss in (
        "huber", "kl_divergence", "categorical_hinge", "mean_absolute_error", "mean_squared_logarithmic_error",
        "poisson", "log_cosh")],
]


def _data(loss):
    rng = np.random.default_rng(0)
    x = rng.random((300, 20)).astype(np.float32)
    labels = rng.integers(0, 5, 300)
    if loss.startswith("sparse"):
        return x, labels
    if loss == "binary_crossentropy":
        return x, (rng.random((300, 5)) < 0.3).astype(np.float32)
    return x, np.eye(5, dtype=np.float32)[labels]


def _fit(lib, layers, optimizers, opt, kw, loss, act, weights=None):
    out_act = "sigmoid" if loss == "binary_crossentropy" else "softmax"
    model = lib([layers.Dense(16, activation=act, input_dim=20), layers.Dense(5, activation=out_act)])
    if weights is not None:
        model.set_weights(weights)
    start = [np.array(w) for w in model.get_weights()]
    model.compile(loss=loss, optimizer=getattr(optimizers, opt)(**kw), metrics=["accuracy"])
    x, y = _data(loss)
    hist = model.fit(x, y, batch_size=50, epochs=3, shuffle=False, verbose=0).history
    return start, hist, [np.array(w) for w in model.get_weights()], model.evaluate(x, y, verbose=0)


@pytest.mark.parametrize("opt,kw,loss,act", CASES, ids=[f"{c[0]}-{c[2]}-{i}" for i, c in enumerate(CASES)])
def test_training_matches_real_keras(opt, kw, loss, act):
    real.utils.set_random_seed(0)
    start, h_ref, w_ref, e_ref = _fit(real.Sequential, real.layers, real.optimizers, opt, kw, loss, act)
    _, h, w, e = _fit(dgk.models.Sequential, dgk.layers, dgk.optimizers, opt, kw, loss, act, weights=start)
    np.testing.assert_allclose(h["loss"], h_ref["loss"], rtol=2e-5, err_msg="training losses")
    np.testing.assert_allclose(h["accuracy"], h_ref["accuracy"], atol=1e-6, err_msg="training accuracies")
    np.testing.assert_allclose(e, e_ref, rtol=2e-5, err_msg="evaluate()")
    for a, b in zip(w, w_ref):
        scale = float(np.max(np.abs(b)))
        assert float(np.max(np.abs(a - b))) <= 2e-5 * scale, (opt, kw, float(np.max(np.abs(a - b))) / scale)


def _models(lib):
    L = lib.layers
    return {
        "cnn": lambda: lib.Sequential([L.Input((12, 12, 1)), L.Conv2D(4, 3, activation="relu", padding="same"),
                                       L.MaxPooling2D(), L.Conv2D(6, 3, strides=2), L.Flatten(),
                                       L.Dense(3, activation="softmax")]),
        "batchnorm": lambda: lib.Sequential([L.Input((10,)), L.Dense(16, use_bias=False), L.BatchNormalization(),
                                             L.Activation("relu"), L.Dense(3, activation="softmax")]),
        "mlp": lambda: lib.Sequential([L.Input((10,)), L.Dense(8, activation="tanh"),
                                       L.Dense(3, activation="softmax")]),
        "layernorm": lambda: lib.Sequential([L.Input((10,)), L.Dense(8), L.LayerNormalization(), L.LeakyReLU(),
                                             L.Dense(3, activation="softmax")]),
        "cnn2": lambda: lib.Sequential([L.Input((12, 12, 1)), L.Conv2D(5, (3, 2), strides=(2, 1), activation="elu"),
                                        L.AveragePooling2D(2), L.GlobalAveragePooling2D(),
                                        L.Dense(3, activation="softmax")]),
        "embedding": lambda: lib.Sequential([L.Input((6,)), L.Embedding(20, 4), L.Flatten(),
                                             L.Dense(3, activation="softmax")]),
    }


def _callbacks(lib, kind):
    cb = lib.callbacks
    return {"early": [cb.EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True)],
            "plateau": [cb.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1, min_delta=0.01)],
            "schedule": [cb.LearningRateScheduler(lambda epoch, lr: lr * 0.5)]}.get(kind)


WORKFLOWS = [  # model, optimizer, compile extras, fit extras
    ("cnn", ("SGD", 0.1), {}, {"batch_size": 40}),
    ("batchnorm", ("Adam", 0.01), {}, {"batch_size": 50}),
    ("mlp", ("SGD", 0.5), {"loss": "mse", "metrics": ["mae", "accuracy"]}, {"validation_split": 0.2}),
    ("mlp", ("SGD", 0.5), {"weighted_metrics": ["accuracy"]}, {"class_weight": {0: 1.0, 1: 2.0, 2: 0.5}}),
    ("mlp", ("SGD", 0.5), {"weighted_metrics": ["accuracy", "mae"]}, {"sample_weight": "random"}),
    ("layernorm", ("RMSprop", 0.01), {}, {"batch_size": 64}),
    ("cnn2", ("RMSprop", 0.01), {}, {"batch_size": 25}),
    ("embedding", ("Adam", 0.01), {"loss": "sparse_categorical_crossentropy"}, {}),
    ("mlp", ("SGD", 0.5), {}, {"epochs": 20, "validation_split": 0.2, "callbacks": "early"}),
    ("mlp", ("SGD", 0.5), {}, {"epochs": 8, "callbacks": "plateau"}),
    ("mlp", ("SGD", 0.5), {}, {"epochs": 4, "callbacks": "schedule"}),
]


@pytest.mark.parametrize("name,opt,compile_kw,fit_kw", WORKFLOWS, ids=[f"{w[0]}-{i}" for i, w in enumerate(WORKFLOWS)])
def test_workflow_matches_real_keras(name, opt, compile_kw, fit_kw):
    """Conv/pool layers, BatchNormalization's moving statistics, Embedding, validation_split,
    class_weight and sample_weight (which weigh the loss and the weighted_metrics, not the
    metrics), metric names, EarlyStopping/ReduceLROnPlateau/LearningRateScheduler."""
    rng = np.random.default_rng(0)
    shape = (200, 12, 12, 1) if name.startswith("cnn") else (300, 10)
    x = rng.random(shape).astype(np.float32)
    labels = rng.integers(0, 3, shape[0])
    y = labels if compile_kw.get("loss", "").startswith("sparse") else np.eye(3, dtype=np.float32)[labels]
    if name == "embedding":
        x = rng.integers(0, 20, (300, 6))
    fit_kw = dict(fit_kw)
    kind = fit_kw.pop("callbacks", None)
    if fit_kw.get("sample_weight") == "random":
        fit_kw["sample_weight"] = rng.random(shape[0]).astype(np.float32)
    results = []
    real.utils.set_random_seed(0)
    start = None
    for lib in (real, dgk):
        model = _models(lib)[name]()
        if start is None:
            start = [np.array(w) for w in model.get_weights()]
        else:
            model.set_weights(start)
        kw = {"loss": "categorical_crossentropy", "metrics": ["accuracy"], **compile_kw}
        model.compile(optimizer=getattr(lib.optimizers, opt[0])(opt[1]), **kw)
        hist = model.fit(x, y, shuffle=False, verbose=0, callbacks=_callbacks(lib, kind),
                         **{"batch_size": 50, "epochs": 3, **fit_kw}).history
        results.append((hist, model.evaluate(x, y, verbose=0, return_dict=True),
                        [np.array(w) for w in model.get_weights()]))
    (h_ref, e_ref, w_ref), (h, e, w) = results
    assert sorted(h) == sorted(h_ref) and sorted(e) == sorted(e_ref)
    for k in h_ref:
        np.testing.assert_allclose(h[k], h_ref[k], rtol=2e-5, atol=1e-7, err_msg=k)
    for k in e_ref:
        np.testing.assert_allclose(e[k], e_ref[k], rtol=2e-5, atol=1e-7, err_msg=k)
    for a, b in zip(w, w_ref):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=2e-6 * float(np.max(np.abs(b))))


@pytest.mark.parametrize("labels, num_classes", [([0, 2, 1], None), ([[1], [3]], None), ([0, 1], 4),
                                                 (np.array([2, 0], np.uint8), 3), ([[0, 1], [2, 0]], 3)])
def test_to_categorical_matches_keras(labels, num_classes):
    want = real.utils.to_categorical(labels, num_classes)
    got = dgk.utils.to_categorical(labels, num_classes)
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_array_equal(got, want)
