"""Keras optimizers with Keras 3 defaults, each a thin wrapper around a deepgrad.optim optimizer.

A Keras optimizer is made before the model has weights (``compile(optimizer=SGD(lr=0.1))``),
so it holds its settings and creates the deepgrad.optim optimizer on the first training
step.  ``learning_rate`` reads and writes the live value (callbacks change it).

Where Keras and PyTorch differ:

- ``SGD``: Keras's momentum form ``v = m v - lr g; w += v`` equals PyTorch's
  ``b = m b + g; w -= lr b`` only at a constant learning rate, so with momentum the wrapper runs
  Keras's form (``KerasSGD``; schedules and LR callbacks then match).  The lecture's ``lr=`` is accepted.
- ``Adam``/``AdamW``: Keras adds epsilon to sqrt(v) before bias correction,
  ``w -= lr sqrt(1-b2^t)/(1-b1^t) m / (sqrt(v) + eps)``; PyTorch adds it after.  The wrapper
  passes ``eps / sqrt(1 - b2^t)`` at step t, which makes the two updates identical.
- ``RMSprop``/``Adagrad``: Keras divides by ``sqrt(v + eps)``, PyTorch by ``sqrt(v) + eps``, and
  no eps makes these equal for every v (they differ most for small gradients: 5.6% in the
  weights after 3 epochs of a small MLP with RMSprop).  So these two run Keras's own update
  rules (``KerasRMSprop``, ``KerasAdagrad`` in ``optimizer_rules``: deepgrad optimizers with PyTorch's
  state layout), transcribed from ``keras/src/optimizers/{rmsprop,adagrad}.py`` operation by operation.
- ``weight_decay`` is decoupled in Keras 3 for every optimizer (``w -= lr * wd * w``); the
  wrapper applies it that way (AdamW natively, the others before their step).
"""
from __future__ import annotations

import math

from deepgrad import optim
from deepgrad.backend import get_array_module
from deepgrad.keras import schedules
from deepgrad.keras.object_registry import get_custom_object
from deepgrad.keras.optimizer_rules import KerasAdadelta, KerasAdagrad, KerasAdamax, KerasNadam, KerasRMSprop, KerasSGD


