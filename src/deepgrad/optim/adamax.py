"""``Adamax``: Adam with the infinity norm in place of the root mean square (Kingma and Ba, 2014).

As ``torch.optim.Adamax``::

    g = grad + weight_decay * p
    m = lerp(m, g, 1 - beta1)
    u = max(beta2 * u, |g| + eps)
    p -= lr / (1 - beta1^t) * m / u
"""
from __future__ import annotations

from deepgrad.backend import get_array_module
from deepgrad.optim.adam import _check
from deepgrad.optim.optimizer import Optimizer, _grad, check_flags


class Adamax(Optimizer):
    """Adamax, updating parameters in place."""

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, *, maximize=False, **flags):
        check_flags("Adamax", flags)
        _check("Adamax", lr, betas, eps, weight_decay)
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def _step_group(self, group):
        lr = float(group["lr"])
        beta1, beta2 = float(group["betas"][0]), float(group["betas"][1])
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
                st["exp_avg"] = xp.zeros_like(p.data)
                st["exp_inf"] = xp.zeros_like(p.data)
            g = _grad(p, maximize, weight_decay)
            st["step"] = step = st["step"] + 1
            exp_avg, exp_inf = st["exp_avg"], st["exp_inf"]
            t = g - exp_avg
            t *= 1.0 - beta1
            exp_avg += t
            exp_inf *= beta2
            xp.abs(g, out=t)
            t += eps
            xp.maximum(exp_inf, t, out=exp_inf)
            clr = lr / (1.0 - beta1**step)
            xp.divide(exp_avg, exp_inf, out=t)
            t *= -clr
            p.data += t
