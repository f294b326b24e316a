"""deepgrad.viz: the plot helpers write real PNGs of the expected size, confusion counts are right,
and examples/demo.py --quick runs end to end and writes every file it promises."""
from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from deepgrad import viz  # noqa: E402

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
REPO = Path(__file__).resolve().parents[1]


def png_size(path):
    """(width, height) from a PNG's IHDR chunk, after checking the signature."""
    data = Path(path).read_bytes()
    assert data[:8] == PNG_SIGNATURE, f"{path} is not a PNG"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def history_dict(epochs=4):
    loss = list(np.linspace(1.0, 0.2, epochs))
    return {"loss": loss, "accuracy": [1 - v / 2 for v in loss],
            "val_loss": [v + 0.05 for v in loss], "val_accuracy": [1 - v / 2 - 0.01 for v in loss]}


# -- confusion matrix --------------------------------------------------------------------------------
def test_confusion_matrix_counts_by_hand():
    y_true = [0, 0, 1, 2, 2, 2]
    y_pred = [0, 1, 1, 2, 0, 2]
    cm = viz.confusion_matrix(y_true, y_pred)
    np.testing.assert_array_equal(cm, [[1, 1, 0], [0, 1, 0], [1, 0, 2]])
    assert cm.dtype == np.int64


def test_confusion_matrix_matches_sklearn_and_accepts_one_hot_and_probabilities():
    sklearn_metrics = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(0)
    y_true = rng.integers(0, 10, size=500)
    probs = rng.random((500, 10)).astype(np.float32)
    y_pred = probs.argmax(axis=1)
    expected = sklearn_metrics.confusion_matrix(y_true, y_pred, labels=range(10))
    np.testing.assert_array_equal(viz.confusion_matrix(y_true, y_pred, num_classes=10), expected)
    one_hot = np.eye(10, dtype=np.float32)[y_true]
    np.testing.assert_array_equal(viz.confusion_matrix(one_hot, probs), expected)
    assert viz.confusion_matrix(y_true, y_pred, num_classes=10).sum() == 500


def test_confusion_matrix_num_classes_pads_and_rejects_bad_input():
    cm = viz.confusion_matrix([0, 1], [1, 1], num_classes=4)
    assert cm.shape == (4, 4) and cm[0, 1] == 1 and cm[1, 1] == 1 and cm.sum() == 2
    with pytest.raises(ValueError, match="num_classes=2"):
        viz.confusion_matrix([0, 3], [0, 1], num_classes=2)
    with pytest.raises(ValueError, match="3 labels but y_pred has 2"):
        viz.confusion_matrix([0, 1, 2], [0, 1])
    with pytest.raises(ValueError, match=">= 0"):
        viz.confusion_matrix([0, -1], [0, 1])


# -- PNG files -----------------------------------------------------------------------------------------
def test_plot_history_writes_png_of_the_figure_size(tmp_path):
    path = tmp_path / "sub" / "curves.png"
    fig = viz.plot_history(history_dict(), path, dpi=50)
    w, h = png_size(path)
    fw, fh = fig.get_size_inches()
    assert (w, h) == (round(fw * 50), round(fh * 50))
    assert w > h  # two panels side by side: loss and accuracy
    titles = [ax.get_title() for ax in fig.axes]
    assert titles == ["loss", "accuracy"]
    lines = fig.axes[0].get_lines()
    assert [ln.get_label() for ln in lines] == ["train", "validation"]
    np.testing.assert_allclose(lines[1].get_ydata(), history_dict()["val_loss"])


def test_plot_history_accepts_a_keras_history_and_rows_per_model(tmp_path):
    from deepgrad.keras.callbacks import History

    h = History()
    h.history = history_dict(3)
    fig = viz.plot_histories({"MLP": h, "CNN": history_dict(2)}, tmp_path / "both.png", dpi=40)
    w, h_px = png_size(tmp_path / "both.png")
    assert h_px > 0.5 * w  # two rows
    assert [ax.get_title() for ax in fig.axes] == ["MLP: loss", "MLP: accuracy", "CNN: loss", "CNN: accuracy"]
    with pytest.raises(KeyError, match="precision"):
        viz.plot_history(history_dict(), metrics=["precision"])
    with pytest.raises(TypeError, match="History"):
        viz.plot_history([1, 2, 3])


