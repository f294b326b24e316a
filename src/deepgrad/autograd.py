"""The engine: ``Function`` (one op, forward and backward side by side) and reverse mode.

A ``Function`` is called on Tensors.  It runs ``forward`` on the raw arrays (numpy or cupy),
wraps the results in Tensors and, when gradients are being recorded and some input needs
one, links the outputs to itself.  ``backward`` receives the output gradients as Tensors and
returns the input gradients as Tensors, written with deepgrad ops, so that running it while
recording (``create_graph=True``) gives higher-order gradients.

Reverse mode walks the graph by generation with a heap (no recursion), sums the gradients
flowing into each tensor, and frees every function's saved tensors as it goes unless
``retain_graph`` is asked for.  Every ``.grad`` it writes is an array of its own: writeable,
contiguous and shared with no other tensor (a broadcast view or an array already handed out is
copied; anything else is taken as is), accumulated in place on later calls as in PyTorch.
"""
from __future__ import annotations

import contextlib
import functools
import heapq
import itertools
import sys
import threading
import weakref

_ref = weakref.ref
# Bound by deepgrad.tensor once Tensor exists (tensor.py imports this module, not the reverse).
_Tensor = None
_as_tensor = None
_make = None


def _bind_tensor(tensor_cls, as_tensor, wrap):
    global _Tensor, _as_tensor, _make
    _Tensor, _as_tensor, _make = tensor_cls, as_tensor, wrap


class _Config(threading.local):
    """Per-thread switches (as PyTorch's grad mode): a data-loading thread that enters
    ``no_grad`` never stops the training thread from recording."""

    grad_enabled = True
    anomaly = False


config = _Config()


class _GradMode:
    """Base of ``no_grad`` / ``enable_grad``: a context manager and a decorator.

    Works as ``with no_grad():``, ``@no_grad()`` and bare ``@no_grad``."""

    mode = True

    def __new__(cls, orig_func=None):
        if orig_func is None or cls is set_grad_enabled:
            return super().__new__(cls)
        if not callable(orig_func):
            raise TypeError(f"{cls.__name__}() takes no arguments (got {orig_func!r}); "
                            f"use `with {cls.__name__}():` or `@{cls.__name__}`")
        return cls()(orig_func)  # bare decorator: @no_grad

    def __enter__(self):
        self._prev = config.grad_enabled
        config.grad_enabled = self.mode
        return self

    def __exit__(self, *exc):
        config.grad_enabled = self._prev
        return False

    def __call__(self, fn):
        cls = self.__class__

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with cls():
                return fn(*args, **kwargs)

        return wrapper


class no_grad(_GradMode):
    """Record nothing inside: ``with deepgrad.no_grad(): ...``, ``@deepgrad.no_grad()`` or ``@deepgrad.no_grad``."""

    mode = False


class enable_grad(_GradMode):
    """Record again inside a ``no_grad`` region (context manager or decorator)."""

    mode = True


class set_grad_enabled(_GradMode):
    """Turn recording on or off: at once when called (``set_grad_enabled(False)``), or for a
    ``with`` block or a decorated function, restoring the previous mode afterwards (as PyTorch)."""

    def __init__(self, mode: bool):
        self.mode = bool(mode)
        self._prev = config.grad_enabled
        config.grad_enabled = self.mode

    def __enter__(self):
        return self

    def __call__(self, fn):
        config.grad_enabled = self._prev  # decorating must not change the mode
        mode = self.mode

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(mode):
                return fn(*args, **kwargs)

        return wrapper


class inference_mode(_GradMode):
    """torch.inference_mode: here the same as ``no_grad`` (``inference_mode(False)`` records again);
    a context manager and a decorator."""

    def __new__(cls, mode=True):
        if callable(mode) and not isinstance(mode, bool):  # bare decorator: @inference_mode
            return cls()(mode)
        return object.__new__(cls)

    def __init__(self, mode=True):
        if isinstance(mode, bool):
            self.mode = not mode

    def __call__(self, fn):
        mode = self.mode

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with inference_mode(not mode):
                return fn(*args, **kwargs)

        return wrapper


