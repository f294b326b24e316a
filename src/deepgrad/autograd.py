"""The engine: ``Function`` (one op, forward and backward side by side) and reverse mode.

A ``Function`` is called on Tensors.  It runs ``forward`` on the raw arrays (numpy or cupy),
wraps the results in Tensors and, when gradients are being recorded and some input needs
one, links the outputs to itself.  ``backward`` receives the output gradients as Tensors and
returns the input gradients as Tensors, written with deepgrad ops, so that running it while
recording (``create_graph=True``) gives higher-order gradients.

Reverse mode walks the graph by generation with a heap (no recursion), sums the gradients
flowing into each tensor, and frees every function's saved tensors as it goes unless
``retain_graph`` is asked for.
"""
from __future__ import annotations

import contextlib
import functools
import heapq
import itertools
import weakref


class _Config:
    grad_enabled = True
    anomaly = False


config = _Config()


class _GradMode(contextlib.ContextDecorator):
    """Base of ``no_grad`` / ``enable_grad``: a context manager and a decorator."""

    mode = True

    def __enter__(self):
        self._prev = config.grad_enabled
        config.grad_enabled = self.mode
        return self

    def __exit__(self, *exc):
        config.grad_enabled = self._prev
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.__class__():
                return fn(*args, **kwargs)

        return wrapper


class no_grad(_GradMode):
    """Record nothing inside: ``with deepgrad.no_grad(): ...`` or ``@deepgrad.no_grad()``."""

    mode = False


class enable_grad(_GradMode):
    """Record again inside a ``no_grad`` region."""

    mode = True


class set_grad_enabled(_GradMode):
    def __init__(self, mode: bool):
        self.mode = bool(mode)

    def __call__(self, fn):
        mode = self.mode

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(mode):
                return fn(*args, **kwargs)

        return wrapper


def is_grad_enabled() -> bool:
    return config.grad_enabled


_RELEASED = (
    "Trying to backward through the graph a second time (or to read saved tensors after "
    "they were freed). The graph of {name} was released by the first backward; call "
    ".backward(retain_graph=True) the first time if you need to backward twice."
)


class Function:
    """One differentiable op.  Subclasses define ``forward(*arrays)`` and ``backward(*grads)``.

    ``forward`` sees raw arrays; whatever backward needs it stores on ``self`` (prefer
    ``self.inputs`` / ``self.output`` which the engine keeps, or tensors built from arrays).
    ``backward`` gets one gradient Tensor per output (None where no gradient arrived for a
    multi-output op) and returns one gradient Tensor (or None) per input.
    """

    generation = 0
    inputs = None
    outputs = None

    def __call__(self, *inputs):
        from deepgrad.tensor import Tensor, as_tensor

        if len(inputs) == 1:
            x = inputs[0]
            if type(x) is not Tensor:
                x = as_tensor(x)
            tensors = (x,)
            try:
                ys = self.forward(x.data)
            except (ValueError, TypeError, IndexError) as e:
                raise _op_error(self, e, tensors) from e
            needs = x.requires_grad
        else:
            ref = None
            for x in inputs:
                if isinstance(x, Tensor):
                    ref = x
                    break
            tensors = tuple(x if isinstance(x, Tensor) else as_tensor(x, like=ref) for x in inputs)
            try:
                ys = self.forward(*[t.data for t in tensors])
            except (ValueError, TypeError, IndexError) as e:
                raise _op_error(self, e, tensors) from e
            needs = any(t.requires_grad for t in tensors)
        if config.anomaly:
            _check_finite(self, ys, "forward")
        if type(ys) is tuple:
            outputs = tuple(Tensor._make(y) for y in ys)
        else:
            outputs = (Tensor._make(ys),)
        if needs and config.grad_enabled:
            self.generation = max(t._generation for t in tensors)
            self.inputs = tensors
            self.outputs = tuple(weakref.ref(o) for o in outputs)
            gen = self.generation + 1
            for o in outputs:
                if o.data.dtype.kind in "fc":
                    o.creator = self
                    o.requires_grad = True
                    o._generation = gen
        return outputs if len(outputs) > 1 else outputs[0]

    # -- to override ---------------------------------------------------------------
    def forward(self, *xs):  # pragma: no cover - abstract
        raise NotImplementedError

    def backward(self, *gys):  # pragma: no cover - abstract
        raise NotImplementedError(f"{type(self).__name__} has no backward")

    # -- helpers ---------------------------------------------------------------------
    @property
    def name(self):
        return type(self).__name__

    def release(self):
        """Drop everything kept for backward (called after backward unless retain_graph)."""
        self.inputs = None
        self.__dict__.clear()
        self._released = True

    def __repr__(self):
        return f"<{self.name} backward>"


def _op_error(fn, err, tensors):
    """Re-raise a failure inside forward with the op's name, the input shapes and devices."""
    from deepgrad.backend import device_of

    devices = {str(device_of(t.data)) for t in tensors}
    if len(devices) > 1:
        return RuntimeError(
            f"{fn.name}: expected all tensors on the same device, got {' and '.join(sorted(devices))}"
        )
    msg = str(err)
    if getattr(err, "_deepgrad", False):  # already says what went wrong in our words
        return err
    shapes = ", ".join(str(tuple(t.shape)) for t in tensors)
    new = type(err)(f"{fn.name}: {msg} (input shapes {shapes})")
    new._deepgrad = True
    return new


