"""``Module``: the base of every layer and model, as ``torch.nn.Module``.

Assigning a ``Parameter``, a ``Module`` or (through ``register_buffer``) a buffer to an
attribute registers it in the ordered dicts ``_parameters``, ``_modules`` and ``_buffers``;
everything else (``parameters()``, ``state_dict()``, ``to(device)``, ``repr``) walks them.
"""
from __future__ import annotations

import functools
import itertools
import weakref
from collections import OrderedDict, namedtuple

import numpy as np

from deepgrad.backend import Device, as_numpy, to_device
from deepgrad.dtypes import to_dtype
from deepgrad.nn.parameter import Buffer, Parameter
from deepgrad.tensor import Tensor


class _IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    """What ``load_state_dict`` returns: ``(missing_keys, unexpected_keys)``, printed as PyTorch prints it."""

    __slots__ = ()

    def __repr__(self):
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()

    __str__ = __repr__


_hook_ids = itertools.count()


class RemovableHandle:
    """Returned by ``register_*_hook``: ``handle.remove()`` unregisters the hook (also a context manager)."""

    def __init__(self, hooks: dict):
        self._hooks = weakref.ref(hooks)
        self.id = next(_hook_ids)

    def remove(self):
        """Unregister the hook (a second call does nothing)."""
        hooks = self._hooks()
        if hooks is not None:
            hooks.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


