"""``Adagrad``: a learning rate per parameter element, divided by the root of its summed squared gradients.

As ``torch.optim.Adagrad`` (and seed 001's slides: alpha / sqrt(sum of g^2))::

    g = grad + weight_decay * p
    clr = lr / (1 + (step - 1) * lr_decay)
    sum += g * g
    p -= clr * g / (sqrt(sum) + eps)
"""
from __future__ import annotations

from deepgrad.backend import get_array_module
from deepgrad.optim.optimizer import Optimizer, _grad, check_flags, check_nonnegative


class Adagrad(Optimizer):
    """Adagrad (Duchi et al., 2011), updating parameters in place."""

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10, *,
                 maximize=False, **flags):
        check_flags("Adagrad", flags)
        check_nonnegative("Adagrad", lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                          initial_accumulator_value=initial_accumulator_value, eps=eps)
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, maximize=maximize)
        super().__init__(params, defaults)
        for group in self.param_groups:  # PyTorch creates Adagrad's state up front
            init = float(group["initial_accumulator_value"])
            for p in group["params"]:
                st = self.state[p]
                st["step"] = 0
                st["sum"] = get_array_module(p.data).full_like(p.data, init)

    def _step_group(self, group):
        lr = float(group["lr"])
        lr_decay = float(group["lr_decay"])
        eps = float(group["eps"])
        weight_decay = float(group["weight_decay"])
        maximize = group["maximize"]
        init = float(group["initial_accumulator_value"])
        for p in group["params"]:
            if p.grad is None:
                continue
            xp = get_array_module(p.data)
            st = self.state[p]
            if "sum" not in st:  # a parameter added by add_param_group
                st["step"] = 0
                st["sum"] = xp.full_like(p.data, init)
            g = _grad(p, maximize, weight_decay)
            st["step"] += 1
            clr = lr / (1.0 + (st["step"] - 1) * lr_decay)
            acc = st["sum"]
            acc += g * g
            std = xp.sqrt(acc)
            std += eps
            xp.divide(g, std, out=std)
            std *= -clr
            p.data += std
