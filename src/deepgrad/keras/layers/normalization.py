"""``BatchNormalization`` (Keras defaults momentum=0.99, epsilon=1e-3) and ``LayerNormalization``.

Channels-last batch norm over ``nn.BatchNorm1d``: an input (N, ..., C) is viewed as
(N*..., C) — the statistics per channel over every other axis are the same, and the view
costs nothing (no transposes).  Keras's momentum m (moving = m*moving + (1-m)*batch) is
PyTorch's 1-m.  One difference remains: the moving variance is updated with the unbiased
batch variance (PyTorch) where Keras uses the biased one (a factor n/(n-1), n values per channel).
"""
from __future__ import annotations

from deepgrad import nn
from deepgrad.keras import initializers, regularizers
from deepgrad.keras.layers.layer import Layer, init_param
from deepgrad.nn import functional as F
from deepgrad.ops.elementwise import where
from deepgrad.tensor import Tensor


def _mask_data(mask, x):
    """A mask (Tensor or array, possibly a one-element list) as a bool array on ``x``'s device."""
    if isinstance(mask, (list, tuple)):
        mask = mask[0] if mask else None
    data = mask.data if isinstance(mask, Tensor) else mask
    return x.xp.asarray(data).astype(bool)


class BatchNormalization(Layer):
    """Normalize with batch statistics in training, moving statistics in inference."""

    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True, beta_initializer="zeros",
                 gamma_initializer="ones", moving_mean_initializer="zeros", moving_variance_initializer="ones",
                 beta_regularizer=None, gamma_regularizer=None, beta_constraint=None, gamma_constraint=None,
                 **kwargs):
        super().__init__(**kwargs)
        if beta_constraint is not None or gamma_constraint is not None:
            raise NotImplementedError("BatchNormalization: constraints are not supported")
        self.axis = int(axis)
        self.momentum, self.epsilon = float(momentum), float(epsilon)
        self.center, self.scale = bool(center), bool(scale)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)

    def build(self, input_shape):
        channels = input_shape[self.axis]
        if channels is None:
            raise ValueError(f"BatchNormalization '{self.name}': axis {self.axis} of {input_shape} must be known")
        self._axis = self.axis % len(input_shape)
        self.bn = nn.BatchNorm1d(channels, eps=self.epsilon, momentum=1.0 - self.momentum)
        c = (channels,)
        if self.scale:
            init_param(self.bn.weight, self.gamma_initializer, c)
            self._add_weight("gamma", lambda: self.bn.weight)
        else:
            self.bn.weight.requires_grad_(False)
        if self.center:
            init_param(self.bn.bias, self.beta_initializer, c)
            self._add_weight("beta", lambda: self.bn.bias)
        else:
            self.bn.bias.requires_grad_(False)
        init_param(self.bn.running_mean, self.moving_mean_initializer, c)
        init_param(self.bn.running_var, self.moving_variance_initializer, c)
        self._add_weight("moving_mean", lambda: self.bn.running_mean, trainable=False)
        self._add_weight("moving_variance", lambda: self.bn.running_var, trainable=False)

    def call(self, x, training=False, mask=None):
        self.bn.training = bool(training) and self.trainable
        if mask is not None:  # Keras 3: batch statistics over the kept positions only
            keep = _mask_data(mask, x)
            if keep.ndim != x.ndim - 1:
                raise ValueError(f"BatchNormalization '{self.name}': the mask must have one dimension less than the "
                                 f"inputs, got mask shape {tuple(keep.shape)} for inputs of shape {tuple(x.shape)}")
            if self.bn.training:
                return self._masked_train(x, keep)
        last = self._axis == x.ndim - 1
        if not last:
            x = F.movedim(x, self._axis, -1)
        shape = x.shape
        bn = self.bn  # Keras's moving variance takes the biased batch variance (PyTorch's the unbiased one)
        y = F.batch_norm(x.reshape(-1, shape[-1]) if x.ndim != 2 else x, bn.running_mean, bn.running_var, bn.weight,
                         bn.bias, bn.training, bn.momentum, bn.eps, unbiased_running_var=False)
        if x.ndim != 2:
            y = y.reshape(shape)
        if not last:
            y = F.movedim(y, -1, self._axis)
        return y

    def _masked_train(self, x, keep):
        """Keras's masked moments: sums over kept positions / (kept count + 1e-7); biased variance."""
        xp, bn = x.xp, self.bn
        keep = xp.broadcast_to(keep[..., None], x.shape)
        axes = tuple(i for i in range(x.ndim) if i != self._axis)
        count = Tensor._make(keep.astype(x.dtype).sum(axis=axes, keepdims=True) + x.dtype.type(1e-7))
        m = Tensor._make(keep)
        zero = Tensor._make(xp.zeros((), dtype=x.dtype))
        mean = where(m, x, zero).sum(dim=axes, keepdim=True) / count
        var = (where(m, x - mean, zero) ** 2).sum(dim=axes, keepdim=True) / count
        mom = self.momentum
        bn.running_mean.data[...] = bn.running_mean.data * mom + mean.data.reshape(-1) * (1.0 - mom)
        bn.running_var.data[...] = bn.running_var.data * mom + var.data.reshape(-1) * (1.0 - mom)
        shape = [1] * x.ndim
        shape[self._axis] = -1
        y = (x - mean) / (var + self.epsilon).sqrt()
        if self.scale:
            y = y * bn.weight.reshape(shape)
        if self.center:
            y = y + bn.bias.reshape(shape)
        return y

    @property
    def losses(self):
        if not self.built:
            return []
        out = []
        if self.gamma_regularizer is not None and self.scale:
            out.append(self.gamma_regularizer(self.bn.weight))
        if self.beta_regularizer is not None and self.center:
            out.append(self.beta_regularizer(self.bn.bias))
        return out

    def get_config(self):
        return {**super().get_config(), "axis": self.axis, "momentum": self.momentum, "epsilon": self.epsilon,
                "center": self.center, "scale": self.scale,
                "beta_initializer": initializers.serialize(self.beta_initializer),
                "gamma_initializer": initializers.serialize(self.gamma_initializer),
                "moving_mean_initializer": initializers.serialize(self.moving_mean_initializer),
                "moving_variance_initializer": initializers.serialize(self.moving_variance_initializer),
                "beta_regularizer": regularizers.serialize(self.beta_regularizer),
                "gamma_regularizer": regularizers.serialize(self.gamma_regularizer)}


