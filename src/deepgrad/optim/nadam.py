"""``NAdam``: Adam with Nesterov momentum and a momentum-decay schedule (Dozat, 2016).

As ``torch.optim.NAdam``::

    g = grad + weight_decay * p   (or p *= 1 - lr * weight_decay with decoupled_weight_decay)
    mu_t = beta1 * (1 - 0.5 * 0.96^(t * momentum_decay)),  mu_product *= mu_t
    m = lerp(m, g, 1 - beta1);  v = beta2 * v + (1 - beta2) * g^2
    denom = sqrt(v / (1 - beta2^t)) + eps
    p -= lr * (1 - mu_t) / (1 - mu_product) * g / denom
    p -= lr * mu_{t+1} / (1 - mu_product * mu_{t+1}) * m / denom
"""
from __future__ import annotations

from deepgrad.backend import get_array_module
from deepgrad.optim.adam import _check
from deepgrad.optim.optimizer import Optimizer, check_flags, check_nonnegative


class NAdam(Optimizer):
    """NAdam, updating parameters in place."""

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, momentum_decay=4e-3,
                 decoupled_weight_decay=False, *, maximize=False, **flags):
        check_flags("NAdam", flags)
        _check("NAdam", lr, betas, eps, weight_decay)
        check_nonnegative("NAdam", momentum_decay=momentum_decay)
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                        momentum_decay=momentum_decay, decoupled_weight_decay=decoupled_weight_decay,
                        maximize=maximize)
        super().__init__(params, defaults)

    def _step_group(self, group):
        lr = float(group["lr"])
        beta1, beta2 = float(group["betas"][0]), float(group["betas"][1])
        eps = float(group["eps"])
        weight_decay = float(group["weight_decay"])
        momentum_decay = float(group["momentum_decay"])
        maximize, decoupled = group["maximize"], group["decoupled_weight_decay"]
        for p in group["params"]:
            if p.grad is None:
                continue
            xp = get_array_module(p.data)
            w = p.data
            st = self.state[p]
            if not st:
                st["step"] = 0
                st["mu_product"] = 1.0
                st["exp_avg"] = xp.zeros_like(w)
                st["exp_avg_sq"] = xp.zeros_like(w)
            g = p.grad.data
            if maximize:
                g = -g
            st["step"] = step = st["step"] + 1
            bias_correction2 = 1.0 - beta2**step
            if weight_decay != 0:
                if decoupled:
                    w *= 1.0 - lr * weight_decay
                else:
                    g = g + weight_decay * w
            mu = beta1 * (1.0 - 0.5 * 0.96 ** (step * momentum_decay))
            mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((step + 1) * momentum_decay))
            st["mu_product"] = mu_product = st["mu_product"] * mu
            mu_product_next = mu_product * mu_next
            exp_avg, exp_avg_sq = st["exp_avg"], st["exp_avg_sq"]
            t = g - exp_avg
            t *= 1.0 - beta1
            exp_avg += t
            exp_avg_sq *= beta2
            xp.multiply(g, g, out=t)
            t *= 1.0 - beta2
            exp_avg_sq += t
            denom = exp_avg_sq / bias_correction2
            xp.sqrt(denom, out=denom)
            denom += eps
            xp.divide(g, denom, out=t)
            t *= -lr * (1.0 - mu) / (1.0 - mu_product)
            w += t
            xp.divide(exp_avg, denom, out=t)
            t *= -lr * mu_next / (1.0 - mu_product_next)
            w += t