def is_grad_enabled() -> bool:
    return config.grad_enabled


def is_inference_mode_enabled() -> bool:
    return not config.grad_enabled


_RELEASED = (
    "Trying to backward through the graph a second time (or to read saved tensors after "
    "they were freed). The graph of {name} was released by the first backward; call "
    ".backward(retain_graph=True) the first time if you need to backward twice."
)


class Function:
    """One differentiable op.  Subclasses define ``forward(*arrays)`` and ``backward(*grads)``.

    ``forward`` sees raw arrays; whatever else backward needs it stores on ``self``.  The engine
    keeps ``self.inputs`` (the input Tensors) and ``self.outputs`` (weak references to the
    outputs) while recording, and drops all of it after backward (``release``).
    ``backward`` gets one gradient Tensor per output (None where no gradient arrived for a
    multi-output op) and returns one gradient Tensor (or None) per input.
    """

    generation = 0
    inputs = None
    outputs = None
    seq = 0  # when it was recorded: tells which version of an input assigned in place later it saw

    def __call__(self, *inputs):
        # The hot path of every op: kept flat (no generator expressions, no imports) because
        # a small op spends more time here than in numpy.
        if len(inputs) == 2:
            a, b = inputs
            if not isinstance(a, _Tensor):
                a = _as_tensor(a, like=b if isinstance(b, _Tensor) else None)
            if not isinstance(b, _Tensor):
                b = _as_tensor(b, like=a)
            tensors = (a, b)
            try:
                ys = self.forward(a.data, b.data)
            except (ValueError, TypeError, IndexError) as e:
                raise _op_error(self, e, tensors) from e
            needs = a.requires_grad or b.requires_grad
        elif len(inputs) == 1:
            x = inputs[0]
            if not isinstance(x, _Tensor):
                x = _as_tensor(x)
            tensors = (x,)
            try:
                ys = self.forward(x.data)
            except (ValueError, TypeError, IndexError) as e:
                raise _op_error(self, e, tensors) from e
            needs = x.requires_grad
        else:
            ref = None
            for x in inputs:
                if isinstance(x, _Tensor):
                    ref = x
                    break
            tensors = tuple([x if isinstance(x, _Tensor) else _as_tensor(x, like=ref) for x in inputs])
            try:
                ys = self.forward(*[t.data for t in tensors])
            except (ValueError, TypeError, IndexError) as e:
                raise _op_error(self, e, tensors) from e
            needs = False
            for t in tensors:
                if t.requires_grad:
                    needs = True
                    break
        if _anomaly:
            _check_finite(self, ys, "forward")
        record = needs and config.grad_enabled
        if type(ys) is not tuple:  # one output: the common case
            out = _make(ys)
            if record:
                gen = 0
                for t in tensors:
                    if t._generation > gen:
                        gen = t._generation
                self.generation = gen
                self.inputs = tensors
                self.outputs = (_ref(out),)
                if _rebased:
                    self.seq = _next_seq()
                if ys.dtype.kind in "fc":
                    out.creator = self
                    out.requires_grad = True
                    out._generation = gen + 1
            return out
        outputs = tuple([_make(y) for y in ys])
        if record:
            gen = 0
            for t in tensors:
                if t._generation > gen:
                    gen = t._generation
            self.generation = gen
            self.inputs = tensors
            self.outputs = tuple([_ref(o) for o in outputs])
            if _rebased:
                self.seq = _next_seq()
            for o in outputs:
                if o.data.dtype.kind in "fc":
                    o.creator = self
                    o.requires_grad = True
                    o._generation = gen + 1
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
        self.__dict__.clear()  # inputs, outputs and whatever forward saved; inputs reads None again
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
    text = f"{fn.name}: {msg} (input shapes {shapes})"
    try:
        new = type(err)(text)
    except Exception:  # an exception class with required arguments (numpy's ufunc errors)
        new = next(k for k in (ValueError, TypeError, IndexError) if isinstance(err, k))(text)
    new._deepgrad = True
    return new