class LayerNormalization(Layer):
    """Normalize each sample over ``axis`` (the last by default; an int or a list; Keras epsilon=1e-3).

    Over the trailing axes this is ``nn.LayerNorm``; other axes use the same formula written
    with ops.  ``rms_scaling=True`` follows Keras 3: ``x * rsqrt(var(x) + epsilon) * gamma``
    (no centering of the output, no beta).
    """

    def __init__(self, axis=-1, epsilon=1e-3, center=True, scale=True, rms_scaling=False, beta_initializer="zeros",
                 gamma_initializer="ones", beta_regularizer=None, gamma_regularizer=None, beta_constraint=None,
                 gamma_constraint=None, **kwargs):
        super().__init__(**kwargs)
        if beta_constraint is not None or gamma_constraint is not None:
            raise NotImplementedError("LayerNormalization: constraints are not supported")
        if isinstance(axis, (list, tuple)):
            if not axis:
                raise ValueError("LayerNormalization: axis must name at least one axis")
            axis = [int(a) for a in axis]
        else:
            axis = int(axis)
        self.axis, self.epsilon, self.center, self.scale = axis, float(epsilon), bool(center), bool(scale)
        self.rms_scaling = bool(rms_scaling)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)

    def _axes(self, ndim):
        axes = self.axis if isinstance(self.axis, list) else [self.axis]
        if any(not -ndim <= a < ndim for a in axes):
            raise ValueError(f"LayerNormalization '{self.name}': axis {self.axis} is out of bounds for an input of "
                             f"{ndim} dimensions")
        out = sorted({a % ndim for a in axes})
        if 0 in out:
            raise ValueError(f"LayerNormalization '{self.name}': cannot normalize over the batch axis")
        return out

    def build(self, input_shape):
        from deepgrad.nn._util import empty_parameter

        nd = len(input_shape)
        self._ax = self._axes(nd)
        shape = tuple(input_shape[a] for a in self._ax)
        if any(d is None for d in shape):
            raise ValueError(f"LayerNormalization '{self.name}': the normalized axes must have known sizes, got "
                             f"{tuple(input_shape)}")
        self._trailing = self._ax == list(range(nd - len(self._ax), nd)) and not self.rms_scaling
        self.ln = nn.LayerNorm(shape, eps=self.epsilon) if self._trailing else None
        self.gamma = self.ln.weight if self._trailing else empty_parameter(shape)
        self.beta = self.ln.bias if self._trailing else empty_parameter(shape)
        if self.scale or self.rms_scaling:
            init_param(self.gamma, self.gamma_initializer, shape)
            self._add_weight("gamma", lambda: self.gamma)
        else:
            self.gamma.data[...] = 1.0
            self.gamma.requires_grad_(False)
        if self.center and not self.rms_scaling:
            init_param(self.beta, self.beta_initializer, shape)
            self._add_weight("beta", lambda: self.beta)
        else:
            self.beta.data[...] = 0.0
            self.beta.requires_grad_(False)

    def call(self, x, training=False):
        if self._trailing:
            return self.ln(x)
        axes = tuple(self._ax)
        bshape = tuple(x.shape[i] if i in axes else 1 for i in range(x.ndim))
        mean = x.mean(axis=axes, keepdims=True)
        d = x - mean
        inv = ((d * d).mean(axis=axes, keepdims=True) + self.epsilon).rsqrt()
        if self.rms_scaling:
            return x * inv * self.gamma.reshape(bshape)
        return d * inv * self.gamma.reshape(bshape) + self.beta.reshape(bshape)

    @property
    def losses(self):
        if not self.built:
            return []
        pairs = [(self.gamma_regularizer, self.gamma if (self.scale or self.rms_scaling) else None),
                 (self.beta_regularizer, self.beta if (self.center and not self.rms_scaling) else None)]
        return [reg(w) for reg, w in pairs if reg is not None and w is not None]

    def get_config(self):
        return {**super().get_config(), "axis": self.axis, "epsilon": self.epsilon, "center": self.center,
                "scale": self.scale, "rms_scaling": self.rms_scaling,
                "beta_initializer": initializers.serialize(self.beta_initializer),
                "gamma_initializer": initializers.serialize(self.gamma_initializer),
                "beta_regularizer": regularizers.serialize(self.beta_regularizer),
                "gamma_regularizer": regularizers.serialize(self.gamma_regularizer)}


__all__ = ["BatchNormalization", "LayerNormalization"]
