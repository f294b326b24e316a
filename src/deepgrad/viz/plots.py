"""Pictures of a training run: loss/accuracy curves, a confusion matrix, a grid of misclassified images.

    from deepgrad import viz
    history = model.fit(x, y, validation_split=0.1, epochs=5)
    viz.plot_history(history, "curves.png")                  # a keras History or a dict of lists
    viz.plot_confusion_matrix(y_test, y_pred, "confusion.png")
    viz.plot_misclassified(x_test, y_test, y_pred, "errors.png")

matplotlib is optional (``pip install 'deepgrad[plot]'``) and imported only when a plot is
drawn.  The figures are built with ``matplotlib.figure.Figure`` and rendered by the Agg
canvas, so nothing here touches pyplot's global state or needs a display.  Every function
returns the Figure; with ``path`` it also writes the file (the format follows the suffix).
"""
from __future__ import annotations

import math
import os

import numpy as np

__all__ = ["confusion_matrix", "plot_history", "plot_histories", "plot_confusion_matrix", "plot_misclassified"]


def _figure(figsize):
    """A new Agg-backed matplotlib Figure; a clear error when matplotlib is missing."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("deepgrad.viz needs matplotlib to draw plots: pip install 'deepgrad[plot]' "
                          "(or pip install matplotlib)") from exc
    fig = Figure(figsize=figsize, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _save(fig, path, dpi):
    if path is not None:
        path = os.fspath(path)
        parent = os.path.dirname(path)
        if parent:
            os.makedirs(parent, exist_ok=True)
        fig.savefig(path, dpi=dpi)
    return fig


def _as_numpy(a):
    """numpy view of a numpy array, a deepgrad Tensor (CPU or GPU) or a list."""
    if hasattr(a, "data") and not isinstance(a, np.ndarray):  # deepgrad Tensor
        a = a.data
    if type(a).__module__.startswith("cupy"):
        a = a.get()
    return np.asarray(a)


def _labels(y, name):
    """Integer class labels from labels (N,) / (N, 1) or one-hot / probability rows (N, C)."""
    y = _as_numpy(y)
    if y.ndim == 2 and y.shape[1] > 1:
        y = y.argmax(axis=1)
    elif y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise ValueError(f"viz: {name} must be labels (N,) or one-hot/probability rows (N, C), got shape {y.shape}")
    if y.dtype.kind == "f":
        if not np.all(y == np.round(y)):
            raise ValueError(f"viz: {name} must hold integer class labels, got non-integer floats")
        y = y.astype(np.int64)
    if y.size and y.min() < 0:
        raise ValueError(f"viz: {name} must hold labels >= 0, got {int(y.min())}")
    return y.astype(np.int64)


# -- training curves -------------------------------------------------------------------------------
def _history_dict(history):
    h = getattr(history, "history", history)  # keras History -> its dict
    if not isinstance(h, dict):
        raise TypeError(f"plot_history: expected a keras History or a dict of per-epoch lists, got {type(history)}")
    return {k: [float(v) for v in vals] for k, vals in h.items()}


def _panel_names(h, metrics):
    if metrics is None:
        names = [k for k in h if not k.startswith("val_") and k not in ("lr", "learning_rate")]
        names = sorted(names, key=lambda k: (k != "loss", list(h).index(k)))
        return names or sorted({k[4:] for k in h if k.startswith("val_")})
    names = [metrics] if isinstance(metrics, str) else list(metrics)
    missing = [k for k in names if k not in h and f"val_{k}" not in h]
    if missing:
        raise KeyError(f"plot_history: no {missing} in the history; it holds {sorted(h)}")
    return names


def _draw_curves(axes, h, names, prefix=""):
    for ax, name in zip(axes, names):
        n = 0
        for key, label, style in ((name, "train", "-o"), (f"val_{name}", "validation", "--s")):
            if h.get(key):
                epochs = np.arange(1, len(h[key]) + 1)
                ax.plot(epochs, h[key], style, markersize=3, label=label)
                n = max(n, len(h[key]))
        ax.set_xlabel("epoch")
        ax.set_ylabel(name)
        ax.set_title(f"{prefix}{name}")
        ax.grid(True, alpha=0.3)
        ax.legend()
        if 0 < n <= 20:
            ax.set_xticks(np.arange(1, n + 1))


def plot_history(history, path=None, metrics=None, title=None, dpi=100):
    """Training curves, one panel per quantity: 'loss' and each metric, train and 'val_' on the same axes.

    ``history`` is what ``fit`` returns (or its ``.history`` dict: name -> one value per epoch).
    ``metrics`` picks the panels (default: 'loss' then every other non-'val_' key, e.g. 'accuracy').
    """
    return plot_histories({"": history}, path, metrics=metrics, title=title, dpi=dpi)


def plot_histories(histories, path=None, metrics=None, title=None, dpi=100):
    """Several runs' curves, one row per run: ``plot_histories({'MLP': h1, 'CNN': h2}, 'curves.png')``."""
    if not isinstance(histories, dict) or not histories:
        raise TypeError("plot_histories: expected a non-empty dict {label: History or dict of per-epoch lists}")
    rows = [(str(label), _history_dict(h)) for label, h in histories.items()]
    panels = [_panel_names(h, metrics) for _, h in rows]
    if not all(panels):
        raise ValueError("plot_history: the history is empty")
    cols = max(len(p) for p in panels)
    fig = _figure((4.2 * cols, 3.3 * len(rows) + (0.3 if title else 0.0)))
    axes = fig.subplots(len(rows), cols, squeeze=False)
    for r, ((label, h), names) in enumerate(zip(rows, panels)):
        _draw_curves(axes[r], h, names, prefix=f"{label}: " if label else "")
        for ax in axes[r][len(names):]:
            ax.axis("off")
    if title:
        fig.suptitle(title)
    return _save(fig, path, dpi)


