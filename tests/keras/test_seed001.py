"""Seed 001's Keras code, run as written with only the imports pointed at deepgrad, on real MNIST.

Fewer epochs and a 10k-image subset keep it fast; the accuracies asserted are far below what
the runs reach (printed with -s) but far above chance (10%).
"""
import numpy as np

import deepgrad
from deepgrad import keras
from deepgrad.keras.layers import Dense, Dropout
from deepgrad.keras.models import Sequential, load_model
from deepgrad.keras.optimizers import SGD, Adam


def lecture_model():
    # --- seed 001, "KERAS: Step 1: define a set of function" (verbatim) ---
    model = Sequential()
    model.add(Dense(units=500,
                    input_dim=28*28,
                    activation='sigmoid'))
    model.add(Dense(units=500,
                    activation='sigmoid'))
    model.add(Dense(units=10,
                    activation='softmax'))
    return model


def test_mnist_loader_matches_keras(mnist_raw):
    (x_train, y_train), (x_test, y_test) = mnist_raw
    assert x_train.shape == (60000, 28, 28) and x_train.dtype == np.uint8
    assert y_train.shape == (60000,) and y_train.dtype == np.uint8
    assert x_test.shape == (10000, 28, 28) and y_test.shape == (10000,)
    assert set(np.unique(y_train)) == set(range(10))


def test_lecture_workflow_compile_fit_evaluate_predict(mnist_small):
    (x_train, y_train), (x_test, y_test) = mnist_small
    model = lecture_model()
    # --- "Step 2: goodness of function" / "Step 3.1: Configuration", with the cross entropy of
    # the "CHOOSING PROPER LOSS" slide (the same call as the slide's loss='mse' otherwise) ---
    model.compile(loss='categorical_crossentropy',
                  optimizer=SGD(lr=0.1),
                  metrics=['accuracy'])
    # --- "Step 3.2: Find the optimal network parameters" (2 epochs instead of 200) ---
    history = model.fit(x_train, y_train, epochs = 2, batch_size = 100)
    # --- "How to use the neural network (testing)" ---
    score = model.evaluate(x_test, y_test)
    print('Total loss on the Testing set:', score[0])
    print('Accuracy of Testing set:', score[1])
    result = model.predict(x_test)

    assert set(history.history) == {"loss", "accuracy"}
    assert len(history.history["loss"]) == 2
    assert history.history["loss"][1] < history.history["loss"][0]
    assert isinstance(score, list) and len(score) == 2
    assert score[1] > 0.3  # sigmoid + SGD learns slowly; chance is 0.1
    assert result.shape == (2000, 10) and result.dtype == np.float32
    np.testing.assert_allclose(result.sum(axis=1), 1.0, rtol=1e-5)
    assert abs((result.argmax(1) == y_test.argmax(1)).mean() - score[1]) < 1e-9


def test_cross_entropy_beats_mse_with_softmax_outputs(mnist_small):
    """The lecture's "CHOOSING PROPER LOSS" demo: same model, same epochs, loss='mse' vs cross entropy."""
    (x_train, y_train), (x_test, y_test) = mnist_small
    scores = {}
    for name, loss in (("mse", keras.losses.mean_squared_error), ("ce", 'categorical_crossentropy')):
        deepgrad.manual_seed(1)
        model = lecture_model()
        model.compile(loss=loss,
                      optimizer=SGD(lr=0.1),
                      metrics=['accuracy'])
        model.fit(x_train, y_train, epochs=2, batch_size=100, verbose=0)
        scores[name] = model.evaluate(x_test, y_test, verbose=0)[1]
    print(f"test accuracy after 2 epochs: mse {scores['mse']:.4f}, cross entropy {scores['ce']:.4f}")
    assert scores["ce"] > scores["mse"] + 0.15


def test_binary_crossentropy_variant_runs(mnist_small):
    """The demo slide's ``loss=keras.losses.binary_crossentropy`` compiles and trains."""
    (x_train, y_train), (x_test, y_test) = mnist_small
    model = lecture_model()
    model.compile(loss=keras.losses.binary_crossentropy,
                  optimizer=SGD(lr=0.1),
                  metrics=['accuracy'])
    h = model.fit(x_train[:3000], y_train[:3000], epochs=1, batch_size=100, verbose=0)
    assert np.isfinite(h.history["loss"][0])
    # with a softmax output and 10 one-hot columns, Keras's 'accuracy' is categorical accuracy
    assert 0.0 <= h.history["accuracy"][0] <= 1.0


def test_dropout_variant_trains(mnist_small):
    """The dropout demo: Dropout(0.8) and Dropout(0.6) between the sigmoid layers."""
    (x_train, y_train), (x_test, y_test) = mnist_small
    model = Sequential()
    model.add(Dense(units=500,
                    input_dim=28*28,
                    activation='sigmoid'))
    model.add(Dropout(0.8))
    model.add(Dense(units=500,
                    activation='sigmoid'))
    model.add(Dropout(0.6))
    model.add(Dense(units=10,
                    activation='softmax'))
    model.compile(loss='categorical_crossentropy', optimizer=Adam(), metrics=['accuracy'])
    h = model.fit(x_train, y_train, epochs=2, batch_size=100, verbose=0)
    score = model.evaluate(x_test, y_test, verbose=0)
    print("dropout 0.8/0.6 model test accuracy after 2 epochs:", score[1])
    assert h.history["loss"][1] < h.history["loss"][0]
    assert score[1] > 0.7
    # no dropout at test time: predictions are deterministic
    np.testing.assert_array_equal(model.predict(x_test[:50]), model.predict(x_test[:50]))


def test_save_and_load_model(mnist_small, tmp_path):
    """"Save and load models" (the FAQ link of the slide): same predictions after the round trip."""
    (x_train, y_train), (x_test, y_test) = mnist_small
    model = lecture_model()
    model.compile(loss='mse', optimizer=SGD(lr=0.1), metrics=['accuracy'])
    model.fit(x_train[:1000], y_train[:1000], epochs=1, batch_size=100, verbose=0)
    model.save(tmp_path / 'my_model.keras')
    loaded = load_model(tmp_path / 'my_model.keras')
    x_test, y_test = x_test[:500], y_test[:500]  # enough to compare the two models; keeps the test fast
    np.testing.assert_array_equal(loaded.predict(x_test, verbose=0), model.predict(x_test, verbose=0))
    assert loaded.evaluate(x_test, y_test, verbose=0) == model.evaluate(x_test, y_test, verbose=0)
    assert isinstance(loaded.optimizer, SGD) and loaded.optimizer.learning_rate == 0.1
