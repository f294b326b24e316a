"""Errors that name the failing layer's place in the model: ``model.layers[2] Dense(units=10): ...``.

Only the error path runs this: the model's call loop catches a ``ValueError`` from a layer and
rewrites its message once, from the original text, so nested models give one path
(``model.layers[1].layers[2] ...``) and never a repeated prefix.
"""
from __future__ import annotations

# The constructor arguments that identify a layer in a message, by class.
_KEY_ARGS = {"Dense": ("units",), "Conv2D": ("filters", "kernel_size"), "Embedding": ("input_dim", "output_dim"),
             "Dropout": ("rate",), "Reshape": ("target_shape",), "Activation": ("activation",)}


def describe_layer(layer) -> str:
    """``Dense(units=10)``; layers without key arguments show their name: ``Flatten(name='flatten')``."""
    cls = type(layer).__name__
    args = []
    for key in _KEY_ARGS.get(cls, ()):
        value = getattr(layer, key, None)
        if key == "activation" and callable(value):
            value = getattr(value, "__name__", value)
        args.append(f"{key}={value}" if not isinstance(value, str) else f"{key}={value!r}")
    return f"{cls}({', '.join(args) if args else f'name={layer.name!r}'})"


def _shape_of(x):
    if isinstance(x, (list, tuple)):
        return [tuple(getattr(a, "shape", ())) for a in x]
    return tuple(getattr(x, "shape", ()))


def _mismatch(layer, x):
    """'expected ..., got shape ...' when ``x`` does not fit the shape ``layer`` was built for, else None."""
    expected = getattr(layer, "input_shape", None)
    got = _shape_of(x)
    if not layer.built or expected is None or isinstance(expected, list) or isinstance(got, list):
        return None
    expected = tuple(expected)
    if type(layer).__name__ == "Dense":  # a Dense layer applies to the last axis of inputs of any rank
        if got and expected[-1] is not None and got[-1] != expected[-1]:
            return f"expected input with last dimension {expected[-1]}, got shape {got}"
        return None
    if len(expected) != len(got) or any(e is not None and e != g for e, g in zip(expected[1:], got[1:])):
        return f"expected input of shape {expected}, got shape {got}"
    return None


def name_layer_error(error, model, layer, x):
    """Rewrite ``error`` (raised by ``layer`` called on ``x`` inside ``model``) to name the layer's path."""
    try:
        index = next(i for i, la in enumerate(model.layers) if la is layer)
    except StopIteration:
        return
    inner = getattr(error, "_deepgrad_keras_path", None)
    if inner is None:
        detail = _mismatch(layer, x) or getattr(error, "_deepgrad_message", None) or str(error)
        try:
            error._deepgrad_keras_path = ""
            error._deepgrad_keras_message = f"{describe_layer(layer)}: {detail}"
        except AttributeError:
            return
        inner = ""
    path = f".layers[{index}]{inner}"
    error._deepgrad_keras_path = path
    error.args = (f"model{path} {error._deepgrad_keras_message}",)


__all__ = ["describe_layer", "name_layer_error"]
