"""Custom objects: user functions and classes that configs may name (``custom_objects=``).

``load_model(path, custom_objects={'my_loss': my_loss})`` and ``with custom_object_scope(...)``
make such names resolvable; nothing else in a saved config is ever turned into code.
"""
from __future__ import annotations

import contextlib

_GLOBAL: dict = {}
_SCOPES: list = []


def register_keras_serializable(package="Custom", name=None):
    """Decorator registering a function or class under ``name`` (default: its ``__name__``)."""

    def decorator(obj):
        _GLOBAL[name or obj.__name__] = obj
        _GLOBAL[f"{package}>{name or obj.__name__}"] = obj
        return obj

    return decorator


def register_serializable(package="Custom", name=None):
    """``deepgrad.keras.saving.register_serializable()``: the same as ``register_keras_serializable``.

    Only registered (or ``custom_objects=``) classes may be named by a loaded config.
    """
    return register_keras_serializable(package, name)


@contextlib.contextmanager
def custom_object_scope(objects):
    """Within the block, ``objects`` (a dict name -> function/class) resolve by name."""
    _SCOPES.append(dict(objects or {}))
    try:
        yield
    finally:
        _SCOPES.pop()


def get_custom_object(name):
    """The object registered or in scope under ``name``, or None."""
    for scope in reversed(_SCOPES):
        if name in scope:
            return scope[name]
    return _GLOBAL.get(name)


__all__ = ["register_keras_serializable", "register_serializable", "custom_object_scope", "get_custom_object"]
