"""``AdamW``: Adam with decoupled weight decay (Loshchilov and Hutter, 2017).

The decay shrinks the weights directly, ``p *= 1 - lr * weight_decay``, instead of entering the
gradient (and so the running moments) as Adam's L2 penalty does.  Same as ``torch.optim.AdamW``.
"""
from __future__ import annotations

from deepgrad.optim.adam import Adam


class AdamW(Adam):
    """Adam with decoupled weight decay (default 1e-2), updating parameters in place."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False, *,
                 maximize=False, **flags):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                         maximize=maximize, decoupled_weight_decay=True, **flags)

    def load_state_dict(self, state_dict):
        """Load as Adam does; AdamW always keeps its decay decoupled."""
        super().load_state_dict(state_dict)
        for group in self.param_groups:
            group["decoupled_weight_decay"] = True