def test_plot_confusion_matrix_png_and_cell_texts(tmp_path):
    y_true = np.array([0, 0, 1, 2, 2, 2])
    y_pred = np.array([0, 1, 1, 2, 0, 2])
    fig = viz.plot_confusion_matrix(y_true, y_pred, tmp_path / "cm.png", dpi=60)
    w, h = png_size(tmp_path / "cm.png")
    fw, fh = fig.get_size_inches()
    assert (w, h) == (round(fw * 60), round(fh * 60))
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert texts == ["1", "1", "0", "0", "1", "0", "1", "0", "2"]  # row by row
    image = fig.axes[0].images[0].get_array()
    np.testing.assert_array_equal(np.asarray(image), viz.confusion_matrix(y_true, y_pred))
    fig = viz.plot_confusion_matrix(y_true, y_pred, normalize=True)
    assert fig.axes[0].texts[0].get_text() == "0.50"
    with pytest.raises(ValueError, match="2 class_names for 3 classes"):
        viz.plot_confusion_matrix(y_true, y_pred, class_names=["a", "b"])


@pytest.mark.parametrize("shape", [(6, 28, 28), (6, 28, 28, 1), (6, 1, 28, 28), (6, 784)])
def test_plot_misclassified_grid_titles_and_layouts(tmp_path, shape):
    rng = np.random.default_rng(1)
    images = rng.random(shape).astype(np.float32)
    y_true = np.array([0, 1, 2, 3, 4, 5])
    probs = np.eye(10, dtype=np.float32)[[0, 7, 2, 9, 4, 1]] * 0.9 + 0.01
    fig = viz.plot_misclassified(images, y_true, probs, tmp_path / "wrong.png", dpi=50)
    png_size(tmp_path / "wrong.png")
    titles = [ax.get_title() for ax in fig.axes if ax.images]
    assert titles == ["1 -> 7 (0.91)", "3 -> 9 (0.91)", "5 -> 1 (0.91)"]
    assert fig.axes[0].images[0].get_array().shape == (28, 28)


def test_plot_misclassified_with_no_errors_and_bad_shapes(tmp_path):
    fig = viz.plot_misclassified(np.zeros((3, 8, 8)), [1, 2, 3], [1, 2, 3], tmp_path / "none.png")
    png_size(tmp_path / "none.png")
    assert any("no misclassified" in t.get_text() for ax in fig.axes for t in ax.texts)
    with pytest.raises(ValueError, match="not square"):
        viz.plot_misclassified(np.zeros((2, 10)), [0, 1], [1, 0])
    with pytest.raises(ValueError, match="2 images, 3 true labels"):
        viz.plot_misclassified(np.zeros((2, 4, 4)), [0, 1, 2], [1, 0, 2])


def test_viz_leaves_pyplot_alone():
    """The helpers draw on Agg-backed Figures: no pyplot import, no global backend switch."""
    code = ("import sys, numpy as np; from deepgrad import viz; "
            "viz.plot_confusion_matrix([0, 1], [1, 1]); print('matplotlib.pyplot' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# -- the demo end to end ----------------------------------------------------------------------------
def test_demo_quick_end_to_end(tmp_path):
    """examples/demo.py --quick trains both models on a subset and writes every promised file."""
    from deepgrad.data.datasets import load_mnist

    try:
        load_mnist()
    except Exception as exc:  # noqa: BLE001 - no network and no cached copy
        pytest.skip(f"MNIST not available: {exc}")
    env = dict(os.environ, PYTHONPATH=str(REPO / "src") + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run([sys.executable, str(REPO / "examples" / "demo.py"), "--quick", "--verbose", "2",
                           "--runs-dir", str(tmp_path)], capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    (run_dir,) = list(tmp_path.iterdir())
    expected = {"mlp.keras", "cnn.keras", "curves.png", "mlp_confusion.png", "cnn_confusion.png",
                "mlp_misclassified.png", "cnn_misclassified.png", "results.json"}
    assert {p.name for p in run_dir.iterdir()} == expected
    for name in expected:
        if name.endswith(".png"):
            w, h = png_size(run_dir / name)
            assert w > 100 and h > 100
    results = json.loads((run_dir / "results.json").read_text())
    assert results["quick"] is True
    assert set(results["models"]) == {"mlp", "cnn"}
    for name, entry in results["models"].items():
        assert 0.5 < entry["test_accuracy"] <= 1.0, (name, entry["test_accuracy"])  # it learned something
        assert entry["reload_max_abs_diff"] < 1e-5  # the saved .keras file reloads to the same model
        assert len(entry["history"]["val_accuracy"]) == entry["epochs"]
        assert f"{name.upper()}: test accuracy" in proc.stdout
    from deepgrad.keras.models import load_model

    model = load_model(run_dir / "cnn.keras")
    assert model.predict(np.zeros((2, 28, 28, 1), np.float32), verbose=0).shape == (2, 10)