def _check_finite(fn, arrays, phase):
    from deepgrad.backend import get_array_module

    if not isinstance(arrays, (tuple, list)):
        arrays = (arrays,)
    for a in arrays:
        if a is None:
            continue
        if isinstance(a, _Tensor):  # backward gives Tensors; forward gives arrays (whose .data is a buffer)
            a = a.data
        if getattr(a, "dtype", None) is not None and a.dtype.kind in "fc":
            xp = get_array_module(a)
            if not bool(xp.isfinite(a).all()):
                raise FloatingPointError(
                    f"detect_anomaly: {fn.name}.{phase} produced NaN or inf "
                    f"(output shape {tuple(a.shape)})"
                )


_anomaly = False  # process-wide, read on every op; config.anomaly mirrors it for readers


@contextlib.contextmanager
def detect_anomaly():
    """Raise FloatingPointError naming the first op whose forward or backward gives NaN/inf."""
    global _anomaly
    prev = _anomaly
    _anomaly = config.anomaly = True
    try:
        yield
    finally:
        _anomaly = config.anomaly = prev


def _owned(array):
    """True when ``array`` may become a leaf's ``.grad`` as is: it owns its memory and is writeable.

    Views (a broadcast, a transpose, a reshape of another array) are copied instead, so every
    ``.grad`` is a writeable, contiguous array that no other tensor shares."""
    if array.base is not None:
        return False
    flags = array.flags
    return getattr(flags, "writeable", True)  # cupy arrays have no writeable flag


def _deliver(t, g, create_graph, taken):
    """Accumulate ``g`` into ``t.grad`` (a leaf, or a tensor that called ``retain_grad()``)."""
    if create_graph:  # keep the graph of the gradient itself
        if g.dtype != t.dtype and t.dtype.kind in "fc":
            g = g.type(t.dtype)
        t.grad = g if t.grad is None else t.grad + g
        return
    arr = g.data
    if arr.dtype != t.data.dtype and t.data.dtype.kind in "fc":  # a float64 0-d leaf in float32 math
        arr = arr.astype(t.data.dtype)
    old = t.grad
    if old is None:
        if id(arr) in taken or not _owned(arr):
            arr = arr.copy()
        taken.add(id(arr))
        t.grad = _make(arr)
        return
    prev = old.data
    if prev.shape == arr.shape and prev.dtype == arr.dtype and _owned(prev):
        prev += arr  # in place, as PyTorch accumulates
    else:
        old.data = prev + arr


# -- in-place assignment while recording (``y[i] = v``) ---------------------------------------------
# The graph links tensors, so an op recorded before ``y[i] = v`` must still reach the value y had then.
# ``rebase`` moves y's old value and creator to a new tensor (kept in ``y._versions`` with the time of
# the assignment) and makes y the output of the assignment op; backward hands each function the
# versions of its inputs that it saw when it was recorded (``_see_versions``).
_rebased = False  # set by the first rebase: until then no op pays for any of this
_next_seq = itertools.count(1).__next__


def rebase(t, old_value, op, *others):
    """Record ``op(old, *others)`` as the new value of ``t`` in place: ``t``'s current value becomes
    the tensor ``old`` (a snapshot of ``old_value``) with ``t``'s creator; ``t`` takes the result."""
    global _rebased
    _rebased = True
    old = _make(old_value)
    prev = t.creator
    if prev is not None:
        old.creator, old.requires_grad, old._generation = prev, True, t._generation
        if prev.outputs is not None:
            prev.outputs = tuple([_ref(old) if r() is t else r for r in prev.outputs])
    elif t.requires_grad:
        raise RuntimeError("a leaf tensor that requires grad is used in an in-place operation; use no_grad()")
    out = op(old, *others)
    t.data = out.data  # a new array: views taken of the old one (by earlier ops) keep the values they saw
    if out.creator is not None:
        f = out.creator
        f.outputs = (_ref(t),)
        t.creator, t.requires_grad, t._generation = f, True, out._generation
        versions = t._versions if t._versions is not None else []
        versions.append((f.seq, old))
        t._versions = versions
    return t