class Module:
    """Base class of layers and models: subclass, assign parameters/sub-modules in ``__init__``,
    compute the output in ``forward``; call the module (``model(x)``) to run it with its hooks."""

    training: bool

    def __init__(self):
        d = self.__dict__
        d["training"] = True
        d["_parameters"] = OrderedDict()
        d["_buffers"] = OrderedDict()
        d["_non_persistent"] = set()
        d["_modules"] = OrderedDict()
        d["_forward_hooks"] = OrderedDict()
        d["_forward_pre_hooks"] = OrderedDict()
        d["_backward_hooks"] = OrderedDict()
        d["_backward_pre_hooks"] = OrderedDict()
        d["_hooks_with_kwargs"] = set()
        d["_hooks_always_call"] = set()

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} has no forward()")

    # -- calling ------------------------------------------------------------------------
    def __call__(self, *args, **kwargs):
        try:
            if not (self._forward_pre_hooks or self._forward_hooks or self._backward_hooks
                    or self._backward_pre_hooks):
                return self.forward(*args, **kwargs)
            return self._call_with_hooks(args, kwargs)
        except ValueError as e:  # error path only: name the failing submodule's path in this module
            _name_failing_module(self, e)
            raise

    def _call_with_hooks(self, args, kwargs):
        with_kwargs = self._hooks_with_kwargs
        for hid, hook in list(self._forward_pre_hooks.items()):
            if hid in with_kwargs:
                res = hook(self, args, kwargs)
                if res is not None:
                    if not (isinstance(res, tuple) and len(res) == 2):
                        raise RuntimeError(f"{type(self).__name__}: a forward pre-hook registered with_kwargs=True "
                                           f"must return None or a tuple (args, kwargs), got {type(res).__name__}")
                    args, kwargs = res
                    args = args if isinstance(args, tuple) else (args,)
            else:
                res = hook(self, args)
                if res is not None:
                    args = res if isinstance(res, tuple) else (res,)
        bw = None
        if self._backward_hooks or self._backward_pre_hooks:
            from deepgrad.nn._hooks import BackwardHooks

            bw = BackwardHooks(self)
            args = bw.wrap_inputs(args)
        try:
            out = self.forward(*args, **kwargs)
        except Exception:
            for hid, hook in list(self._forward_hooks.items()):
                if hid in self._hooks_always_call:
                    try:
                        hook(self, args, kwargs, None) if hid in with_kwargs else hook(self, args, None)
                    except Exception:  # the forward's error is the one to report
                        pass
            raise
        for hid, hook in list(self._forward_hooks.items()):
            res = hook(self, args, kwargs, out) if hid in with_kwargs else hook(self, args, out)
            if res is not None:
                out = res
        if bw is not None:
            out = bw.wrap_outputs(out)
        return out

    def _add_hook(self, hooks, hook, prepend, with_kwargs=False):
        self._check_init()
        handle = RemovableHandle(hooks)
        hooks[handle.id] = hook
        if prepend:
            hooks.move_to_end(handle.id, last=False)
        if with_kwargs:
            self._hooks_with_kwargs.add(handle.id)
        return handle

    def register_forward_hook(self, hook, *, prepend=False, with_kwargs=False, always_call=False):
        """``hook(module, inputs, output)`` (``hook(module, inputs, kwargs, output)`` with ``with_kwargs``)
        runs after forward; a non-None result replaces the output.  ``prepend`` runs it first;
        ``always_call`` also runs it (with output None) when forward raises."""
        handle = self._add_hook(self._forward_hooks, hook, prepend, with_kwargs)
        if always_call:
            self._hooks_always_call.add(handle.id)
        return handle

    def register_forward_pre_hook(self, hook, *, prepend=False, with_kwargs=False):
        """``hook(module, inputs)`` runs before forward; a non-None result replaces the inputs.
        With ``with_kwargs``: ``hook(module, args, kwargs)`` returning None or ``(args, kwargs)``."""
        return self._add_hook(self._forward_pre_hooks, hook, prepend, with_kwargs)

    def register_load_state_dict_pre_hook(self, hook):
        """``hook(module, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
        error_msgs)`` runs at the start of ``load_state_dict`` and may rename or add keys of (a copy of)
        the state_dict; ``prefix`` is this module's path with a trailing dot."""
        return self._register_load_state_dict_pre_hook(hook, with_module=True)

    def _register_load_state_dict_pre_hook(self, hook, with_module=False):
        if with_module:
            hook = functools.partial(hook, self)
        hooks = self.__dict__.setdefault("_load_state_dict_pre_hooks", OrderedDict())
        return self._add_hook(hooks, hook, False)

    def register_full_backward_hook(self, hook, prepend=False):
        """``hook(module, grad_input, grad_output)`` runs when the gradients with respect to the module's
        tensor inputs are computed; a non-None result (a tuple) replaces ``grad_input``."""
        return self._add_hook(self._backward_hooks, hook, prepend)

    def register_full_backward_pre_hook(self, hook, prepend=False):
        """``hook(module, grad_output)`` runs when the gradients of the module's outputs are computed;
        a non-None result (a tuple) replaces ``grad_output``."""
        return self._add_hook(self._backward_pre_hooks, hook, prepend)

    # -- registration -------------------------------------------------------------------
    def _check_init(self):
        if "_parameters" not in self.__dict__:
            raise AttributeError(
                f"{type(self).__name__}: cannot assign parameters or modules before Module.__init__() "
                "is called; call super().__init__() first in your __init__"
            )

    def __setattr__(self, name, value):
        d = self.__dict__
        if isinstance(value, Parameter):
            self._check_init()
            _remove_from(d, name, self._modules, self._buffers)
            self._parameters[name] = value
        elif isinstance(value, Module):
            self._check_init()
            _remove_from(d, name, self._parameters, self._buffers)
            self._modules[name] = value
        elif isinstance(value, Buffer):
            self.register_buffer(name, value, persistent=value.persistent)
        elif "_parameters" in d and name in self._parameters:
            if value is not None:
                raise TypeError(f"cannot assign {type(value).__name__} as parameter {name!r} "
                                "(a deepgrad.nn.Parameter or None is required)")
            self._parameters[name] = None
        elif "_modules" in d and name in self._modules:
            if value is not None:
                raise TypeError(f"cannot assign {type(value).__name__} as child module {name!r} "
                                "(a deepgrad.nn.Module or None is required)")
            self._modules[name] = None
        elif "_buffers" in d and name in self._buffers:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign {type(value).__name__} as buffer {name!r} "
                                "(a deepgrad.Tensor or None is required)")
            self._buffers[name] = value
        else:
            object.__setattr__(self, name, value)

    def __getattr__(self, name):
        d = self.__dict__
        for store in ("_parameters", "_buffers", "_modules"):
            s = d.get(store)
            if s is not None and name in s:
                return s[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name):
        for store in (self._parameters, self._buffers, self._modules):
            if name in store:
                del store[name]
                self._non_persistent.discard(name)
                return
        object.__delattr__(self, name)

    def __dir__(self):
        return sorted(set(super().__dir__()) | set(self._parameters) | set(self._buffers) | set(self._modules))

    def register_parameter(self, name, param):
        """Register ``param`` (a Parameter or None) under ``name``."""
        self._check_init()
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"register_parameter: {name!r} must be a Parameter or None, got {type(param).__name__}")
        _check_name(self, name, "parameter", self._parameters)
        self.__dict__.pop(name, None)
        self._parameters[name] = param

    def register_buffer(self, name, tensor, persistent=True):
        """Register a non-learnable tensor (running statistics, ...) saved in ``state_dict`` when persistent."""
        self._check_init()
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"register_buffer: {name!r} must be a Tensor or None, got {type(tensor).__name__}")
        _check_name(self, name, "buffer", self._buffers)
        self.__dict__.pop(name, None)
        self._parameters.pop(name, None)
        self._modules.pop(name, None)
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent.discard(name)
        else:
            self._non_persistent.add(name)

    def add_module(self, name, module):
        """Register ``module`` (or None) as the child ``name``."""
        self._check_init()
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"add_module: {name!r} must be a Module or None, got {type(module).__name__}")
        _check_name(self, name, "module", self._modules)
        self.__dict__.pop(name, None)
        self._modules[name] = module

    register_module = add_module

    def get_submodule(self, target):
        """The sub-module at the dotted path ``target`` ('' is the module itself)."""
        mod = self
        if target:
            for part in target.split("."):
                if part not in mod._modules:
                    raise AttributeError(f"{type(mod).__name__} has no submodule {part!r} (path {target!r})")
                mod = mod._modules[part]
        return mod

    def _get_entry(self, target, table, kind):
        """The entry of the ``table`` dict ('_buffers' or '_parameters') at the dotted path ``target``."""
        mod_path, _, name = target.rpartition(".")
        mod = self.get_submodule(mod_path)
        entries = getattr(mod, table)
        if name not in entries:
            raise AttributeError(f"{type(mod).__name__} has no {kind} {name!r}")
        return entries[name]

    def get_buffer(self, target):
        """The buffer at the dotted path ``target`` ('bn.running_mean')."""
        return self._get_entry(target, "_buffers", "buffer")

    def get_parameter(self, target):
        """The parameter at the dotted path ``target`` ('fc1.weight')."""
        return self._get_entry(target, "_parameters", "parameter")

    # -- traversal ----------------------------------------------------------------------
    def named_modules(self, memo=None, prefix="", remove_duplicate=True):
        """(name, module) for this module and every descendant, depth first."""
        if memo is None:
            memo = set()
        if remove_duplicate:
            if id(self) in memo:
                return
            memo.add(id(self))
        yield prefix, self
        for name, m in self._modules.items():
            if m is None:
                continue
            yield from m.named_modules(memo, prefix + ("." if prefix else "") + name, remove_duplicate)

    def modules(self):
        """This module and every descendant (each once)."""
        for _, m in self.named_modules():
            yield m

    def named_children(self):
        """(name, module) for the direct children."""
        seen = set()
        for name, m in self._modules.items():
            if m is not None and id(m) not in seen:
                seen.add(id(m))
                yield name, m

    def children(self):
        """The direct children."""
        for _, m in self.named_children():
            yield m

    def _named_members(self, store, prefix, recurse, remove_duplicate=True):
        seen = set()
        mods = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate) if recurse else [(prefix, self)]
        for mprefix, m in mods:
            for name, t in getattr(m, store).items():
                if t is None or (remove_duplicate and id(t) in seen):
                    continue
                seen.add(id(t))
                yield mprefix + ("." if mprefix else "") + name, t

    def named_parameters(self, prefix="", recurse=True, remove_duplicate=True):
        """(dotted name, Parameter) pairs; a parameter shared by two layers is listed once."""
        yield from self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse=True):
        """Every Parameter of this module and (with ``recurse``) its descendants, each once."""
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix="", recurse=True, remove_duplicate=True):
        """(dotted name, buffer) pairs."""
        yield from self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse=True):
        """Every buffer (running statistics, ...)."""
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    # -- modes and gradients ------------------------------------------------------------
    def train(self, mode=True):
        """Training mode (dropout active, batch statistics) for this module and its descendants."""
        if not isinstance(mode, bool):
            raise ValueError(f"train(): mode must be a bool, got {mode!r}")
        for m in self.modules():
            m.__dict__["training"] = mode
        return self

    def eval(self):
        """Evaluation mode: ``train(False)``."""
        return self.train(False)

    def requires_grad_(self, requires_grad=True):
        """Set ``requires_grad`` on every parameter (False freezes the module)."""
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none=True):
        """Clear every parameter's gradient (to None, or to zeros in place)."""
        for p in self.parameters():
            if p.grad is None:
                continue
            if set_to_none:
                p.grad = None
            else:
                p.grad.data[...] = 0

    def apply(self, fn):
        """Call ``fn(m)`` on every sub-module (children first) and on this module; returns self."""
        for m in self.children():
            m.apply(fn)
        fn(self)
        return self

    # -- devices and dtypes -------------------------------------------------------------
    def _move(self, fn):
        """Replace the array of every parameter, gradient and buffer by ``fn(array)`` in place, so
        the Parameter objects (and the optimizers holding them) stay the same."""
        for t in itertools.chain(self.parameters(), self.buffers()):
            t.data = fn(t.data)
            if t.grad is not None:
                t.grad.data = fn(t.grad.data)
        return self

    def to(self, device=None, dtype=None):
        """Move parameters and buffers to ``device`` and/or cast floating ones to ``dtype``, in place."""
        if device is not None and not isinstance(device, (str, Device)):
            device, dtype = None, device
        if isinstance(device, str) and device not in ("cpu",) and not device.startswith("cuda"):
            device, dtype = None, device
        if device is not None:
            dev = Device(device)
            self._move(lambda a: to_device(a, dev))
        if dtype is not None:
            dt = to_dtype(dtype)
            self._move(lambda a: a.astype(dt) if a.dtype.kind in "fc" and a.dtype != dt else a)
        return self

    def cuda(self, device=0):
        """Move to the GPU ``device`` in place."""
        return self.to(f"cuda:{device}" if isinstance(device, int) else device)

    def cpu(self):
        """Move to the CPU in place."""
        return self.to("cpu")

    def float(self):
        """Cast floating parameters and buffers to float32 in place."""
        return self.to(dtype="float32")

    def double(self):
        """Cast floating parameters and buffers to float64 in place."""
        return self.to(dtype="float64")

    def half(self):
        """Cast floating parameters and buffers to float16 in place."""
        return self.to(dtype="float16")

    # -- state ------------------------------------------------------------------------
    def state_dict(self, destination=None, prefix="", keep_vars=False):
        """Ordered dict of every parameter and persistent buffer by dotted name (sharing memory)."""
        if destination is None:
            destination = OrderedDict()
        for mprefix, m in self.named_modules(prefix=prefix.rstrip("."), remove_duplicate=False):
            p = mprefix + "." if mprefix else ""
            for name, t in m._parameters.items():
                if t is not None:
                    destination[p + name] = t if keep_vars else Tensor._make(t.data)
            for name, t in m._buffers.items():
                if t is not None and name not in m._non_persistent:
                    destination[p + name] = t if keep_vars else Tensor._make(t.data)
        return destination

    def load_state_dict(self, state_dict, strict=True, assign=False):
        """Copy arrays from ``state_dict`` into the parameters and buffers (in place).

        Shape mismatches always raise; with ``strict`` so do missing and unexpected keys.
        Returns ``(missing_keys, unexpected_keys)`` as PyTorch does."""
        state_dict = _run_load_pre_hooks(self, state_dict, strict)
        own = self.state_dict(keep_vars=True)
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        errors = []
        if strict:
            if missing:
                errors.append("Missing key(s) in state_dict: " + ", ".join(f'"{k}"' for k in missing) + ". ")
            if unexpected:
                errors.append("Unexpected key(s) in state_dict: " + ", ".join(f'"{k}"' for k in unexpected) + ". ")
        for k, t in own.items():
            if k not in state_dict:
                continue
            v = _array(state_dict[k])
            shape = tuple(v.shape)
            if shape != tuple(t.shape):
                errors.append(f"size mismatch for {k}: copying a param with shape {shape} from checkpoint, "
                              f"the shape in current model is {tuple(t.shape)}.")
        if errors:
            raise RuntimeError(f"Error(s) in loading state_dict for {type(self).__name__}:\n\t" + "\n\t".join(errors))
        for k, t in own.items():
            if k not in state_dict:
                continue
            v = _array(state_dict[k])
            xp = _xp_of(t.data)
            arr = as_numpy(v) if xp is np else xp.asarray(v)
            if assign:
                t.data = arr.astype(t.data.dtype, copy=True)
            else:
                t.data[...] = arr.astype(t.data.dtype, copy=False)
        return _IncompatibleKeys(missing, unexpected)

    # -- printing ---------------------------------------------------------------------
    def extra_repr(self) -> str:
        """The text between the parentheses of this module's repr (its settings)."""
        return ""

    def _get_name(self):
        return type(self).__name__

    def __repr__(self):
        extra = self.extra_repr()
        lines = extra.split("\n") if extra else []
        for name, m in self._modules.items():
            body = repr(m).replace("\n", "\n  ")
            lines.append(f"({name}): {body}")
        if not self._modules:
            return f"{self._get_name()}({extra})"
        return self._get_name() + "(\n  " + "\n  ".join(lines) + "\n)"


