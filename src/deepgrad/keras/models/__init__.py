"""``Sequential``, ``Model`` (functional API) and ``load_model``."""
from __future__ import annotations

from deepgrad.keras.models.model import Model
from deepgrad.keras.models.saving import load_model, model_from_config, save_model
from deepgrad.keras.models.sequential import Sequential

__all__ = ["Model", "Sequential", "load_model", "save_model", "model_from_config"]
