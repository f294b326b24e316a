"""``Adadelta``: step sizes from the ratio of running RMS of updates and of gradients (Zeiler, 2012).

As ``torch.optim.Adadelta``::

    g = grad + weight_decay * p
    square_avg = rho * square_avg + (1 - rho) * g^2
    delta = sqrt(acc_delta + eps) / sqrt(square_avg + eps) * g
    acc_delta = rho * acc_delta + (1 - rho) * delta^2
    p -= lr * delta
"""
from __future__ import annotations

from deepgrad.backend import get_array_module
from deepgrad.optim.optimizer import Optimizer, _grad, check_flags, check_nonnegative


class Adadelta(Optimizer):
    """Adadelta, updating parameters in place."""

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, *, maximize=False, **flags):
        check_flags("Adadelta", flags)
        check_nonnegative("Adadelta", lr=lr)
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Adadelta: Invalid rho value: {rho} (must be in [0, 1])")
        check_nonnegative("Adadelta", eps=eps, weight_decay=weight_decay)
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def _step_group(self, group):
        lr = float(group["lr"])
        rho = float(group["rho"])
        eps = float(group["eps"])
        weight_decay = float(group["weight_decay"])
        maximize = group["maximize"]
        for p in group["params"]:
            if p.grad is None:
                continue
            xp = get_array_module(p.data)
            st = self.state[p]
            if not st:
                st["step"] = 0
                st["square_avg"] = xp.zeros_like(p.data)
                st["acc_delta"] = xp.zeros_like(p.data)
            g = _grad(p, maximize, weight_decay)
            st["step"] += 1
            square_avg, acc_delta = st["square_avg"], st["acc_delta"]
            square_avg *= rho
            t = g * g
            t *= 1.0 - rho
            square_avg += t
            std = square_avg + eps
            xp.sqrt(std, out=std)
            delta = acc_delta + eps
            xp.sqrt(delta, out=delta)
            delta /= std
            delta *= g
            acc_delta *= rho
            xp.multiply(delta, delta, out=t)
            t *= 1.0 - rho
            acc_delta += t
            delta *= -lr
            p.data += delta