def _run_load_pre_hooks(module, state_dict, strict):
    """Run the load_state_dict pre-hooks of ``module`` and its descendants on a copy of ``state_dict``."""
    hooked = [(p, m) for p, m in module.named_modules(remove_duplicate=False)
              if m.__dict__.get("_load_state_dict_pre_hooks")]
    if not hooked:
        return state_dict
    state_dict = OrderedDict(state_dict)
    for p, m in hooked:
        for hook in list(m._load_state_dict_pre_hooks.values()):
            hook(state_dict, p + "." if p else "", {}, strict, [], [], [])
    return state_dict


def _remove_from(d, name, *stores):
    d.pop(name, None)
    for s in stores:
        s.pop(name, None)


def _name_failing_module(module, error):
    """Prefix ``error`` (raised inside ``module``) with the path of the innermost module that raised it.

    The innermost module records itself on the error; each enclosing module rewrites the message
    from the original text, so the outermost one's path wins and nothing is repeated:
    ``Sequential: model[2] Linear(in_features=500, ...): expected input of shape (*, 500), got ...``.
    """
    leaf = getattr(error, "_deepgrad_module", None)
    if leaf is None:
        try:
            error._deepgrad_module = module
            error._deepgrad_message = str(error)
        except AttributeError:  # an exception type that takes no attributes: leave it as it is
            pass
        return
    if leaf is module:
        return
    name = next((n for n, m in module.named_modules() if m is leaf), None)
    if name is None:
        return
    path = "".join(f"[{p}]" if p.isdigit() else f".{p}" for p in name.split("."))
    message = error._deepgrad_message
    if not message.startswith(type(leaf).__name__):
        message = f"{type(leaf).__name__}({leaf.extra_repr()}): {message}"
    error.args = (f"{type(module).__name__}: model{path} {message}",)


def _check_name(module, name, kind, store):
    if not isinstance(name, str):
        raise TypeError(f"{kind} name must be a string, got {type(name).__name__}")
    if not name or "." in name:
        raise KeyError(f"{kind} name can't be empty or contain '.', got {name!r}")
    if name not in store and (hasattr(type(module), name) or name in module.__dict__
                              or any(name in s for s in (module._parameters, module._buffers, module._modules))):
        raise KeyError(f"attribute {name!r} already exists on {type(module).__name__}")


def _array(v):
    """The array in a state_dict value (Tensor, numpy/cupy array, or a number or list)."""
    v = v.data if isinstance(v, Tensor) else v
    return v if hasattr(v, "shape") and hasattr(v, "dtype") else np.asarray(v)


def _xp_of(a):
    from deepgrad.backend import get_array_module

    return get_array_module(a)


__all__ = ["Module", "RemovableHandle"]
