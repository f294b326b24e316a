"""Full backward hooks of a Module, as ``torch.nn.Module.register_full_backward_hook``.

The module's tensor inputs and its outputs each pass through one identity op; the output
identity's backward sees ``grad_output`` (and runs the backward pre-hooks), the input identity's
backward sees ``grad_input`` and runs the backward hooks, which may replace either.
"""
from __future__ import annotations

from deepgrad.autograd import Function, is_grad_enabled
from deepgrad.tensor import Tensor


class _HookIdentity(Function):
    """Identity on any number of tensors whose backward passes the gradients through ``on_backward``."""

    def __init__(self, on_backward):
        self.on_backward = on_backward

    def forward(self, *xs):
        return xs if len(xs) > 1 else xs[0]

    def backward(self, *gys):
        gxs = self.on_backward(tuple(gys))
        return gxs if len(gxs) > 1 else gxs[0]


def _differentiable(x):
    return isinstance(x, Tensor) and x.requires_grad and x.dtype.kind in "fc"


def _replace(who, res, old, what):
    if res is None:
        return old
    res = tuple(res) if isinstance(res, (tuple, list)) else (res,)
    if len(res) != len(old):
        raise RuntimeError(f"{who}: a backward hook returned {len(res)} values for {what}, expected {len(old)}")
    return res


class BackwardHooks:
    """One call of a module with backward hooks: wraps its inputs and outputs."""

    def __init__(self, module):
        self.module = module
        self.n_inputs = 0
        self.input_index = []  # positions of the wrapped (grad-requiring) inputs
        self.grad_outputs = None
        self.n_outputs, self.output_index = 0, []

    def wrap_inputs(self, args):
        self.n_inputs = len(args)
        if not is_grad_enabled():
            return args
        self.input_index = [i for i, a in enumerate(args) if _differentiable(a)]
        if not self.input_index:
            return args
        wrapped = _HookIdentity(self._input_backward)(*[args[i] for i in self.input_index])
        wrapped = wrapped if isinstance(wrapped, tuple) else (wrapped,)
        args = list(args)
        for i, w in zip(self.input_index, wrapped):
            args[i] = w
        return tuple(args)

    def wrap_outputs(self, out):
        if not is_grad_enabled():
            return out
        outs = out if isinstance(out, tuple) else (out,)
        index = [i for i, o in enumerate(outs) if _differentiable(o)]
        if not index:
            return out
        self.n_outputs, self.output_index = len(outs), index
        wrapped = _HookIdentity(self._output_backward)(*[outs[i] for i in index])
        wrapped = wrapped if isinstance(wrapped, tuple) else (wrapped,)
        outs = list(outs)
        for i, w in zip(index, wrapped):
            outs[i] = w
        return tuple(outs) if isinstance(out, tuple) else outs[0]

    def _output_backward(self, grads):
        m = self.module
        full = [None] * self.n_outputs  # one entry per output, None for the non-tensor ones (as PyTorch)
        for i, g in zip(self.output_index, grads):
            full[i] = g
        grads = tuple(full)
        for hook in list(m._backward_pre_hooks.values()):
            grads = _replace(type(m).__name__, hook(m, grads), grads, "grad_output")
        self.grad_outputs = grads
        if not self.input_index:  # no input needs a gradient: the hooks see grad_input of Nones
            none = (None,) * self.n_inputs
            for hook in list(m._backward_hooks.values()):
                res = hook(m, none, grads)
                if res is not None and not all(r is None for r in (res if isinstance(res, tuple) else (res,))):
                    raise RuntimeError(f"{type(m).__name__}: a backward hook of a module whose inputs do not "
                                       "require gradients must return None")
        return tuple(grads[i] for i in self.output_index)

    def _input_backward(self, grads):
        m = self.module
        full = [None] * self.n_inputs
        for i, g in zip(self.input_index, grads):
            full[i] = g
        full = tuple(full)
        for hook in list(m._backward_hooks.values()):
            full = _replace(type(m).__name__, hook(m, full, self.grad_outputs), full, "grad_input")
        return tuple(full[i] for i in self.input_index)