class Optimizer:
    """Base: holds Keras settings, builds ``self.inner`` (deepgrad.optim) on the first step."""

    _defaults: dict = {}

    def __init__(self, learning_rate=0.001, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, name=None, **kwargs):
        if "lr" in kwargs:  # Keras 2's name, used in the lecture: SGD(lr=0.1)
            learning_rate = kwargs.pop("lr")
        for legacy in ("decay", "use_ema", "ema_momentum", "ema_overwrite_frequency", "loss_scale_factor",
                       "gradient_accumulation_steps"):
            if legacy in kwargs and kwargs[legacy] not in (None, False, 0, 0.0):
                raise NotImplementedError(f"{type(self).__name__}: {legacy}= is not supported")
            kwargs.pop(legacy, None)
        if kwargs:
            raise TypeError(f"{type(self).__name__}: unexpected keyword argument(s) {sorted(kwargs)}")
        if sum(x is not None for x in (clipnorm, clipvalue, global_clipnorm)) > 1:
            raise ValueError(f"{type(self).__name__}: pass at most one of clipnorm, clipvalue, global_clipnorm")
        self.name = name or type(self).__name__.lower()
        if isinstance(learning_rate, dict):  # a saved schedule: {'class_name': 'ExponentialDecay', 'config': {...}}
            learning_rate = schedules.deserialize(learning_rate)
        self._schedule = learning_rate if callable(learning_rate) else None
        self._learning_rate = None if self._schedule else float(learning_rate)
        self.weight_decay = weight_decay
        self.clipnorm, self.clipvalue, self.global_clipnorm = clipnorm, clipvalue, global_clipnorm
        self.inner = None
        self.iterations = 0

    # -- to override --------------------------------------------------------------------
    def _make(self, params, lr):  # pragma: no cover - abstract
        raise NotImplementedError

    def _before_step(self):
        """Adjust the inner optimizer's settings for the step about to be taken."""

    def _config(self) -> dict:
        return {}

    # -- the learning rate ----------------------------------------------------------------
    @property
    def learning_rate(self) -> float:
        if self.inner is not None:
            return float(self.inner.param_groups[0]["lr"])
        if self._schedule is not None:
            return float(self._schedule(self.iterations))
        return self._learning_rate

    @learning_rate.setter
    def learning_rate(self, value):
        if callable(value):
            self._schedule = value
            value = value(self.iterations)
        else:
            self._schedule = None
        self._learning_rate = float(value)
        if self.inner is not None:
            for g in self.inner.param_groups:
                g["lr"] = float(value)

    lr = learning_rate  # Keras 2's attribute name

    # -- training ----------------------------------------------------------------------------
    def build(self, params):
        """Create the deepgrad.optim optimizer for ``params`` (called once by the model)."""
        params = list(params)
        self.inner = self._make(params, self.learning_rate)
        self._params = params

    @property
    def built(self):
        return self.inner is not None

    def zero_grad(self):
        if self.inner is not None:
            self.inner.zero_grad()

    def step(self):
        """Clip, decay and update every parameter once (the model calls this after backward)."""
        if self._schedule is not None:
            lr = float(self._schedule(self.iterations))
            for g in self.inner.param_groups:
                g["lr"] = lr
        params = [p for p in self._params if p.grad is not None]
        if self.clipvalue is not None:
            c = float(self.clipvalue)
            for p in params:
                p.grad.data = get_array_module(p.grad.data).clip(p.grad.data, -c, c)
        elif self.clipnorm is not None:
            for p in params:
                _scale_to_norm([p], float(self.clipnorm))
        elif self.global_clipnorm is not None:
            _scale_to_norm(params, float(self.global_clipnorm))
        if self.weight_decay and not isinstance(self, AdamW):
            k = 1.0 - self.learning_rate * float(self.weight_decay)
            for p in params:
                p.data *= k
        self._before_step()
        self.inner.step()
        self.iterations += 1

    # -- config ----------------------------------------------------------------------------
    def get_config(self) -> dict:
        lr = self._schedule if self._schedule is not None else self.learning_rate
        if isinstance(lr, schedules.LearningRateSchedule):
            lr = schedules.serialize(lr)
        elif callable(lr):
            lr = float(lr(self.iterations))
        config = {"name": self.name, "learning_rate": lr, **self._config()}
        for key in ("weight_decay", "clipnorm", "clipvalue", "global_clipnorm"):
            if getattr(self, key) is not None:
                config[key] = getattr(self, key)
        return config

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} learning_rate={self.learning_rate}>"


def _scale_to_norm(params, max_norm):
    total = 0.0
    for p in params:
        g = p.grad.data
        total += float((g * g).sum())
    norm = math.sqrt(total)
    if norm > max_norm:
        k = max_norm / (norm + 1e-6)
        for p in params:
            p.grad.data = p.grad.data * k


class SGD(Optimizer):
    """Gradient descent, optionally with (Nesterov) momentum. Keras default learning_rate=0.01."""

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, **kwargs):
        if not 0.0 <= momentum <= 1.0:
            raise ValueError(f"SGD: momentum must be in [0, 1], got {momentum}")
        super().__init__(learning_rate, **kwargs)
        self.momentum, self.nesterov = float(momentum), bool(nesterov)

    def _make(self, params, lr):
        if self.momentum:  # Keras's velocity form (differs from PyTorch's once the learning rate changes)
                return KerasSGD(params, lr=lr, momentum=self.momentum, nesterov=self.nesterov)
        return optim.SGD(params, lr=lr)

    def _config(self):
        return {"momentum": self.momentum, "nesterov": self.nesterov}


class Adagrad(Optimizer):
    """Adagrad with Keras defaults (learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7)."""

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7, **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.initial_accumulator_value, self.epsilon = float(initial_accumulator_value), float(epsilon)

    def _make(self, params, lr):
        return KerasAdagrad(params, lr=lr, initial_accumulator_value=self.initial_accumulator_value,
                            eps=self.epsilon)

    def _config(self):
        return {"initial_accumulator_value": self.initial_accumulator_value, "epsilon": self.epsilon}


