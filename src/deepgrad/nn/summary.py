"""``summary(model, input_shape)``: a table of layers, output shapes and parameter counts.

One forward pass on zeros (batch of 2, eval mode, no gradients) with a hook on every layer
records what each one outputs; the batch dimension is shown as -1.
"""
from __future__ import annotations

from deepgrad.autograd import no_grad
from deepgrad.nn.container import ModuleDict, ModuleList, Sequential
from deepgrad.tensor import Tensor

_CONTAINERS = (Sequential, ModuleList, ModuleDict)


def _shape_of(out):
    if isinstance(out, Tensor):
        return "[-1, " + ", ".join(str(s) for s in out.shape[1:]) + "]" if out.ndim else "[]"
    if isinstance(out, (tuple, list)):
        return ", ".join(_shape_of(o) for o in out)
    return type(out).__name__


def summary(model, input_shape, batch_size=2, dtype=None, device=None, print_fn=print):
    """Print (with ``print_fn``; None prints nothing) and return the layer table of ``model``
    run on zeros of shape (batch_size, *input_shape); a list of shapes feeds several inputs."""
    import deepgrad as dg

    shapes = input_shape if isinstance(input_shape, list) else [input_shape]
    if device is None:
        first = next(model.parameters(), None)
        device = first.device if first is not None else "cpu"
    if dtype is None:
        first = next(model.parameters(), None)
        dtype = first.dtype if first is not None else None
    inputs = [dg.zeros((batch_size, *tuple(s)), dtype=dtype, device=device) for s in shapes]

    rows = []
    handles = []
    names = {id(m): n for n, m in model.named_modules()}

    def hook(module, args, out):
        own = sum(p.numel() for p in module.parameters(recurse=False))
        name = names.get(id(module), "")
        label = f"{name} ({type(module).__name__})" if name else type(module).__name__
        rows.append((label, _shape_of(out), own))

    mods = [m for m in model.modules() if m is not model and not isinstance(m, _CONTAINERS)]
    if not mods:
        mods = [model]
    for m in mods:
        handles.append(m.register_forward_hook(hook))
    modes = {id(m): m.training for m in model.modules()}
    model.eval()
    try:
        with no_grad():
            model(*inputs)
    finally:
        for h in handles:
            h.remove()
        for m in model.modules():
            m.__dict__["training"] = modes[id(m)]

    params = list(model.parameters())
    total = sum(p.numel() for p in params)
    trainable = sum(p.numel() for p in params if p.requires_grad)
    w1 = max([len("Layer (type)")] + [len(r[0]) for r in rows]) + 2
    w2 = max([len("Output Shape")] + [len(r[1]) for r in rows]) + 2
    w3 = max([len("Param #")] + [len(f"{r[2]:,}") for r in rows])
    width = w1 + w2 + w3
    lines = ["-" * width, f"{'Layer (type)':<{w1}}{'Output Shape':<{w2}}{'Param #':>{w3}}", "=" * width]
    lines += [f"{a:<{w1}}{b:<{w2}}{c:>{w3},}" for a, b, c in rows]
    lines += ["=" * width, f"Total params: {total:,}", f"Trainable params: {trainable:,}",
              f"Non-trainable params: {total - trainable:,}", "-" * width]
    text = "\n".join(lines)
    if print_fn is not None:
        print_fn(text)
    return text


__all__ = ["summary"]
