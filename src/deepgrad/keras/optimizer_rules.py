"""Keras 3's own update rules for SGD with momentum, Adagrad, RMSprop, Adamax, Nadam and Adadelta, as
deepgrad.optim optimizers (PyTorch's state layout), transcribed from ``keras/src/optimizers/*.py``
operation by operation.  They differ from PyTorch's rules in where epsilon sits and, for Nadam, in the
momentum schedule (Keras: ``u_t = beta_1 (1 - 0.5 * 0.96^t)``).  ``deepgrad.keras.optimizers`` wraps them.
"""
from __future__ import annotations

from deepgrad import optim
from deepgrad.backend import get_array_module


def _grads(optimizer, group):
    """``(p, g, state, xp)`` for each parameter of ``group`` with a gradient ``g``."""
    for p in group["params"]:
        if p.grad is not None:
            yield p, p.grad.data, optimizer.state[p], get_array_module(p.data)


def _updates(optimizer, group, *buffers):
    """``_grads``, where a new state gets ``step`` 0 and a zero array per name in ``buffers``, and ``step``
    is advanced before it is yielded."""
    for p, g, st, xp in _grads(optimizer, group):
        if not st:
            st["step"] = 0
            for name in buffers:
                st[name] = xp.zeros_like(p.data)
        st["step"] += 1
        yield p, g, st, xp


class KerasSGD(optim.SGD):
    """Keras's momentum form, ``m = momentum m - lr g``; ``p += m`` (Nesterov: ``p += momentum m - lr g``).

    At a constant learning rate it equals PyTorch's ``b = momentum b + g; p -= lr b``; when the rate
    changes (schedules, LearningRateScheduler, ReduceLROnPlateau) the velocity keeps the old rates,
    as in Keras."""

    def _step_group(self, group):
        lr, momentum, nesterov = float(group["lr"]), float(group["momentum"]), group["nesterov"]
        for p, g, st, xp in _grads(self, group):
            if "velocity" not in st:
                st["velocity"] = xp.zeros_like(p.data)
            m = st["velocity"]
            m[...] = m * momentum - g * lr
            if nesterov:
                p.data += m * momentum - g * lr
            else:
                p.data += m


class KerasAdagrad(optim.Adagrad):
    """Keras 3's Adagrad rule: ``acc += g^2; p -= lr * g / sqrt(acc + eps)``."""

    def _step_group(self, group):
        lr, eps, init = float(group["lr"]), float(group["eps"]), float(group["initial_accumulator_value"])
        for p, g, st, xp in _grads(self, group):
            if "sum" not in st:
                st["step"], st["sum"] = 0, xp.full_like(p.data, init)
            st["step"] += 1
            acc = st["sum"]
            acc += g * g
            p.data -= (lr * g) / xp.sqrt(acc + eps)


class KerasRMSprop(optim.RMSprop):
    """Keras 3's RMSprop rule: ``v = rho v + (1 - rho) g^2``; ``inc = lr g / sqrt(v + eps)`` (centered:
    ``sqrt(v - a^2 + eps)`` with ``a = rho a + (1 - rho) g``); with momentum ``m = momentum m + inc;
    p -= m``, else ``p -= inc``."""

    def _step_group(self, group):
        lr, rho, eps = float(group["lr"]), float(group["alpha"]), float(group["eps"])
        momentum, centered = float(group["momentum"]), group["centered"]
        for p, g, st, xp in _updates(self, group, "square_avg"):
            if momentum > 0 and "momentum_buffer" not in st:
                st["momentum_buffer"] = xp.zeros_like(p.data)
            if centered and "grad_avg" not in st:
                st["grad_avg"] = xp.zeros_like(p.data)
            v = st["square_avg"]
            v[...] = rho * v + (1.0 - rho) * (g * g)
            if centered:
                a = st["grad_avg"]
                a[...] = rho * a + (1.0 - rho) * g
                denominator = v - a * a + eps
            else:
                denominator = v + eps
            increment = (lr * g) / xp.sqrt(denominator)
            if momentum > 0:
                m = st["momentum_buffer"]
                m[...] = momentum * m + increment
                p.data -= m
            else:
                p.data -= increment


class KerasAdamax(optim.Adamax):
    """``m += (g - m)(1 - b1); u = max(b2 u, |g|); p -= lr m / ((1 - b1^t)(u + eps))``."""

    def _step_group(self, group):
        lr, eps = float(group["lr"]), float(group["eps"])
        b1, b2 = float(group["betas"][0]), float(group["betas"][1])
        for p, g, st, xp in _updates(self, group, "exp_avg", "exp_inf"):
            m, u = st["exp_avg"], st["exp_inf"]
            m += (g - m) * (1.0 - b1)
            u[...] = xp.maximum(b2 * u, xp.abs(g))
            p.data -= (lr * m) / ((1.0 - b1 ** st["step"]) * (u + eps))


class KerasNadam(optim.NAdam):
    """Keras's Nadam: ``u_t = b1 (1 - 0.5 * 0.96^t)``, ``u_prod`` their running product (``group['u_product']``,
    advanced once per step before the update), ``m_hat = u_{t+1} m / (1 - u_prod u_{t+1}) +
    (1 - u_t) g / (1 - u_prod)``, ``p -= lr m_hat / (sqrt(v / (1 - b2^t)) + eps)``."""

    def _step_group(self, group):
        lr, eps = float(group["lr"]), float(group["eps"])
        b1, b2 = float(group["betas"][0]), float(group["betas"][1])
        t = int(group.get("keras_step", 0)) + 1
        group["keras_step"] = t
        u_prod = float(group.get("u_product", 1.0)) * b1 * (1.0 - 0.5 * 0.96**t)
        group["u_product"] = u_prod
        u_t, u_next = b1 * (1.0 - 0.5 * 0.96**t), b1 * (1.0 - 0.5 * 0.96 ** (t + 1))
        u_prod_next = u_prod * u_next
        for p, g, st, xp in _updates(self, group, "exp_avg", "exp_avg_sq"):
            m, v = st["exp_avg"], st["exp_avg_sq"]
            m += (g - m) * (1.0 - b1)
            v += (g * g - v) * (1.0 - b2)
            m_hat = (u_next * m) / (1.0 - u_prod_next) + ((1.0 - u_t) * g) / (1.0 - u_prod)
            v_hat = v / (1.0 - b2**t)
            p.data -= (m_hat * lr) / (xp.sqrt(v_hat) + eps)


class KerasAdadelta(optim.Adadelta):
    """``a = rho a + (1 - rho) g^2; d = -sqrt(D + eps) g / sqrt(a + eps); D = rho D + (1 - rho) d^2; p += lr d``."""

    def _step_group(self, group):
        lr, rho, eps = float(group["lr"]), float(group["rho"]), float(group["eps"])
        for p, g, st, xp in _updates(self, group, "square_avg", "acc_delta"):
            a, acc_delta = st["square_avg"], st["acc_delta"]
            a[...] = rho * a + (1.0 - rho) * (g * g)
            delta = -(xp.sqrt(acc_delta + eps) * g) / xp.sqrt(a + eps)
            acc_delta[...] = rho * acc_delta + (1.0 - rho) * (delta * delta)
            p.data += lr * delta


__all__ = ["KerasSGD", "KerasAdagrad", "KerasRMSprop", "KerasAdamax", "KerasNadam", "KerasAdadelta"]