def _see_versions(f):
    """Give ``f`` the versions of its inputs current when it was recorded."""
    inputs = f.inputs
    if not any(getattr(x, "_versions", None) for x in inputs):
        return
    seen = []
    for x in inputs:
        for seq, old in getattr(x, "_versions", None) or ():
            if f.seq < seq:
                x = old
                break
        seen.append(x)
    f.inputs = tuple(seen)


# -- gradient hooks (Tensor.register_hook) ------------------------------------------------------------
_hooks = {}  # id(tensor) -> list of hooks; an entry goes when its tensor does


class RemovableHandle:
    """What ``register_hook`` returns: ``handle.remove()`` takes the hook off again."""

    def __init__(self, key, hook):
        self._key, self._hook = key, hook

    def remove(self):
        hooks = _hooks.get(self._key)
        if hooks is not None and self._hook in hooks:
            hooks.remove(self._hook)
            if not hooks:
                del _hooks[self._key]


def register_hook(t, hook):
    """Call ``hook(grad)`` whenever the gradient of ``t`` is computed; a returned tensor replaces it."""
    if not t.requires_grad:
        raise RuntimeError("register_hook: cannot register a hook on a tensor that doesn't require gradient")
    key = id(t)
    if key not in _hooks:
        _hooks[key] = []
        weakref.finalize(t, _hooks.pop, key, None)
    _hooks[key].append(hook)
    return RemovableHandle(key, hook)


def _run_hooks(t, g):
    for hook in list(_hooks.get(id(t), ())):
        out = hook(g)
        if out is not None:
            if not isinstance(out, _Tensor):
                raise TypeError(f"register_hook: a hook must return None or a Tensor, got {type(out).__name__}")
            if tuple(out.shape) != tuple(g.shape):
                raise ValueError(f"register_hook: the hook returned a gradient of shape {tuple(out.shape)} for a "
                                 f"tensor of shape {tuple(t.shape)}")
            g = out
    return g