class RMSprop(Optimizer):
    """RMSprop with Keras defaults (learning_rate=0.001, rho=0.9, momentum=0, epsilon=1e-7)."""

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False, **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.rho, self.momentum, self.epsilon, self.centered = float(rho), float(momentum), float(epsilon), centered

    def _make(self, params, lr):
        return KerasRMSprop(params, lr=lr, alpha=self.rho, eps=self.epsilon, momentum=self.momentum,
                            centered=self.centered)

    def _config(self):
        return {"rho": self.rho, "momentum": self.momentum, "epsilon": self.epsilon, "centered": self.centered}


class Adam(Optimizer):
    """Adam with Keras defaults (learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7)."""

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False, **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.beta_1, self.beta_2, self.epsilon, self.amsgrad = float(beta_1), float(beta_2), float(epsilon), amsgrad

    def _make(self, params, lr):
        return optim.Adam(params, lr=lr, betas=(self.beta_1, self.beta_2), eps=self.epsilon, amsgrad=self.amsgrad)

    def _before_step(self):
        # Keras's epsilon sits before the bias correction: eps_torch = eps / sqrt(1 - beta_2^t).
        t = self.iterations + 1
        eps = self.epsilon / math.sqrt(1.0 - self.beta_2**t)
        for g in self.inner.param_groups:
            g["eps"] = eps

    def _config(self):
        return {"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon, "amsgrad": self.amsgrad}


class AdamW(Adam):
    """Adam with decoupled weight decay; Keras defaults weight_decay=0.004, learning_rate=0.001."""

    def __init__(self, learning_rate=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 amsgrad=False, **kwargs):
        super().__init__(learning_rate, beta_1, beta_2, epsilon, amsgrad, weight_decay=weight_decay, **kwargs)

    def _make(self, params, lr):
        return optim.AdamW(params, lr=lr, betas=(self.beta_1, self.beta_2), eps=self.epsilon,
                           weight_decay=float(self.weight_decay), amsgrad=self.amsgrad)


class Adamax(Optimizer):
    """Adamax (Keras's rule) with Keras defaults (learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7)."""

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.beta_1, self.beta_2, self.epsilon = float(beta_1), float(beta_2), float(epsilon)

    def _make(self, params, lr):
        return KerasAdamax(params, lr=lr, betas=(self.beta_1, self.beta_2), eps=self.epsilon)

    def _config(self):
        return {"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}


class Nadam(Adamax):
    """Nadam (Keras's rule and momentum schedule) with Keras defaults (learning_rate=0.001, epsilon=1e-7)."""

    def _make(self, params, lr):
        return KerasNadam(params, lr=lr, betas=(self.beta_1, self.beta_2), eps=self.epsilon)


class Adadelta(Optimizer):
    """Adadelta (Keras's rule) with Keras defaults (learning_rate=0.001, rho=0.95, epsilon=1e-7)."""

    def __init__(self, learning_rate=0.001, rho=0.95, epsilon=1e-7, **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.rho, self.epsilon = float(rho), float(epsilon)

    def _make(self, params, lr):
        return KerasAdadelta(params, lr=lr, rho=self.rho, eps=self.epsilon)

    def _config(self):
        return {"rho": self.rho, "epsilon": self.epsilon}


_CLASSES = {c.__name__: c for c in (SGD, Adagrad, RMSprop, Adam, AdamW, Adamax, Nadam, Adadelta)}


def get(identifier):
    """An optimizer from a name ('adam', 'sgd', ...), a config dict or an instance."""
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, str):
        for name, cls in _CLASSES.items():
            if name.lower() == identifier.lower():
                return cls()
        obj = get_custom_object(identifier)
        if obj is None:
            raise ValueError(f"Unknown optimizer {identifier!r}; known: {sorted(c.lower() for c in _CLASSES)}")
        return obj() if isinstance(obj, type) else obj
    if isinstance(identifier, dict):
        cls = _CLASSES.get(identifier.get("class_name"))
        if cls is None:
            raise ValueError(f"Unknown optimizer class {identifier.get('class_name')!r}; known: {sorted(_CLASSES)}")
        return cls.from_config(identifier.get("config", {}))
    raise TypeError(f"optimizer: expected a name or an Optimizer, got {type(identifier).__name__}")


def serialize(opt):
    return {"class_name": type(opt).__name__, "config": opt.get_config()}


__all__ = ["Optimizer", *_CLASSES, "get", "serialize", "schedules"]
