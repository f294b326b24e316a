"""Keras utilities: ``to_categorical``, ``pad_sequences``, ``plot_model`` (as text), ``set_random_seed``,
``clear_session``."""
from __future__ import annotations

import numpy as np

from deepgrad.keras.backend import clear_session


def to_categorical(x, num_classes=None, dtype="float64"):
    """One-hot rows for integer labels: ``to_categorical([0, 2], 3)`` -> [[1, 0, 0], [0, 0, 1]].

    A trailing axis of size 1 is dropped first, and the result is float64, as in Keras 3
    (``fit`` trains on float32 copies; ``dtype=`` picks another type).
    """
    x = np.asarray(x)
    if x.dtype.kind == "f":
        if not np.all(x == np.round(x)):
            raise ValueError("to_categorical: labels must be integers")
        x = x.astype(np.int64)
    elif x.dtype.kind not in "iub":
        raise TypeError(f"to_categorical: expected integer labels, got dtype {x.dtype}")
    if x.ndim > 1 and x.shape[-1] == 1:
        x = x.reshape(x.shape[:-1])
    if x.size and x.min() < 0:
        raise ValueError(f"to_categorical: labels must be >= 0, got {int(x.min())}")
    if num_classes is None:
        num_classes = int(x.max()) + 1 if x.size else 0
    elif x.size and int(x.max()) >= num_classes:
        raise ValueError(f"to_categorical: label {int(x.max())} does not fit num_classes={num_classes}")
    out = np.zeros(x.shape + (int(num_classes),), dtype=dtype)
    np.put_along_axis(out, x[..., None].astype(np.int64), 1, axis=-1)
    return out


def pad_sequences(sequences, maxlen=None, dtype="int32", padding="pre", truncating="pre", value=0.0):
    """Lists of ids to one (n, maxlen) array, as Keras: short ones padded with ``value``, long ones cut,
    both at the start ('pre', the default) or the end ('post')."""
    if padding not in ("pre", "post") or truncating not in ("pre", "post"):
        raise ValueError(f"pad_sequences: padding and truncating must be 'pre' or 'post', got {padding!r} and "
                         f"{truncating!r}")
    seqs = [np.asarray(s) for s in sequences]
    if maxlen is None:
        maxlen = max((len(s) for s in seqs), default=0)
    inner = next((s.shape[1:] for s in seqs if len(s)), ())
    out = np.full((len(seqs), int(maxlen)) + tuple(inner), value, dtype=dtype)
    for i, s in enumerate(seqs):
        if not len(s) or not maxlen:
            continue
        s = s[-maxlen:] if truncating == "pre" else s[:maxlen]
        if s.shape[1:] != tuple(inner):
            raise ValueError(f"pad_sequences: sequence {i} has entries of shape {s.shape[1:]}, expected {inner}")
        if padding == "post":
            out[i, :len(s)] = s
        else:
            out[i, -len(s):] = s
    return out


def normalize(x, axis=-1, order=2):
    """x divided by its ``order``-norm along ``axis`` (zeros stay zeros)."""
    x = np.asarray(x, dtype=np.float32)
    norm = np.linalg.norm(x, ord=order, axis=axis, keepdims=True)
    return x / np.where(norm == 0, 1, norm)


def set_random_seed(seed):
    """Seed deepgrad (weights, dropout, shuffling), numpy and Python's random module."""
    from deepgrad.random import seed_everything

    seed_everything(int(seed))


def plot_model(model, to_file=None, show_shapes=True, show_layer_names=True, **kwargs):
    """The model's graph as text (one line per layer call with its inputs and output shape).

    Keras draws a picture with graphviz; this returns (and optionally writes) the same
    information as plain text.
    """
    lines = [f"{model.name} ({type(model).__name__})"]
    graph = getattr(model, "_graph", None)
    if graph is None:
        prev = "input"
        for layer in model.layers:
            shape = f"  -> {layer.output_shape}" if show_shapes and layer.built else ""
            name = f"{layer.name}: " if show_layer_names else ""
            lines.append(f"  {prev} -> [{name}{type(layer).__name__}]{shape}")
            prev = layer.name
    else:
        for t in graph["inputs"]:
            lines.append(f"  [{t.layer.name}: InputLayer]  -> {t.shape}")
        for t in graph["nodes"]:
            src = ", ".join(p.layer.name for p in t.inputs)
            shape = f"  -> {t.shape}" if show_shapes else ""
            name = f"{t.layer.name}: " if show_layer_names else ""
            lines.append(f"  {src} -> [{name}{type(t.layer).__name__}]{shape}")
    text = "\n".join(lines)
    if to_file:
        with open(to_file, "w") as f:
            f.write(text + "\n")
    return text


__all__ = ["to_categorical", "pad_sequences", "normalize", "set_random_seed", "plot_model", "clear_session"]
