"""``Sequential``, ``Model`` (functional API), ``load_model`` and ``clone_model``."""
from __future__ import annotations

from deepgrad.keras.models.cloning import clone_model, model_from_json
from deepgrad.keras.models.model import Model
from deepgrad.keras.models.saving import load_model, model_from_config, save_model
from deepgrad.keras.models.sequential import Sequential

__all__ = ["Model", "Sequential", "load_model", "save_model", "model_from_config", "clone_model", "model_from_json"]
