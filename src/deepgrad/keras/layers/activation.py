"""Activation layers: ``Activation('relu')``, ``ReLU``, ``Softmax``, ``LeakyReLU``, ``PReLU``, ``ELU``."""
from __future__ import annotations

from deepgrad.keras import activations, initializers, regularizers
from deepgrad.keras.layers.layer import Layer, init_param
from deepgrad.nn import functional as F
from deepgrad.nn._util import empty_parameter
from deepgrad.ops.elementwise import where
from deepgrad.tensor import Tensor


class Activation(Layer):
    """Applies an activation function by name or as a function: ``Activation('softmax')``."""

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation = activations.get(activation)

    def call(self, x, training=False):
        return self.activation(x)

    def call_with_logits(self, x, training=False):
        return self.activation(x), x

    def output_activation(self):
        name = activations.serialize(self.activation)
        return name if name in ("softmax", "sigmoid") else None

    def get_config(self):
        return {**super().get_config(), "activation": activations.serialize(self.activation)}


class ReLU(Layer):
    """max(x, 0), with Keras's optional ``max_value``, ``negative_slope`` and ``threshold``."""

    def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0, **kwargs):
        super().__init__(**kwargs)
        self.max_value, self.negative_slope, self.threshold = max_value, float(negative_slope), float(threshold)

    def call(self, x, training=False):
        return activations.relu(x, self.negative_slope, self.max_value, self.threshold)

    def get_config(self):
        return {**super().get_config(), "max_value": self.max_value, "negative_slope": self.negative_slope,
                "threshold": self.threshold}


class Softmax(Layer):
    """softmax along ``axis`` (last by default)."""

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = axis

    def call(self, x, training=False, mask=None):
        if mask is None:
            return self._softmax(x)
        m = _softmax_mask(self, mask, x)  # Keras 3: masked positions get -1e9 before and 0 after the softmax
        y = self._softmax(where(m, x, Tensor._make(x.xp.asarray(-1e9, dtype=x.dtype))))
        return where(m, y, Tensor._make(x.xp.zeros((), dtype=x.dtype)))

    def _softmax(self, x):
        axis = self.axis
        if isinstance(axis, (list, tuple)):  # Keras: several axes at once
            if len(axis) > 1:
                from deepgrad import logsumexp

                return (x - logsumexp(x, dim=tuple(axis), keepdim=True)).exp()
            axis = axis[0]
        return F.softmax(x, dim=axis)

    def call_with_logits(self, x, training=False):
        return self.call(x), (x if self.axis in (-1, x.ndim - 1) else None)

    def output_activation(self):
        return "softmax" if self.axis == -1 else None

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


def _softmax_mask(layer, mask, x):
    if isinstance(mask, (list, tuple)):
        mask = mask[0]
    data = x.xp.asarray(mask.data if isinstance(mask, Tensor) else mask)
    bad = data.ndim > x.ndim or any(m != 1 and m != i for m, i in zip(data.shape[::-1], x.shape[::-1]))
    if bad:
        raise ValueError(f"Softmax '{layer.name}': the mask must broadcast to the inputs (each mask dimension 1 or "
                         f"equal to the input's, from the right), got mask shape {tuple(data.shape)} for inputs "
                         f"of shape {tuple(x.shape)}")
    return Tensor._make(data if data.dtype == bool else data > 0.5)


class LeakyReLU(Layer):
    """x for x > 0, negative_slope * x otherwise; Keras's default slope is 0.3 (``alpha=`` accepted)."""

    def __init__(self, negative_slope=0.3, **kwargs):
        if "alpha" in kwargs:  # Keras 2's name
            negative_slope = kwargs.pop("alpha")
        super().__init__(**kwargs)
        self.negative_slope = float(negative_slope)

    def call(self, x, training=False):
        return F.leaky_relu(x, self.negative_slope)

    def get_config(self):
        return {**super().get_config(), "negative_slope": self.negative_slope}


class ELU(Layer):
    def __init__(self, alpha=1.0, **kwargs):
        super().__init__(**kwargs)
        self.alpha = float(alpha)

    def call(self, x, training=False):
        return F.elu(x, self.alpha)

    def get_config(self):
        return {**super().get_config(), "alpha": self.alpha}


class PReLU(Layer):
    """Leaky ReLU with a learned slope per input element (``shared_axes`` share it), initialised to 0.

    Keras's alpha has the input's shape without the batch dim (e.g. (H, W, C)); PyTorch's PReLU
    has one slope per channel, so this layer keeps its own Parameter and uses the same formula
    as ``nn.PReLU``: ``where(x > 0, x, alpha * x)``.
    """

    def __init__(self, alpha_initializer="zeros", alpha_regularizer=None, alpha_constraint=None, shared_axes=None,
                 **kwargs):
        super().__init__(**kwargs)
        if alpha_constraint is not None:
            raise NotImplementedError("PReLU: alpha_constraint is not supported")
        self.alpha_initializer = initializers.get(alpha_initializer)
        self.alpha_regularizer = regularizers.get(alpha_regularizer)
        if shared_axes is None:
            self.shared_axes = None
        elif isinstance(shared_axes, int):
            self.shared_axes = [shared_axes]
        else:
            self.shared_axes = list(shared_axes)

    def build(self, input_shape):
        shape = list(input_shape[1:])
        for ax in self.shared_axes or []:
            shape[ax - 1] = 1
        if any(d is None for d in shape):
            raise ValueError(f"PReLU '{self.name}': every non-shared input dim must be known, got {input_shape}")
        self.alpha = empty_parameter(tuple(shape))
        init_param(self.alpha, self.alpha_initializer, tuple(shape))
        self._add_weight("alpha", lambda: self.alpha)

    def call(self, x, training=False):
        return F.where(x > 0, x, x * self.alpha)

    @property
    def losses(self):
        if not self.built or self.alpha_regularizer is None:
            return []
        return [self.alpha_regularizer(self.alpha)]

    def get_config(self):
        return {**super().get_config(), "alpha_initializer": initializers.serialize(self.alpha_initializer),
                "alpha_regularizer": regularizers.serialize(self.alpha_regularizer),
                "shared_axes": self.shared_axes}


__all__ = ["Activation", "ReLU", "Softmax", "LeakyReLU", "ELU", "PReLU"]
