"""``SGD``: stochastic gradient descent with momentum, dampening, Nesterov and weight decay.

As ``torch.optim.SGD``::

    g = grad + weight_decay * p                 (L2 penalty folded into the gradient)
    buf = g (first step), else momentum * buf + (1 - dampening) * g
    g = g + momentum * buf (nesterov) or buf
    p -= lr * g

On a CUDA GPU each parameter's update is one fused kernel (``deepgrad.kernels.optim``), the same
operations in the same order.
"""
from __future__ import annotations

from deepgrad.kernels._compile import use_kernels
from deepgrad.kernels.optim import sgd_update
from deepgrad.optim.optimizer import Optimizer, check_flags, check_nonnegative


class SGD(Optimizer):
    """Stochastic gradient descent (optionally with momentum), updating parameters in place."""

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, *,
                 maximize=False, **flags):
        check_flags("SGD", flags)
        check_nonnegative("SGD", lr=lr, momentum=momentum, weight_decay=weight_decay)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError(f"SGD: Nesterov momentum requires a momentum and zero dampening (nesterov=True), "
                             f"got momentum={momentum}, "
                             f"dampening={dampening}")
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                        nesterov=nesterov, maximize=maximize)
        super().__init__(params, defaults)

    def _step_group(self, group):
        lr = float(group["lr"])
        momentum = float(group["momentum"])
        dampening = float(group["dampening"])
        weight_decay = float(group["weight_decay"])
        nesterov, maximize = group["nesterov"], group["maximize"]
        state = self.state
        for p in group["params"]:
            grad = p.grad
            if grad is None:
                continue
            g = grad.data  # never written into: the engine may share gradient arrays
            if use_kernels(p.data) and g.dtype == p.data.dtype:  # one fused kernel on the GPU
                st = state[p] if momentum != 0 else None
                buf = sgd_update(p.data, g, None if st is None else st.get("momentum_buffer"), lr, weight_decay,
                                 momentum, dampening, nesterov, maximize)
                if st is not None:
                    st["momentum_buffer"] = buf
                continue
            if maximize:
                g = -g
            if weight_decay != 0:
                g = g + weight_decay * p.data
            if momentum != 0:
                st = state[p]
                buf = st.get("momentum_buffer")
                if buf is None:
                    buf = st["momentum_buffer"] = g.copy()
                else:
                    buf *= momentum
                    buf += g if dampening == 0 else (1.0 - dampening) * g
                g = g + momentum * buf if nesterov else buf
            p.data -= lr * g
