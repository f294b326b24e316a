"""Keras's datasets: ``mnist.load_data()`` and ``fashion_mnist.load_data()`` through deepgrad.data."""
from __future__ import annotations

from deepgrad.keras.datasets import fashion_mnist, mnist

__all__ = ["mnist", "fashion_mnist"]
