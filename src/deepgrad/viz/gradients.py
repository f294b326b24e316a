"""Watch gradients vanish: per-layer gradient norms and activation statistics of an ``nn.Module``.

    mon = viz.GradientMonitor(model)        # forward hooks on every layer with a weight and every activation
    loss = F.cross_entropy(model(x), y)
    loss.backward()
    print(mon.report())                     # |dL/dW| per layer, saturated / dead fractions per activation
    viz.plot_gradient_norms(mon.gradient_norms(), "norms.png")
    mon.remove()

With sigmoid activations the first layers' gradients are orders of magnitude smaller than the
last layer's (each sigmoid multiplies the backward signal by at most 1/4); with ReLU they are not.
"""
from __future__ import annotations

import numpy as np

__all__ = ["GradientMonitor", "layer_gradient_norms", "plot_gradient_norms"]

SATURATING = {"Sigmoid": (0.01, 0.99), "Logistic": (0.01, 0.99), "Hardsigmoid": (0.0, 1.0),
              "Tanh": (-0.99, 0.99), "Hardtanh": (-1.0, 1.0)}
RECTIFIERS = {"ReLU", "ReLU6"}
ACTIVATIONS = set(SATURATING) | RECTIFIERS | {"LeakyReLU", "PReLU", "ELU", "SELU", "GELU", "SiLU", "Softplus",
                                              "Mish", "CELU", "Softsign", "Hardswish"}


def _weight(module):
    w = module._parameters.get("weight") if hasattr(module, "_parameters") else None
    return w


def _norm(t):
    if t is None:
        return None
    from deepgrad.backend import get_array_module

    a = t.data if hasattr(t, "data") else t
    xp = get_array_module(a)
    return float(xp.sqrt((a.astype(xp.float64) ** 2).sum()))


def layer_gradient_norms(model, loss=None):
    """{layer name: L2 norm of dL/dW} for every module with a weight, input to output.

    Without ``loss`` it reads the weights' ``.grad`` (call after ``loss.backward()``); with ``loss``
    it computes the gradients itself (``autograd.grad``, graph kept, no ``.grad`` changed).
    None where no gradient arrived."""
    _check_module(model, "layer_gradient_norms")
    layers = {name or type(m).__name__: _weight(m) for name, m in model.named_modules() if _weight(m) is not None}
    if loss is None:
        return {name: _norm(w.grad) for name, w in layers.items()}
    from deepgrad import autograd

    grads = autograd.grad(loss, list(layers.values()), retain_graph=True, allow_unused=True)
    return {name: _norm(g) for name, g in zip(layers, grads)}


def _check_module(model, who):
    if not hasattr(model, "named_modules"):
        raise TypeError(f"{who}: expected a deepgrad.nn.Module (e.g. nn.Sequential), got {type(model).__name__}")


def _activation_stats(kind, a):
    """mean, std, fraction saturated (sigmoid/tanh family) and fraction of dead units (ReLU)."""
    from deepgrad.backend import get_array_module

    xp = get_array_module(a)
    a = a.astype(xp.float64)
    stats = {"mean": float(a.mean()), "std": float(a.std()), "saturated": None, "dead": None}
    if kind in SATURATING:
        lo, hi = SATURATING[kind]
        stats["saturated"] = float(((a <= lo) | (a >= hi)).mean())
    if kind in RECTIFIERS:
        never = (a.reshape(a.shape[0], -1) <= 0).all(axis=0) if a.ndim > 1 else a <= 0
        stats["dead"] = float(never.mean())  # units that are 0 for every sample of the batch
    return stats


KERAS_ACTIVATIONS = {"sigmoid": "Sigmoid", "tanh": "Tanh", "relu": "ReLU", "relu6": "ReLU6",
                     "hard_sigmoid": "Hardsigmoid", "leaky_relu": "LeakyReLU", "elu": "ELU", "selu": "SELU",
                     "gelu": "GELU", "silu": "SiLU", "softplus": "Softplus", "mish": "Mish", "softsign": "Softsign"}


def _keras_layers(model):
    """name -> (layer, weight or None, activation kind or None) for a deepgrad.keras model's layers."""
    from deepgrad.keras import activations

    out = {}
    for layer in model.layers:
        act = getattr(layer, "activation", None)
        name = activations.serialize(act) if callable(act) else None
        kind = KERAS_ACTIVATIONS.get(name if isinstance(name, str) else None)
        weights = list(getattr(layer, "trainable_weights", ()))
        if weights or kind:
            out[layer.name] = (layer, weights[0] if weights else None, kind)
    return out


class _KerasHook:
    """Wraps one keras layer's ``call`` and ``call_with_logits`` (the path fit takes for a softmax or
    sigmoid output layer) with instance attributes; ``remove()`` restores them."""

    def __init__(self, layer, record):
        self.layer = layer
        call, call_with_logits = layer.call, layer.call_with_logits

        def hooked_call(*args, **kwargs):
            out = call(*args, **kwargs)
            record(out)
            return out

        def hooked_call_with_logits(*args, **kwargs):
            out, logits = call_with_logits(*args, **kwargs)
            if logits is not None:  # else it went through hooked_call
                record(out)
            return out, logits

        layer.call, layer.call_with_logits = hooked_call, hooked_call_with_logits

    def remove(self):
        self.layer.__dict__.pop("call", None)
        self.layer.__dict__.pop("call_with_logits", None)


