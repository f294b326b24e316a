"""``Rprop``: resilient backpropagation, per-element step sizes driven by the sign of the gradient.

As ``torch.optim.Rprop``: where grad * prev > 0 the step size grows by etaplus, where < 0 it
shrinks by etaminus (and that element's gradient counts as 0 for this step and the next),
clamped to ``step_sizes``; then p -= sign(grad) * step_size.
"""
from __future__ import annotations

from deepgrad.backend import get_array_module
from deepgrad.optim.optimizer import Optimizer, check_flags, check_nonnegative


class Rprop(Optimizer):
    """Rprop (full-batch training), updating parameters in place."""

    def __init__(self, params, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *, maximize=False, **flags):
        check_flags("Rprop", flags)
        check_nonnegative("Rprop", lr=lr)
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Rprop: Invalid eta values: {etas[0]}, {etas[1]} (need 0 < etaminus < 1 < etaplus)")
        defaults = dict(lr=lr, etas=tuple(etas), step_sizes=tuple(step_sizes), maximize=maximize)
        super().__init__(params, defaults)

    def _step_group(self, group):
        etaminus, etaplus = float(group["etas"][0]), float(group["etas"][1])
        step_min, step_max = float(group["step_sizes"][0]), float(group["step_sizes"][1])
        for p in group["params"]:
            if p.grad is None:
                continue
            xp = get_array_module(p.data)
            st = self.state[p]
            if not st:
                st["step"] = 0
                st["prev"] = xp.zeros_like(p.data)
                st["step_size"] = xp.full_like(p.data, float(group["lr"]))
            st["step"] += 1
            g = -p.grad.data if group["maximize"] else p.grad.data
            sign = xp.sign(g * st["prev"])
            factor = xp.where(sign > 0, etaplus, xp.where(sign < 0, etaminus, 1.0)).astype(p.data.dtype)
            step_size = st["step_size"]
            step_size *= factor
            xp.clip(step_size, step_min, step_max, out=step_size)
            g = xp.where(sign < 0, 0, g).astype(p.data.dtype)
            p.data -= xp.sign(g) * step_size
            st["prev"][...] = g
