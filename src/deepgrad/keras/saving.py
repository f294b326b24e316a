"""``deepgrad.keras.saving``: Keras 3's saving module (load_model, save_model, custom objects)."""
from __future__ import annotations

from deepgrad.keras.models.saving import SavingError, load_model, load_weights, save_model, save_weights
from deepgrad.keras.object_registry import (
                                           custom_object_scope,
                                           get_custom_object,
                                           register_keras_serializable,
                                           register_serializable,
)

__all__ = ["load_model", "save_model", "load_weights", "save_weights", "SavingError", "custom_object_scope",
           "get_custom_object", "register_keras_serializable", "register_serializable"]
