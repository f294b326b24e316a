"""``RAdam``: Adam with the variance of the adaptive lr rectified (Liu et al., 2019).

As ``torch.optim.RAdam`` (single-tensor path)::

    g = grad + weight_decay * p       (or p *= 1 - lr * weight_decay with decoupled_weight_decay)
    m = lerp(m, g, 1 - beta1);  v = beta2 * v + (1 - beta2) * g^2
    rho_inf = 2 / (1 - beta2) - 1;  rho_t = rho_inf - 2 t beta2^t / (1 - beta2^t)
    p -= lr * m / (1 - beta1^t) * r_t * sqrt(1 - beta2^t) / (sqrt(v) + eps)   if rho_t > 5
    p -= lr * m / (1 - beta1^t)                                                otherwise
"""
from __future__ import annotations

import math

from deepgrad.backend import get_array_module
from deepgrad.optim.adam import _check
from deepgrad.optim.optimizer import Optimizer, _grad, check_flags


class RAdam(Optimizer):
    """Rectified Adam, updating parameters in place."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, decoupled_weight_decay=False,
                 *, maximize=False, **flags):
        check_flags("RAdam", flags)
        _check("RAdam", lr, betas, eps, weight_decay)
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                        decoupled_weight_decay=decoupled_weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def _step_group(self, group):
        lr = float(group["lr"])
        beta1, beta2 = float(group["betas"][0]), float(group["betas"][1])
        eps = float(group["eps"])
        weight_decay = float(group["weight_decay"])
        decoupled, maximize = group["decoupled_weight_decay"], group["maximize"]
        for p in group["params"]:
            if p.grad is None:
                continue
            xp = get_array_module(p.data)
            st = self.state[p]
            if not st:
                st["step"] = 0
                st["exp_avg"] = xp.zeros_like(p.data)
                st["exp_avg_sq"] = xp.zeros_like(p.data)
            st["step"] = step = st["step"] + 1
            if weight_decay != 0 and decoupled:
                p.data *= 1.0 - lr * weight_decay
                g = _grad(p, maximize, 0.0)
            else:
                g = _grad(p, maximize, weight_decay)
            exp_avg, exp_avg_sq = st["exp_avg"], st["exp_avg_sq"]
            exp_avg += (g - exp_avg) * (1.0 - beta1)
            exp_avg_sq *= beta2
            exp_avg_sq += (1.0 - beta2) * g * g
            bc1, bc2 = 1.0 - beta1**step, 1.0 - beta2**step
            m_hat = exp_avg / bc1
            rho_inf = 2.0 / (1.0 - beta2) - 1.0
            rho_t = rho_inf - 2.0 * step * beta2**step / bc2
            if rho_t > 5.0:
                rect = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
                adaptive = math.sqrt(bc2) / (xp.sqrt(exp_avg_sq) + eps)
                p.data -= m_hat * lr * adaptive * rect
            else:
                p.data -= m_hat * lr