def _check_finite(fn, arrays, phase):
    from deepgrad.backend import get_array_module

    if not isinstance(arrays, (tuple, list)):
        arrays = (arrays,)
    for a in arrays:
        if a is None:
            continue
        a = getattr(a, "data", a)
        if getattr(a, "dtype", None) is not None and a.dtype.kind in "fc":
            xp = get_array_module(a)
            if not bool(xp.isfinite(a).all()):
                raise FloatingPointError(
                    f"detect_anomaly: {fn.name}.{phase} produced NaN or inf "
                    f"(output shape {tuple(a.shape)})"
                )


@contextlib.contextmanager
def detect_anomaly():
    """Raise FloatingPointError naming the first op whose forward or backward gives NaN/inf."""
    prev = config.anomaly
    config.anomaly = True
    try:
        yield
    finally:
        config.anomaly = prev


def _accumulate(a, b):
    if a is None:
        return b
    return a + b


def run_backward(roots, root_grads, retain_graph=False, create_graph=False, inputs=None):
    """Reverse mode from ``roots`` seeded with ``root_grads``.

    With ``inputs`` (autograd.grad) returns their gradients and leaves ``.grad`` alone;
    otherwise accumulates into the ``.grad`` of leaves and of tensors that ``retain_grad()``.
    """
    grads = {}  # id(tensor) -> [tensor, grad]; the tensor is held so its id stays valid
    heap = []
    pushed = set()
    counter = itertools.count()
    capture = None if inputs is None else {id(t): None for t in inputs}

    def push(f):
        if id(f) not in pushed:
            pushed.add(id(f))
            heapq.heappush(heap, (-f.generation, next(counter), f))

    for t, g in zip(roots, root_grads):
        entry = grads.get(id(t))
        if entry is None:
            grads[id(t)] = [t, g]
        else:
            entry[1] = entry[1] + g
        if t.creator is not None:
            push(t.creator)

    def deliver(t, g):
        if capture is not None:
            if id(t) in capture:
                capture[id(t)] = g
            return
        if t.creator is None or t._retains_grad:
            if not create_graph:
                g = g.detach()
            if t.grad is None:
                t.grad = g
            elif create_graph:
                t.grad = t.grad + g
            else:
                t.grad.data = t.grad.data + g.data

    prev = config.grad_enabled
    config.grad_enabled = create_graph
    try:
        while heap:
            _, _, f = heapq.heappop(heap)
            if f.inputs is None:
                raise RuntimeError(_RELEASED.format(name=f.name))
            gys = []
            for ref in f.outputs:
                o = ref()
                entry = grads.pop(id(o), None) if o is not None else None
                if entry is None:
                    gys.append(None)
                else:
                    gys.append(entry[1])
                    if o._retains_grad or (capture is not None and id(o) in capture):
                        deliver(o, entry[1])
            if all(g is None for g in gys):
                if not retain_graph:
                    f.release()
                continue
            gxs = f.backward(*gys)
            if type(gxs) is not tuple:
                gxs = (gxs,)
            if config.anomaly:
                _check_finite(f, gxs, "backward")
            for x, gx in zip(f.inputs, gxs):
                if gx is None or not x.requires_grad:
                    continue
                entry = grads.get(id(x))
                if entry is None:
                    grads[id(x)] = [x, gx]
                else:
                    entry[1] = entry[1] + gx
                if x.creator is not None:
                    push(x.creator)
            if not retain_graph:
                f.release()
    finally:
        config.grad_enabled = prev

    for t, g in grads.values():  # what is left are leaves
        if t.creator is None:
            deliver(t, g)
    if capture is not None:
        return [capture[id(t)] for t in inputs]
    return None


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, allow_unused=False):
    """Gradients of ``outputs`` with respect to ``inputs`` (as ``torch.autograd.grad``)."""
    from deepgrad.tensor import Tensor, _seed_grad

    single_out = isinstance(outputs, Tensor)
    outputs = [outputs] if single_out else list(outputs)
    single_in = isinstance(inputs, Tensor)
    inputs = [inputs] if single_in else list(inputs)
    if grad_outputs is None:
        grad_outputs = [None] * len(outputs)
    elif isinstance(grad_outputs, Tensor):
        grad_outputs = [grad_outputs]
    for t in inputs:
        if not t.requires_grad:
            raise RuntimeError("grad: one of the inputs does not require grad")
    seeds = [_seed_grad(o, g, "grad") for o, g in zip(outputs, grad_outputs)]
    if retain_graph is None:
        retain_graph = create_graph
    result = run_backward(outputs, seeds, retain_graph=retain_graph, create_graph=create_graph, inputs=inputs)
    for i, (t, g) in enumerate(zip(inputs, result)):
        if g is None and not allow_unused:
            raise RuntimeError(
                f"grad: input {i} (shape {t.shape}) was not used to compute the outputs; "
                "pass allow_unused=True to get None for it"
            )
        if g is not None and not create_graph:
            result[i] = g.detach()
    return tuple(result)