def run_backward(roots, root_grads, retain_graph=False, create_graph=False, inputs=None):
    """Reverse mode from ``roots`` seeded with ``root_grads``.

    With ``inputs`` (autograd.grad) returns their gradients and leaves ``.grad`` alone;
    otherwise accumulates into the ``.grad`` of leaves and of tensors that ``retain_grad()``.
    """
    grads = {}  # id(tensor) -> [tensor, grad]; the tensor is held so its id stays valid
    heap = []
    pushed = set()
    n = 0  # tie-breaker in the heap: functions themselves are not ordered
    capture = None if inputs is None else {id(t): None for t in inputs}
    # ids of gradient arrays already handed to a .grad or owned by the caller: never share them
    taken = set()
    heappush, heappop = heapq.heappush, heapq.heappop

    for t, g in zip(roots, root_grads):
        taken.add(id(g.data))
        entry = grads.get(id(t))
        if entry is None:
            grads[id(t)] = [t, g]
        else:
            entry[1] = entry[1] + g
        f = t.creator
        if f is not None and id(f) not in pushed:
            pushed.add(id(f))
            n += 1
            heappush(heap, (-f.generation, n, f))

    prev = config.grad_enabled
    config.grad_enabled = create_graph
    try:
        while heap:
            f = heappop(heap)[2]
            if f.inputs is None:
                raise RuntimeError(_RELEASED.format(name=f.name))
            outs = f.outputs
            if len(outs) == 1:
                o = outs[0]()
                entry = grads.pop(id(o), None) if o is not None else None
                if entry is None:
                    gys = (None,)
                else:
                    if _hooks and id(o) in _hooks:
                        entry[1] = _run_hooks(o, entry[1])
                    gys = (entry[1],)
                    if o._retains_grad or (capture is not None and id(o) in capture):
                        if capture is not None:
                            if id(o) in capture:
                                capture[id(o)] = entry[1]
                        else:
                            _deliver(o, entry[1], create_graph, taken)
            else:
                gys = []
                for ref in outs:
                    o = ref()
                    entry = grads.pop(id(o), None) if o is not None else None
                    if entry is None:
                        gys.append(None)
                        continue
                    if _hooks and id(o) in _hooks:
                        entry[1] = _run_hooks(o, entry[1])
                    gys.append(entry[1])
                    if capture is not None:
                        if id(o) in capture:
                            capture[id(o)] = entry[1]
                    elif o._retains_grad:
                        _deliver(o, entry[1], create_graph, taken)
            if gys[0] is None and all(g is None for g in gys):
                if not retain_graph:
                    f.release()
                continue
            if _rebased:
                _see_versions(f)
            try:
                gxs = f.backward(*gys)
            except FloatingPointError as e:  # raised by an op inside backward under detect_anomaly
                if _anomaly and ".backward" not in str(e):
                    raise FloatingPointError(f"detect_anomaly: {f.name}.backward produced NaN or inf ({e})") from e
                raise
            if type(gxs) is not tuple:
                gxs = (gxs,)
            if _anomaly:
                _check_finite(f, gxs, "backward")
            for x, gx in zip(f.inputs, gxs):
                if gx is None or not x.requires_grad:
                    continue
                entry = grads.get(id(x))
                if entry is None:
                    grads[id(x)] = [x, gx]
                else:
                    entry[1] = entry[1] + gx
                c = x.creator
                if c is not None and id(c) not in pushed:
                    pushed.add(id(c))
                    n += 1
                    heappush(heap, (-c.generation, n, c))
            if not retain_graph:
                f.release()
    finally:
        config.grad_enabled = prev

    if _hooks:
        prev = config.grad_enabled
        config.grad_enabled = create_graph
        try:
            for entry in grads.values():
                if entry[0].creator is None and id(entry[0]) in _hooks:
                    entry[1] = _run_hooks(entry[0], entry[1])
        finally:
            config.grad_enabled = prev
    if capture is not None:
        for t, g in grads.values():  # what is left are leaves
            if t.creator is None and id(t) in capture:
                capture[id(t)] = g
        return [capture[id(t)] for t in inputs]
    for t, g in grads.values():
        if t.creator is None:
            _deliver(t, g, create_graph, taken)
    return None


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulate the gradients of several outputs at once (torch.autograd.backward)."""
    from deepgrad.tensor import Tensor, _seed_grad

    tensors = [tensors] if isinstance(tensors, Tensor) else list(tensors)
    if grad_tensors is None:
        grad_tensors = [None] * len(tensors)
    elif isinstance(grad_tensors, Tensor):
        grad_tensors = [grad_tensors]
    if len(grad_tensors) != len(tensors):
        raise ValueError(f"backward: got {len(grad_tensors)} gradients for {len(tensors)} tensors")
    for t in tensors:
        if not t.requires_grad:
            raise RuntimeError("backward: one of the tensors does not require grad and has no creator")
    if inputs is not None:
        inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    seeds = [_seed_grad(t, g, "backward") for t, g in zip(tensors, grad_tensors)]
    retain = create_graph if retain_graph is None else (retain_graph or create_graph)
    grads = run_backward(tensors, seeds, retain_graph=retain, create_graph=create_graph, inputs=inputs)
    if inputs is not None:
        taken = {id(s.data) for s in seeds}
        for t, g in zip(inputs, grads):
            if g is not None:
                _deliver(t, g, create_graph, taken)


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


# deepgrad.autograd.functional (jacobian, hessian, vjp, jvp, hvp, vhp) lives in its own file; registered
# under this name so that ``from deepgrad.autograd.functional import jacobian`` works as in torch.  It
# imports nothing but this module at load time, so there is no cycle.
from deepgrad import autograd_functional as functional  # noqa: E402

sys.modules[__name__ + ".functional"] = functional
