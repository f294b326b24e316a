"""``GroupNormalization`` (channels split into ``groups``, each normalized over itself and the other
axes, Keras epsilon=1e-3) and ``UnitNormalization`` (each sample scaled to unit L2 norm), with Keras 3's
formulas written in deepgrad ops."""
from __future__ import annotations

from deepgrad.keras import initializers, regularizers
from deepgrad.keras.layers.layer import Layer, init_param
from deepgrad.nn._util import empty_parameter


class GroupNormalization(Layer):
    """``GroupNormalization(groups=32, axis=-1, epsilon=1e-3, center=True, scale=True)``."""

    def __init__(self, groups=32, axis=-1, epsilon=1e-3, center=True, scale=True, beta_initializer="zeros",
                 gamma_initializer="ones", beta_regularizer=None, gamma_regularizer=None, beta_constraint=None,
                 gamma_constraint=None, **kwargs):
        super().__init__(**kwargs)
        if beta_constraint is not None or gamma_constraint is not None:
            raise NotImplementedError("GroupNormalization: constraints are not supported")
        self.groups, self.axis, self.epsilon = int(groups), int(axis), float(epsilon)
        self.center, self.scale = bool(center), bool(scale)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)

    def build(self, input_shape):
        nd = len(input_shape)
        if not -nd <= self.axis < nd or self.axis % nd == 0:
            raise ValueError(f"GroupNormalization '{self.name}': axis {self.axis} is not a channel axis of an input "
                             f"of shape {tuple(input_shape)}")
        c = input_shape[self.axis]
        if c is None or c % self.groups or self.groups > c:
            raise ValueError(f"GroupNormalization '{self.name}': the {c} channels of axis {self.axis} must be "
                             f"divisible by groups={self.groups}")
        self.gamma = self.beta = None
        if self.scale:
            self.gamma = empty_parameter((c,))
            init_param(self.gamma, self.gamma_initializer, (c,))
            self._add_weight("gamma", lambda: self.gamma)
        if self.center:
            self.beta = empty_parameter((c,))
            init_param(self.beta, self.beta_initializer, (c,))
            self._add_weight("beta", lambda: self.beta)

    def call(self, x, training=False):
        ax = self.axis % x.ndim
        shape = tuple(x.shape)
        c = shape[ax]
        grouped = x.reshape(shape[:ax] + (self.groups, c // self.groups) + shape[ax + 1:])
        axes = tuple(i for i in range(1, grouped.ndim) if i != ax)  # all but the batch and the group axis
        mean = grouped.mean(axis=axes, keepdims=True)
        d = grouped - mean
        y = (d * ((d * d).mean(axis=axes, keepdims=True) + self.epsilon).rsqrt()).reshape(shape)
        bshape = tuple(c if i == ax else 1 for i in range(x.ndim))
        if self.gamma is not None:
            y = y * self.gamma.reshape(bshape)
        if self.beta is not None:
            y = y + self.beta.reshape(bshape)
        return y

    @property
    def losses(self):
        if not self.built:
            return []
        pairs = [(self.gamma_regularizer, self.gamma), (self.beta_regularizer, self.beta)]
        return [reg(w) for reg, w in pairs if reg is not None and w is not None]

    def get_config(self):
        return {**super().get_config(), "groups": self.groups, "axis": self.axis, "epsilon": self.epsilon,
                "center": self.center, "scale": self.scale,
                "beta_initializer": initializers.serialize(self.beta_initializer),
                "gamma_initializer": initializers.serialize(self.gamma_initializer),
                "beta_regularizer": regularizers.serialize(self.beta_regularizer),
                "gamma_regularizer": regularizers.serialize(self.gamma_regularizer)}


class UnitNormalization(Layer):
    """``x / max(||x||_2, 1e-12)`` along ``axis`` (the last by default; an int or a list)."""

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = [int(a) for a in axis] if isinstance(axis, (list, tuple)) else int(axis)

    def call(self, x, training=False):
        axes = tuple(self.axis) if isinstance(self.axis, list) else self.axis
        return x / (x * x).sum(axis=axes, keepdims=True).sqrt().clamp(min=1e-12)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


__all__ = ["GroupNormalization", "UnitNormalization"]
