"""``Adam``: bias-corrected running means of the gradient and of its square.

As ``torch.optim.Adam`` (single-tensor path, same order of operations)::

    g = grad + weight_decay * p            (decoupled_weight_decay=False, the default)
    p *= 1 - lr * weight_decay             (decoupled_weight_decay=True, i.e. AdamW)
    m = lerp(m, g, 1 - beta1);  v = beta2 * v + (1 - beta2) * g^2
    vmax = max(vmax, v) and use vmax for v (amsgrad)
    p -= lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)

On a CUDA GPU each parameter's update is one fused kernel (``deepgrad.kernels.optim``), the same
operations in the same order.
"""
from __future__ import annotations

from deepgrad.backend import get_array_module
from deepgrad.kernels._compile import use_kernels
from deepgrad.kernels.optim import adam_update
from deepgrad.optim.optimizer import Optimizer, check_betas, check_flags, check_nonnegative


def _check(name, lr, betas, eps, weight_decay):
    check_nonnegative(name, lr=lr, eps=eps)
    check_betas(name, betas)
    check_nonnegative(name, weight_decay=weight_decay)


class Adam(Optimizer):
    """Adam (Kingma and Ba, 2014), optionally AMSGrad, updating parameters in place."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, *,
                 maximize=False, decoupled_weight_decay=False, **flags):
        check_flags(type(self).__name__, flags)
        _check(type(self).__name__, lr, betas, eps, weight_decay)
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                        maximize=maximize, decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)

    def _step_group(self, group):
        lr = float(group["lr"])
        beta1, beta2 = float(group["betas"][0]), float(group["betas"][1])
        eps = float(group["eps"])
        weight_decay = float(group["weight_decay"])
        amsgrad, maximize, decoupled = group["amsgrad"], group["maximize"], group["decoupled_weight_decay"]
        for p in group["params"]:
            if p.grad is None:
                continue
            xp = get_array_module(p.data)
            w = p.data
            st = self.state[p]
            if not st:
                st["step"] = 0
                st["exp_avg"] = xp.zeros_like(w)
                st["exp_avg_sq"] = xp.zeros_like(w)
            if amsgrad and "max_exp_avg_sq" not in st:
                st["max_exp_avg_sq"] = xp.zeros_like(w)
            g = p.grad.data
            if use_kernels(w) and g.dtype == w.dtype:  # one fused kernel on the GPU
                st["step"] = step = st["step"] + 1
                adam_update(w, g, st["exp_avg"], st["exp_avg_sq"], st.get("max_exp_avg_sq") if amsgrad else None,
                            step, lr, beta1, beta2, eps, weight_decay, decoupled, maximize)
                continue
            if maximize:
                g = -g
            st["step"] = step = st["step"] + 1
            if weight_decay != 0:
                if decoupled:
                    w *= 1.0 - lr * weight_decay
                else:
                    g = g + weight_decay * w
            exp_avg, exp_avg_sq = st["exp_avg"], st["exp_avg_sq"]
            t = g - exp_avg  # exp_avg.lerp_(g, 1 - beta1)
            t *= 1.0 - beta1
            exp_avg += t
            exp_avg_sq *= beta2
            xp.multiply(g, g, out=t)
            t *= 1.0 - beta2
            exp_avg_sq += t
            step_size = lr / (1.0 - beta1**step)
            bias_correction2_sqrt = (1.0 - beta2**step) ** 0.5
            if amsgrad:
                xp.maximum(st["max_exp_avg_sq"], exp_avg_sq, out=st["max_exp_avg_sq"])
                xp.sqrt(st["max_exp_avg_sq"], out=t)
            else:
                xp.sqrt(exp_avg_sq, out=t)
            t /= bias_correction2_sqrt
            t += eps
            xp.divide(exp_avg, t, out=t)
            t *= -step_size
            w += t
