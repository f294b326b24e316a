"""Errors that name the op or layer, the expected and the actual values."""
from __future__ import annotations


def op_error(kind, message):
    """An exception of ``kind`` (ValueError, TypeError, ...) that Function.__call__ passes through
    unchanged: use it inside forward when the message already names the op and the shapes."""
    err = kind(message)
    err._deepgrad = True
    return err
