"""``Embedding(input_dim, output_dim)``: integer ids -> vectors, over ``nn.Embedding``.

``mask_zero=True`` makes id 0 padding: the output carries a mask that the recurrent layers,
``GlobalAveragePooling1D`` and the losses honour (see masking.py)."""
from __future__ import annotations

import numpy as np

from deepgrad import nn
from deepgrad.keras import initializers, regularizers
from deepgrad.keras.layers.layer import Layer, init_param
from deepgrad.tensor import Tensor


class Embedding(Layer):
    """Rows of an (input_dim, output_dim) table; Keras's default initializer is uniform(-0.05, 0.05)."""

    input_dtype = None  # ids stay integers

    def __init__(self, input_dim, output_dim, embeddings_initializer="uniform", embeddings_regularizer=None,
                 embeddings_constraint=None, mask_zero=False, input_length=None, **kwargs):
        super().__init__(**kwargs)
        if embeddings_constraint is not None:
            raise NotImplementedError("Embedding: embeddings_constraint is not supported")
        self.input_dim, self.output_dim = int(input_dim), int(output_dim)
        self.mask_zero = self.supports_masking = bool(mask_zero)
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)

    def build(self, input_shape):
        self.embedding = nn.Embedding(self.input_dim, self.output_dim)
        init_param(self.embedding.weight, self.embeddings_initializer, (self.input_dim, self.output_dim))
        self._add_weight("embeddings", lambda: self.embedding.weight)

    def call(self, x, training=False):
        if x.dtype.kind != "i":
            x = Tensor._make(x.data.astype(np.int64))
        return self.embedding(x)

    def compute_mask(self, x, mask=None):
        """``mask_zero=True``: id 0 is padding, masked (a (batch, timesteps) bool mask)."""
        if not self.mask_zero:
            return None
        ids = x.data if isinstance(x, Tensor) else np.asarray(x)
        return Tensor._make(ids != 0)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape) + (self.output_dim,)

    @property
    def losses(self):
        if not self.built or self.embeddings_regularizer is None:
            return []
        return [self.embeddings_regularizer(self.embedding.weight)]

    def get_config(self):
        return {**super().get_config(), "input_dim": self.input_dim, "output_dim": self.output_dim,
                "embeddings_initializer": initializers.serialize(self.embeddings_initializer),
                "embeddings_regularizer": regularizers.serialize(self.embeddings_regularizer),
                "mask_zero": self.mask_zero}


__all__ = ["Embedding"]
