"""Callbacks with Keras semantics, driven by crafted validation sequences where it matters."""
import csv
import math

import numpy as np
import pytest

import deepgrad
from deepgrad.keras import callbacks, layers
from deepgrad.keras.models import Sequential, load_model
from deepgrad.keras.optimizers import SGD
from tests.keras.conftest import blobs


def _model(lr=0.05):
    model = Sequential([layers.Dense(8, activation="relu", input_dim=6), layers.Dense(3, activation="softmax")])
    model.compile(optimizer=SGD(learning_rate=lr), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def _craft(sequence, key="val_loss"):
    """A callback placed first that overwrites logs[key] with a crafted sequence, one value per epoch."""
    return callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: logs.update({key: sequence[epoch]}))


X, Y = blobs(64, 6, 3)


def test_early_stopping_patience_and_restore_best_weights():
    seq = [1.0, 0.8, 0.5, 0.6, 0.55, 0.7, 0.4, 0.3]  # best at epoch 2, then 3 epochs without improvement
    snapshots = []
    model = _model()
    stop = callbacks.EarlyStopping(monitor="val_loss", patience=3, restore_best_weights=True)
    keep = callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: snapshots.append(model.get_weights()))
    h = model.fit(X, Y, epochs=8, batch_size=16, verbose=0, callbacks=[_craft(seq), keep, stop])
    assert len(h.history["loss"]) == 6  # epochs 0..5: stops at epoch 5 = 2 + patience
    assert stop.stopped_epoch == 5 and stop.best == 0.5 and stop.best_epoch == 2
    for got, want in zip(model.get_weights(), snapshots[2]):
        np.testing.assert_array_equal(got, want)
    assert not np.array_equal(model.get_weights()[0], snapshots[5][0])


def test_early_stopping_min_delta_mode_max_and_baseline():
    stop = callbacks.EarlyStopping(monitor="val_accuracy", patience=1, min_delta=0.05)
    assert stop.mode == "max"
    model = _model()
    h = model.fit(X, Y, epochs=6, verbose=0, callbacks=[_craft([0.5, 0.52, 0.54, 0.9, 0.9, 0.9], "val_accuracy"),
                                                        stop])
    assert len(h.history["loss"]) == 2  # 0.52 is not an improvement of more than 0.05
    seq = [0.5, 0.6, 0.7, 0.8, 0.9, 1.0]
    plain = callbacks.EarlyStopping(monitor="val_loss", patience=2)
    h = _model().fit(X, Y, epochs=6, verbose=0, callbacks=[_craft(seq), plain])
    assert len(h.history["loss"]) == 3
    # epoch 0 improves on inf but not on the baseline, so the wait is not reset: one epoch earlier
    base = callbacks.EarlyStopping(monitor="val_loss", patience=2, baseline=0.1)
    h = _model().fit(X, Y, epochs=6, verbose=0, callbacks=[_craft(seq), base])
    assert len(h.history["loss"]) == 2


