"""BackupAndRestore: a fit interrupted (exception, kill, Ctrl-C) and run again ends where an
uninterrupted fit ends, bit for bit (CPU, same seed); the backup is deleted after a clean finish."""
import os
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import keras

EPOCHS = 5


def _data():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((60, 6)).astype(np.float32)
    y = (x[:, :3].sum(1) > 0).astype(np.int64)
    return x, y


def _model():
    dg.manual_seed(123)
    L = keras.layers
    model = keras.Sequential([L.Input((6,)), L.Dense(8, activation="relu"), L.Dropout(0.3),
                              L.Dense(2, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


class Boom(Exception):
    pass


def _crash_at(epoch=None, batch=None):
    state = {"epoch": None}

    def on_epoch_begin(e, logs=None):
        state["epoch"] = e
        if batch is None and e == epoch:
            raise Boom(f"crash at epoch {e}")

    def on_batch_end(b, logs=None):
        if batch is not None and state["epoch"] == epoch and b == batch:
            raise Boom(f"crash at epoch {epoch} batch {b}")

    return keras.callbacks.LambdaCallback(on_epoch_begin=on_epoch_begin, on_train_batch_end=on_batch_end)


def _reference():
    x, y = _data()
    model = _model()
    history = model.fit(x, y, epochs=EPOCHS, batch_size=16, verbose=0)
    return model.get_weights(), history.history


def _same(a, b):
    return len(a) == len(b) and all(u.dtype == v.dtype and u.tobytes() == v.tobytes() for u, v in zip(a, b))


def test_resume_after_an_exception_matches_an_uninterrupted_fit(tmp_path):
    expected, ref_hist = _reference()
    x, y = _data()
    backup = keras.callbacks.BackupAndRestore(tmp_path / "backup")
    model = _model()
    with pytest.raises(Boom):
        model.fit(x, y, epochs=EPOCHS, batch_size=16, verbose=0, callbacks=[_crash_at(epoch=2), backup])
    assert os.listdir(tmp_path / "backup"), "the backup must survive a crash"
    dg.manual_seed(999)  # the RNG state must come from the backup, not from the seed
    np.random.seed(5)
    model = _model()  # a fresh process would rebuild the model from scratch
    dg.manual_seed(999)
    seen = []
    history = model.fit(x, y, epochs=EPOCHS, batch_size=16, verbose=0,
                        callbacks=[backup, keras.callbacks.LambdaCallback(on_epoch_begin=lambda e, l: seen.append(e))])
    assert seen == [2, 3, 4], "training must resume at the first epoch not saved"
    assert _same(model.get_weights(), expected)
    assert history.history["loss"] == ref_hist["loss"][2:]
    assert not os.path.exists(tmp_path / "backup"), "the backup is deleted after a clean finish"


def test_without_the_rng_state_the_resumed_fit_would_differ(tmp_path):
    """Why the RNG state is saved: weights restored alone give another shuffle order and dropout masks."""
    expected, _ = _reference()
    x, y = _data()
    model = _model()
    model.fit(x, y, epochs=2, batch_size=16, verbose=0)
    dg.manual_seed(999)
    model.fit(x, y, epochs=EPOCHS, initial_epoch=2, batch_size=16, verbose=0)
    assert not _same(model.get_weights(), expected)


def test_mid_epoch_resume_with_save_freq_in_batches(tmp_path):
    expected, _ = _reference()
    x, y = _data()
    backup = keras.callbacks.BackupAndRestore(tmp_path / "b", save_freq=2)
    model = _model()
    with pytest.raises(Boom):  # saved after batches 2 of epoch 3 (every 2nd batch overall), crash after batch 3
        model.fit(x, y, epochs=EPOCHS, batch_size=16, verbose=0, callbacks=[backup, _crash_at(epoch=3, batch=2)])
    model = _model()
    model.fit(x, y, epochs=EPOCHS, batch_size=16, verbose=0, callbacks=[backup])
    assert _same(model.get_weights(), expected)


def test_delete_checkpoint_false_keeps_the_backup(tmp_path):
    x, y = _data()
    model = _model()
    model.fit(x, y, epochs=2, batch_size=16, verbose=0,
              callbacks=[keras.callbacks.BackupAndRestore(tmp_path / "keep", delete_checkpoint=False)])
    assert len(os.listdir(tmp_path / "keep")) == 1


def test_bad_arguments():
    with pytest.raises(ValueError, match="save_freq"):
        keras.callbacks.BackupAndRestore("x", save_freq=0)
    with pytest.raises(ValueError, match="backup_dir"):
        keras.callbacks.BackupAndRestore("")


_SCRIPT = textwrap.dedent("""
    import os, sys, time
    import numpy as np
    import deepgrad as dg
    from deepgrad import keras
    sys.path.insert(0, {tests!r})
    from test_backup_and_restore import _data, _model, EPOCHS
    x, y = _data()
    model = _model()
    marker, backup_dir = sys.argv[1], sys.argv[2]
    ended = []
    def on_batch_end(b, logs=None):
        if not os.path.exists(marker):
            open(marker, "w").close()   # tell the parent we are training, then go slowly
        time.sleep(0.2)
    cbs = [keras.callbacks.BackupAndRestore(backup_dir),
           keras.callbacks.LambdaCallback(on_train_batch_end=on_batch_end,
                                          on_train_end=lambda logs: ended.append(True))]
    history = model.fit(x, y, epochs=EPOCHS, batch_size=16, verbose=0, callbacks=cbs)
    print("interrupted", model.fit_interrupted, "ended", ended, "epochs", len(history.history.get("loss", [])))
    np.save(sys.argv[3], np.concatenate([w.ravel() for w in model.get_weights()]))
""")


_CHILD_ON_CPU = pytest.mark.skipif(dg.get_default_device().type != "cpu",
                                   reason="the child process trains on the CPU (other Dropout masks than the GPU's)")


@_CHILD_ON_CPU
def test_ctrl_c_stops_after_the_batch_saves_and_returns_history(tmp_path):
    script = tmp_path / "train.py"
    script.write_text(_SCRIPT.format(tests=os.path.dirname(__file__)))
    marker, backup, out = tmp_path / "started", tmp_path / "backup", tmp_path / "w.npy"
    proc = subprocess.Popen([sys.executable, str(script), str(marker), str(backup), str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        for _ in range(600):
            if marker.exists() or proc.poll() is not None:
                break
            import time

            time.sleep(0.05)
        assert marker.exists(), proc.communicate()[1]
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, stderr
    assert "interrupted True ended [True]" in stdout, stdout + stderr
    assert out.exists()
    files = os.listdir(backup)
    assert len(files) == 1 and files[0].startswith("ckpt-"), files
    # the checkpoint holds the state at the interruption: resuming goes on from there
    from deepgrad.train import Checkpointer

    values = Checkpointer(backup).restore(strict=False)
    saved = np.concatenate([np.asarray(w.numpy() if hasattr(w, "numpy") else w).ravel() for w in values["weights"]])
    assert np.array_equal(saved, np.load(out))
    assert (values["epoch"], values["batch"]) < (EPOCHS, 0), "the interrupt came before the end"
    # resuming from the Ctrl-C backup (mid-epoch) ends exactly where an uninterrupted fit ends
    expected, _ = _reference()
    x, y = _data()
    model = _model()
    model.fit(x, y, epochs=EPOCHS, batch_size=16, verbose=0, callbacks=[keras.callbacks.BackupAndRestore(backup)])
    assert _same(model.get_weights(), expected)
    assert not model.fit_interrupted and not backup.exists()


_KILL_SCRIPT = textwrap.dedent("""
    import os, sys, time
    sys.path.insert(0, {tests!r})
    from deepgrad import keras
    from test_backup_and_restore import _data, _model, EPOCHS
    x, y = _data()
    model = _model()
    def on_epoch_end(epoch, logs=None):
        if epoch == 1:  # the backup of epoch 1 is written (BackupAndRestore comes first): the parent kills us now
            open(sys.argv[1] + ".1", "w").close()
            time.sleep(60)
    cbs = [keras.callbacks.BackupAndRestore(sys.argv[2]), keras.callbacks.LambdaCallback(on_epoch_end=on_epoch_end)]
    model.fit(x, y, epochs=EPOCHS, batch_size=16, verbose=0, callbacks=cbs)
""")


@_CHILD_ON_CPU
def test_resume_after_sigkill_matches_an_uninterrupted_fit(tmp_path):
    import time

    script = tmp_path / "train.py"
    script.write_text(_KILL_SCRIPT.format(tests=os.path.dirname(__file__)))
    marker, backup = tmp_path / "epoch", tmp_path / "backup"
    proc = subprocess.Popen([sys.executable, str(script), str(marker), str(backup)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        for _ in range(1200):
            if (tmp_path / "epoch.1").exists() or proc.poll() is not None:
                break
            time.sleep(0.05)
        assert (tmp_path / "epoch.1").exists(), proc.communicate()[1]
        proc.kill()  # SIGKILL: no handler, no on_train_end
        proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert os.listdir(backup)
    expected, _ = _reference()
    x, y = _data()
    model = _model()
    seen = []
    model.fit(x, y, epochs=EPOCHS, batch_size=16, verbose=0,
              callbacks=[keras.callbacks.BackupAndRestore(backup),
                         keras.callbacks.LambdaCallback(on_epoch_begin=lambda e, logs: seen.append(e))])
    assert seen == list(range(2, EPOCHS)), seen
    assert _same(model.get_weights(), expected)