# -- confusion matrix ------------------------------------------------------------------------------
def confusion_matrix(y_true, y_pred, num_classes=None):
    """Counts C[i, j] = number of samples of true class i predicted as class j (int64, as scikit-learn).

    Labels may be integers (N,) or one-hot / probability rows (N, C) (argmax is taken).
    """
    t, p = _labels(y_true, "y_true"), _labels(y_pred, "y_pred")
    if t.shape != p.shape:
        raise ValueError(f"confusion_matrix: y_true has {t.shape[0]} labels but y_pred has {p.shape[0]}")
    k = int(max(t.max(initial=-1), p.max(initial=-1))) + 1
    if num_classes is None:
        num_classes = k
    elif k > num_classes:
        raise ValueError(f"confusion_matrix: label {k - 1} does not fit num_classes={num_classes}")
    return np.bincount(t * num_classes + p, minlength=num_classes * num_classes).reshape(num_classes, num_classes)


def plot_confusion_matrix(y_true, y_pred, path=None, class_names=None, num_classes=None, normalize=False,
                          title=None, dpi=100):
    """The confusion matrix as a heat map with the count (or row fraction, ``normalize=True``) in each cell."""
    cm = confusion_matrix(y_true, y_pred, num_classes)
    k = cm.shape[0]
    names = [str(i) for i in range(k)] if class_names is None else [str(c) for c in class_names]
    if len(names) != k:
        raise ValueError(f"plot_confusion_matrix: {len(names)} class_names for {k} classes")
    shown = cm / np.maximum(cm.sum(axis=1, keepdims=True), 1) if normalize else cm
    size = max(4.0, 0.5 * k + 2.0)
    fig = _figure((size + 1.0, size))
    ax = fig.subplots()
    im = ax.imshow(shown, cmap="Blues", interpolation="nearest")
    fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
    ax.set_xticks(range(k), names)
    ax.set_yticks(range(k), names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    acc = np.trace(cm) / max(cm.sum(), 1)
    ax.set_title(title or f"confusion matrix ({cm.sum()} samples, accuracy {acc:.2%})")
    if k <= 30:
        threshold = shown.max() / 2.0 if shown.size else 0
        for i in range(k):
            for j in range(k):
                text = f"{shown[i, j]:.2f}" if normalize else str(int(cm[i, j]))
                ax.text(j, i, text, ha="center", va="center", fontsize=7 if k > 12 else 8,
                        color="white" if shown[i, j] > threshold else "black")
    return _save(fig, path, dpi)


# -- misclassified images ----------------------------------------------------------------------------
def _images_2d(images):
    """(N, H, W) or (N, H, W, C) images for imshow from (N, H, W), (N, H, W, 1|3), (N, 1|3, H, W) or (N, H*W)."""
    x = _as_numpy(images)
    if x.ndim == 2:
        side = math.isqrt(x.shape[1])
        if side * side != x.shape[1]:
            raise ValueError(f"plot_misclassified: flat images of {x.shape[1]} pixels are not square; "
                             "pass them shaped (N, H, W)")
        return x.reshape(-1, side, side)
    if x.ndim == 3:
        return x
    if x.ndim == 4:
        if x.shape[-1] in (1, 3):
            return x[..., 0] if x.shape[-1] == 1 else x
        if x.shape[1] in (1, 3):
            return x[:, 0] if x.shape[1] == 1 else x.transpose(0, 2, 3, 1)
    raise ValueError(f"plot_misclassified: expected images (N, H, W), (N, H, W, C), (N, C, H, W) or (N, H*W), "
                     f"got shape {x.shape}")


def plot_misclassified(images, y_true, y_pred, path=None, max_images=36, cols=None, class_names=None,
                       title=None, dpi=100):
    """A grid of the first ``max_images`` images whose prediction is wrong, titled 'true -> pred'.

    ``y_pred`` may be labels or the model's probability rows (then each title also shows the
    predicted class's probability).  With no errors the figure says so.
    """
    x = _images_2d(images)
    probs = _as_numpy(y_pred)
    probs = probs if probs.ndim == 2 and probs.shape[1] > 1 else None
    t, p = _labels(y_true, "y_true"), _labels(y_pred, "y_pred")
    if not (len(x) == len(t) == len(p)):
        raise ValueError(f"plot_misclassified: {len(x)} images, {len(t)} true labels and {len(p)} predictions")
    wrong = np.flatnonzero(t != p)[:max(int(max_images), 0)]
    name = (lambda i: str(i)) if class_names is None else (lambda i: str(class_names[i]))
    n = len(wrong)
    cols = cols or max(1, min(n, math.ceil(math.sqrt(n)) if n else 1, 12))
    rows = max(1, math.ceil(n / cols))
    fig = _figure((1.4 * cols + 0.2, 1.55 * rows + 0.5))
    if n == 0:
        ax = fig.subplots()
        ax.axis("off")
        ax.text(0.5, 0.5, "no misclassified images", ha="center", va="center")
    else:
        axes = fig.subplots(rows, cols, squeeze=False).ravel()
        for ax in axes:
            ax.axis("off")
        for ax, i in zip(axes, wrong):
            ax.imshow(x[i], cmap="gray_r" if x[i].ndim == 2 else None, interpolation="nearest")
            label = f"{name(t[i])} -> {name(p[i])}"
            if probs is not None:
                label += f" ({probs[i, p[i]]:.2f})"
            ax.set_title(label, fontsize=8, color="firebrick")
    errors = int((t != p).sum())
    fig.suptitle(title or f"misclassified: {errors} of {len(t)} (true -> predicted)", fontsize=10)
    return _save(fig, path, dpi)