class GradientMonitor:
    """Forward hooks on ``model``'s layers that keep, for the latest batch, each activation's
    statistics and (after backward) the norm of the gradient reaching each watched layer's output.

    ``model``: a ``deepgrad.nn.Module`` (every module with a weight, every activation module) or a
    ``deepgrad.keras`` model (every layer with weights, every layer with a sigmoid/tanh/ReLU...
    activation; after ``fit`` the norms are those of its last batch; a softmax/sigmoid output layer
    trained with cross entropy has no output gradient: fit takes the gradient at its logits).
    ``gradient_norms()``: {layer: |dL/dW|}, read from the weights' ``.grad``;
    ``output_gradient_norms()``: {layer: |dL/d output|} (the backprop deltas);
    ``activation_stats()``: {activation layer: {'mean', 'std', 'saturated', 'dead'}}
    ('saturated': fraction of outputs within 0.01 of a sigmoid's/tanh's bounds; 'dead': fraction of
    ReLU units that are 0 for every sample); ``report()`` a table; ``remove()`` takes the hooks off.
    """

    def __init__(self, model):
        self.model = model
        if hasattr(model, "named_modules"):
            self._watch = {}
            for name, m in model.named_modules():
                kind = type(m).__name__
                if _weight(m) is not None or kind in ACTIVATIONS:
                    self._watch[name or kind] = (m, _weight(m), kind if kind in ACTIVATIONS else None)
        elif hasattr(model, "layers") and hasattr(model, "trainable_weights"):
            self._watch = _keras_layers(model)
        else:
            raise TypeError(f"GradientMonitor: expected a deepgrad.nn.Module or a deepgrad.keras model, "
                            f"got {type(model).__name__}")
        if not self._watch:
            raise ValueError(f"GradientMonitor: {type(model).__name__} has no layer with a weight and no activation "
                             "to watch")
        self.layers = {name: m for name, (m, _, _) in self._watch.items()}
        self._stats, self._out_grads = {}, {}
        if hasattr(model, "named_modules"):
            self._handles = [m.register_forward_hook(lambda mod, inp, out, name=name: self._record(name, out))
                             for name, m in self.layers.items()]
        else:
            self._handles = [_KerasHook(m, lambda out, name=name: self._record(name, out))
                             for name, m in self.layers.items()]

    def _record(self, name, output):
        from deepgrad.tensor import Tensor

        if not isinstance(output, Tensor):
            return None
        kind = self._watch[name][2]
        if kind is not None:
            self._stats[name] = _activation_stats(kind, output.data)
        self._out_grads.pop(name, None)
        if output.requires_grad:
            output.register_hook(lambda g: self._out_grads.__setitem__(name, _norm(g)))
        return None

    def gradient_norms(self):
        return {name: _norm(w.grad) for name, (_, w, _) in self._watch.items() if w is not None}

    def output_gradient_norms(self):
        return {name: self._out_grads.get(name) for name in self.layers}

    def activation_stats(self):
        return {name: self._stats[name] for name in self.layers if name in self._stats}

    def report(self):
        """A table, one row per watched layer, input to output."""
        def f(v, spec):
            return "-" if v is None else format(v, spec)

        rows = [f"{'layer':<12} {'type':<10} {'|dL/dW|':>10} {'|dL/dout|':>10} {'mean':>7} {'std':>7} "
                f"{'saturated':>9} {'dead':>6}"]
        norms, outs, stats = self.gradient_norms(), self.output_gradient_norms(), self.activation_stats()
        for name, m in self.layers.items():
            s = stats.get(name, {})
            rows.append(f"{name:<12} {type(m).__name__:<10} {f(norms.get(name), '10.2e'):>10} "
                        f"{f(outs.get(name), '10.2e'):>10} {f(s.get('mean'), '7.3f'):>7} {f(s.get('std'), '7.3f'):>7} "
                        f"{f(s.get('saturated'), '9.1%'):>9} {f(s.get('dead'), '6.1%'):>6}")
        return "\n".join(rows)

    def remove(self):
        for h in self._handles:
            h.remove()
        self._handles = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()
        return False


def plot_gradient_norms(norms, path=None, title=None, dpi=100):
    """Per-layer gradient norms on a log scale, input layer on the left.

    ``norms``: {layer: norm} (from ``GradientMonitor.gradient_norms()``) or {run label: {layer: norm}}
    to compare runs (e.g. {'sigmoid': ..., 'relu': ...}) on the same axes."""
    from deepgrad.viz.plots import _figure, _save

    if not isinstance(norms, dict) or not norms:
        raise TypeError("plot_gradient_norms: expected a non-empty dict {layer: norm} or {label: {layer: norm}}")
    runs = norms if all(isinstance(v, dict) for v in norms.values()) else {"": norms}
    fig = _figure((6.0, 3.8))
    ax = fig.subplots()
    for label, run in runs.items():
        ys = np.array([np.nan if v is None else v for v in run.values()], dtype=np.float64)
        ax.semilogy(np.arange(1, len(ys) + 1), ys, "-o", markersize=4, label=label or None)
    ax.set_xlabel("layer (input -> output)")
    ax.set_ylabel("gradient norm")
    ax.set_title(title or "per-layer gradient norms")
    ax.grid(True, which="both", alpha=0.3)
    if len(runs) > 1 or "" not in runs:
        ax.legend()
    return _save(fig, path, dpi)
