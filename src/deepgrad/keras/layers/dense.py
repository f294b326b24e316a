"""``Dense``: a fully connected layer, ``activation(x @ kernel + bias)``, over ``nn.Linear``."""
from __future__ import annotations

from deepgrad import nn
from deepgrad.keras import activations, initializers, regularizers
from deepgrad.keras.layers.layer import Layer, init_param


def _no_constraint(layer, **constraints):
    for key, value in constraints.items():
        if value is not None:
            raise NotImplementedError(f"{layer}: {key} is not supported")


class WithActivation(Layer):
    """Shared by layers ending in an activation: the fused-loss hooks and the activity regularizer."""

    def _setup_activation(self, activation, activity_regularizer):
        self.activation = activations.get(activation)
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self._activity_loss = None

    def _finish(self, z):
        y = self.activation(z)
        if self.activity_regularizer is not None:
            self._activity_loss = self.activity_regularizer(y) / float(y.shape[0])
        return y

    def call(self, x, training=False):
        return self._finish(self._pre_activation(x, training))

    def call_with_logits(self, x, training=False):
        z = self._pre_activation(x, training)
        return self._finish(z), z

    def output_activation(self):
        name = activations.serialize(self.activation)
        return name if name in ("softmax", "sigmoid") else None

    def _penalties(self, pairs):
        out = [reg(w) for reg, w in pairs if reg is not None and w is not None]
        if self._activity_loss is not None:
            out.append(self._activity_loss)
        return out


class WithKernel(WithActivation):
    """Shared by Dense and the convolutions: the ``kernel``/``bias`` arguments, their penalties and config."""

    def _setup_kernel(self, use_bias, kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer,
                      activation, activity_regularizer):
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self._setup_activation(activation, activity_regularizer)

    @property
    def losses(self):
        if not self.built:
            return []
        return self._penalties([(self.kernel_regularizer, self.kernel), (self.bias_regularizer, self.bias)])

    def _kernel_config(self):
        return {"activation": activations.serialize(self.activation), "use_bias": self.use_bias,
                "kernel_initializer": initializers.serialize(self.kernel_initializer),
                "bias_initializer": initializers.serialize(self.bias_initializer),
                "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
                "bias_regularizer": regularizers.serialize(self.bias_regularizer),
                "activity_regularizer": regularizers.serialize(self.activity_regularizer)}


class Dense(WithKernel):
    """``Dense(units, activation=None, use_bias=True, kernel_initializer='glorot_uniform', ...)``.

    Applies to the last axis of inputs of any rank.  The kernel is stored as ``nn.Linear``'s
    weight (units, in) and shown by ``get_weights`` as Keras's (in, units).
    """

    def __init__(self, units, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(**kwargs)
        if int(units) <= 0:
            raise ValueError(f"Dense: units must be a positive integer, got {units!r}")
        _no_constraint(self, kernel_constraint=kernel_constraint, bias_constraint=bias_constraint)
        self.units = int(units)
        self._setup_kernel(use_bias, kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer,
                           activation, activity_regularizer)

    def build(self, input_shape):
        in_dim = input_shape[-1]
        if in_dim is None:
            raise ValueError(f"Dense '{self.name}': the last dimension of the input must be known, got {input_shape}")
        self.linear = nn.Linear(in_dim, self.units, bias=self.use_bias)
        init_param(self.linear.weight, self.kernel_initializer, (in_dim, self.units), "dense")
        self._add_weight("kernel", lambda: self.linear.weight, "dense")
        if self.use_bias:
            init_param(self.linear.bias, self.bias_initializer, (self.units,))
            self._add_weight("bias", lambda: self.linear.bias)

    def _pre_activation(self, x, training):
        return self.linear(x)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    @property
    def kernel(self):
        return self.linear.weight

    @property
    def bias(self):
        return self.linear.bias if self.use_bias else None

    def get_config(self):
        return {**super().get_config(), "units": self.units, **self._kernel_config()}


__all__ = ["Dense"]
