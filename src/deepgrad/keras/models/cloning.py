"""``clone_model``: the same architecture with freshly initialized weights; ``model_from_json``."""
from __future__ import annotations

import json

from deepgrad.keras.models.saving import model_config, model_from_config


def clone_model(model, input_tensors=None, clone_function=None, **kwargs):
    """A new model of the same layers (same names and configs) with new weights, as Keras.

    Not compiled; copy the weights with ``clone.set_weights(model.get_weights())`` if wanted.
    """
    if input_tensors is not None or clone_function is not None or kwargs:
        raise NotImplementedError("clone_model: only clone_model(model) is supported")
    return model_from_config(model_config(model))


def model_from_json(json_string, custom_objects=None):
    """The model (fresh weights) described by ``model.to_json()``."""
    return model_from_config(json.loads(json_string), custom_objects)


__all__ = ["clone_model", "model_from_json"]