def test_model_checkpoint_save_best_only(tmp_path):
    path = tmp_path / "best.keras"
    seq = [0.9, 0.5, 0.7, 0.6]
    saved = []
    model = _model()
    ckpt = callbacks.ModelCheckpoint(str(path), monitor="val_loss", save_best_only=True)
    spy = callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: saved.append(
        (epoch, path.stat().st_mtime_ns if path.exists() else None, model.get_weights())))
    model.fit(X, Y, epochs=4, verbose=0, callbacks=[_craft(seq), ckpt, spy])
    assert ckpt.best == 0.5
    best = load_model(path)
    for got, want in zip(best.get_weights(), saved[1][2]):  # the weights of epoch 1
        np.testing.assert_array_equal(got, want)
    assert saved[2][1] == saved[1][1] == saved[3][1]  # not rewritten after epoch 1
    every = callbacks.ModelCheckpoint(str(tmp_path / "w-{epoch:02d}.weights.npz"), save_weights_only=True)
    model.fit(X, Y, epochs=2, verbose=0, callbacks=[every])
    assert (tmp_path / "w-01.weights.npz").exists() and (tmp_path / "w-02.weights.npz").exists()
    fresh = _model()
    fresh.load_weights(tmp_path / "w-02.weights.npz")
    for got, want in zip(fresh.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(got, want)
    with pytest.raises(ValueError, match=".keras"):
        callbacks.ModelCheckpoint(str(tmp_path / "x.h5"))


def test_learning_rate_scheduler_changes_lr():
    seen = []
    model = _model(lr=0.1)
    sched = callbacks.LearningRateScheduler(lambda epoch, lr: 0.1 / math.sqrt(epoch + 1))  # seed 001's 1/t decay
    spy = callbacks.LambdaCallback(on_epoch_begin=lambda epoch, logs: seen.append(model.optimizer.learning_rate))
    h = model.fit(X, Y, epochs=4, verbose=0, callbacks=[sched, spy])
    np.testing.assert_allclose(seen, [0.1 / math.sqrt(e + 1) for e in range(4)])
    np.testing.assert_allclose(h.history["learning_rate"], seen)
    assert model.optimizer.inner.param_groups[0]["lr"] == pytest.approx(0.05)
    # one-argument schedules work too
    model.fit(X, Y, epochs=1, verbose=0, callbacks=[callbacks.LearningRateScheduler(lambda epoch: 0.01)])
    assert model.optimizer.learning_rate == 0.01


def test_learning_rate_scheduler_affects_training():
    x, y = X, Y
    deepgrad.manual_seed(3)
    frozen = _model()
    before = frozen.get_weights()
    frozen.fit(x, y, epochs=2, verbose=0, callbacks=[callbacks.LearningRateScheduler(lambda e, lr: 0.0)])
    for a, b in zip(before, frozen.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_reduce_lr_on_plateau():
    model = _model(lr=0.1)
    plateau = callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=2, min_lr=0.02)
    h = model.fit(X, Y, epochs=7, verbose=0, callbacks=[_craft([1, 1, 1, 1, 1, 1, 1]), plateau])
    # epochs 1 and 2 without improvement -> 0.05 after epoch 2; epochs 3, 4 -> 0.025 after 4; 5, 6 -> min 0.02
    np.testing.assert_allclose(h.history["learning_rate"], [0.1, 0.1, 0.1, 0.05, 0.05, 0.025, 0.025])
    assert model.optimizer.learning_rate == pytest.approx(0.02)


def test_terminate_on_nan():
    model = _model(lr=1e30)
    x = X * 1e10
    with np.errstate(all="ignore"):
        h = model.fit(x, Y, epochs=5, batch_size=8, verbose=0, callbacks=[callbacks.TerminateOnNaN()])
    assert model.stop_training
    assert len(h.history["loss"]) == 1 and not np.isfinite(h.history["loss"][0])


def test_csv_logger_writes_rows(tmp_path):
    path = tmp_path / "log.csv"
    model = _model()
    model.fit(X, Y, epochs=3, validation_split=0.25, verbose=0, callbacks=[callbacks.CSVLogger(str(path))])
    rows = list(csv.DictReader(open(path)))
    assert [r["epoch"] for r in rows] == ["0", "1", "2"]
    assert set(rows[0]) == {"epoch", "loss", "accuracy", "val_loss", "val_accuracy"}
    np.testing.assert_allclose([float(r["loss"]) for r in rows], model.history.history["loss"])
    model.fit(X, Y, epochs=1, verbose=0, callbacks=[callbacks.CSVLogger(str(path), append=True)])
    assert len(list(csv.DictReader(open(path)))) == 4


def test_lambda_callback_and_hook_order():
    events = []
    cb = callbacks.LambdaCallback(
        on_train_begin=lambda logs: events.append("train_begin"),
        on_epoch_begin=lambda epoch, logs: events.append(f"epoch_begin {epoch}"),
        on_batch_end=lambda batch, logs: events.append(f"batch_end {batch} {'loss' in logs}"),
        on_epoch_end=lambda epoch, logs: events.append(f"epoch_end {epoch}"),
        on_train_end=lambda logs: events.append("train_end"))
    _model().fit(X, Y, epochs=2, batch_size=32, verbose=0, callbacks=[cb])
    assert events == ["train_begin", "epoch_begin 0", "batch_end 0 True", "batch_end 1 True", "epoch_end 0",
                      "epoch_begin 1", "batch_end 0 True", "batch_end 1 True", "epoch_end 1", "train_end"]
    with pytest.raises(TypeError, match="unknown hook"):
        callbacks.LambdaCallback(on_epoch_ends=print)


def test_progbar_logger_plain_text(capsys):
    model = _model()
    model.fit(X, Y, epochs=1, verbose=1, callbacks=[callbacks.ProgbarLogger(use_tqdm=False)])
    out = capsys.readouterr().out
    assert "Epoch 1/1" in out and "s/step" in out and "loss:" in out


def test_progbar_logger_tqdm(capsys):
    pytest.importorskip("tqdm")
    model = _model()
    model.fit(X, Y, epochs=1, verbose=1)
    err = capsys.readouterr()
    text = err.out + err.err
    assert "Epoch 1/1" in text and "loss" in text and "accuracy" in text
