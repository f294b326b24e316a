"""``RMSprop``: divide the gradient by a running root-mean-square of recent gradients.

As ``torch.optim.RMSprop``::

    g = grad + weight_decay * p
    square_avg = alpha * square_avg + (1 - alpha) * g^2
    avg = sqrt(square_avg - grad_avg^2) + eps   (centered; grad_avg = running mean of g)
          sqrt(square_avg) + eps                (otherwise)
    buf = momentum * buf + g / avg; p -= lr * buf   (momentum > 0)
    p -= lr * g / avg                               (otherwise)
"""
from __future__ import annotations

from deepgrad.backend import get_array_module
from deepgrad.optim.optimizer import Optimizer, _grad, check_flags, check_nonnegative


class RMSprop(Optimizer):
    """RMSprop (Hinton's lecture 6e), optionally centered and with momentum, updating in place."""

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False, *,
                 maximize=False, **flags):
        check_flags("RMSprop", flags)
        check_nonnegative("RMSprop", lr=lr, eps=eps, momentum=momentum, weight_decay=weight_decay, alpha=alpha)
        defaults = dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered,
                        weight_decay=weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def _step_group(self, group):
        lr = float(group["lr"])
        alpha = float(group["alpha"])
        eps = float(group["eps"])
        weight_decay = float(group["weight_decay"])
        momentum = float(group["momentum"])
        centered, maximize = group["centered"], group["maximize"]
        for p in group["params"]:
            if p.grad is None:
                continue
            xp = get_array_module(p.data)
            st = self.state[p]
            if not st:
                st["step"] = 0
                st["square_avg"] = xp.zeros_like(p.data)
            if momentum > 0 and "momentum_buffer" not in st:
                st["momentum_buffer"] = xp.zeros_like(p.data)
            if centered and "grad_avg" not in st:
                st["grad_avg"] = xp.zeros_like(p.data)
            g = _grad(p, maximize, weight_decay)
            st["step"] += 1
            square_avg = st["square_avg"]
            square_avg *= alpha
            gg = g * g
            gg *= 1.0 - alpha
            square_avg += gg
            if centered:
                grad_avg = st["grad_avg"]
                grad_avg += (1.0 - alpha) * (g - grad_avg)  # lerp toward g
                avg = square_avg - grad_avg * grad_avg
                xp.sqrt(avg, out=avg)
            else:
                avg = xp.sqrt(square_avg)
            avg += eps
            if momentum > 0:
                buf = st["momentum_buffer"]
                buf *= momentum
                buf += g / avg
                p.data -= lr * buf
            else:
                xp.divide(g, avg, out=avg)
                avg *= -lr
                p.data += avg
