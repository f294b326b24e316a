"""``Optimizer``: parameter groups, per-parameter state, ``zero_grad``, ``step``, state dicts.

The base class holds the bookkeeping that every optimizer shares, as ``torch.optim.Optimizer``
does; a subclass only writes ``_step_group(group)``, the update of one parameter group.

Updates change ``p.data`` in place (numpy/cupy in-place ufuncs), so arrays keep their identity
and dtype.  Hyperparameters are Python floats, which NumPy 2 treats as "weak" scalars: a float32
parameter stays float32 (NEP 50).  A parameter whose ``grad`` is None is skipped.
"""
from __future__ import annotations

import copy
import functools
from collections import OrderedDict, defaultdict

from deepgrad.autograd import enable_grad
from deepgrad.backend import get_array_module
from deepgrad.tensor import Tensor


class _Required:
    """Marks a hyperparameter that has no default (``lr`` of a bare Optimizer)."""

    def __repr__(self):
        return "<required parameter>"


required = _Required()


class Optimizer:
    """Base of all optimizers.

    ``params`` is an iterable of Tensors, or of dicts (parameter groups) that each hold
    ``'params'`` and any hyperparameter overriding ``defaults``::

        SGD([{'params': body}, {'params': head, 'lr': 1e-3}], lr=1e-2, momentum=0.9)
    """

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "step" in cls.__dict__:  # a custom optimizer's own step runs the step hooks too
            cls.step = _with_step_hooks(cls.__dict__["step"])

    def __init__(self, params, defaults):
        self._step_pre_hooks = OrderedDict()
        self._step_post_hooks = OrderedDict()
        self.defaults = defaults
        self.state = defaultdict(dict)  # keyed by the parameter Tensor itself
        self.param_groups = []
        if isinstance(params, Tensor):
            raise TypeError(
                f"{type(self).__name__}: params should be an iterable of Tensors or dicts, got a single Tensor; "
                "pass [tensor] or model.parameters()"
            )
        if isinstance(params, set):
            raise TypeError(f"{type(self).__name__}: parameters must be an ordered collection (list), not a set")
        groups = list(params)
        if len(groups) == 0:
            raise ValueError(f"{type(self).__name__}: got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    # -- groups -----------------------------------------------------------------------
    def add_param_group(self, param_group):
        """Add a group (a dict with ``'params'`` and optional hyperparameters) to ``param_groups``."""
        name = type(self).__name__
        if not isinstance(param_group, dict):
            raise TypeError(f"{name}.add_param_group: expected a dict, got {type(param_group).__name__}")
        param_group = dict(param_group)
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError(f"{name}: parameters must be an ordered collection (list), not a set")
        params = list(params)
        names = []
        if params and all(isinstance(p, tuple) for p in params):  # named_parameters()
            names = [n for n, _ in params]
            params = [p for _, p in params]
            param_group["param_names"] = names
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(f"{name}: can only optimize Tensors, but one of the params is {type(p).__name__}")
            if p.creator is not None and not p._retains_grad:
                raise ValueError(f"{name}: can't optimize a non-leaf Tensor (shape {p.shape})")
        param_group["params"] = params
        for key, default in self.defaults.items():
            if default is required and key not in param_group:
                raise ValueError(f"{name}: parameter group didn't specify a value of required hyperparameter {key!r}")
            param_group.setdefault(key, default)
        seen = set()
        for g in self.param_groups:
            seen.update(id(p) for p in g["params"])
        if any(id(p) in seen for p in params):
            raise ValueError(f"{name}.add_param_group: some parameters appear in more than one parameter group")
        if len({id(p) for p in params}) != len(params):
            raise ValueError(f"{name}.add_param_group: the group lists a parameter more than once")
        self.param_groups.append(param_group)

    # -- the training-loop calls -------------------------------------------------------
    def zero_grad(self, set_to_none=True):
        """Drop every parameter's gradient (``set_to_none=True``) or set it to zeros."""
        for group in self.param_groups:
            for p in group["params"]:
                g = p.grad
                if g is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:  # a fresh array: the old one may be shared with another tensor
                    g.data = get_array_module(g.data).zeros_like(g.data)

    def step(self, closure=None):
        """Update every parameter that has a gradient; ``closure`` re-evaluates and returns the loss."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        for group in self.param_groups:
            self._step_group(group)
        return loss

    def register_step_pre_hook(self, hook):
        """``hook(optimizer, args, kwargs)`` runs before each ``step``; it may return ``(args, kwargs)``
        to replace them.  Returns a handle whose ``remove()`` unregisters it."""
        return _add_hook(self, "_step_pre_hooks", hook)

    def register_step_post_hook(self, hook):
        """``hook(optimizer, args, kwargs)`` runs after each ``step``."""
        return _add_hook(self, "_step_post_hooks", hook)

    def _step_group(self, group):
        raise NotImplementedError(f"{type(self).__name__} does not define _step_group(group)")

    # -- saving -----------------------------------------------------------------------
    def state_dict(self):
        """``{'state': {index: {...}}, 'param_groups': [{..., 'params': [indices]}]}`` as in PyTorch.

        Parameters are numbered in the order of ``param_groups``; state arrays are returned as
        they are (not copied), as PyTorch does: save them before stepping again.
        """
        index = {}
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            for p in group["params"]:
                index.setdefault(id(p), len(index))
            packed["params"] = [index[id(p)] for p in group["params"]]
            groups.append(packed)
        state = {index[id(p)]: s for p, s in self.state.items() if id(p) in index}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        """Load a dict from ``state_dict()`` (ours or one in PyTorch's layout, arrays or Tensors).

        Arrays are copied onto each parameter's device; floating state takes the parameter's dtype.
        """
        name = type(self).__name__
        saved_groups = copy.deepcopy(list(state_dict["param_groups"]))
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(f"{name}.load_state_dict: the saved state has {len(saved_groups)} parameter groups, "
                             f"this optimizer has {len(self.param_groups)}")
        for i, (g, s) in enumerate(zip(self.param_groups, saved_groups)):
            if len(g["params"]) != len(s["params"]):
                raise ValueError(f"{name}.load_state_dict: parameter group {i} has {len(g['params'])} parameters, "
                                 f"the saved one has {len(s['params'])}")
        id_map = {}
        for g, s in zip(self.param_groups, saved_groups):
            for p, k in zip(g["params"], s["params"]):
                id_map[k] = p
        state = defaultdict(dict)
        for k, v in state_dict["state"].items():
            k = int(k) if isinstance(k, str) and k.isdigit() else k
            if k in id_map:
                p = id_map[k]
                state[p] = {key: _cast_state(p, key, val) for key, val in v.items()}
            else:
                state[k] = v
        for g, s in zip(self.param_groups, saved_groups):
            s["params"] = g["params"]
            for key, value in g.items():  # hyperparameters an older or foreign state dict lacks
                s.setdefault(key, value)
        self.state = state
        self.param_groups = saved_groups

    def __repr__(self):
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for key in sorted(k for k in group if k not in ("params", "param_names")):
                lines.append(f"    {key}: {group[key]}")
        lines.append(")")
        return "\n".join(lines)


_LABELS = {"lr": "learning rate", "eps": "epsilon value"}


def check_nonnegative(name, **values):
    """Raise PyTorch's ValueError ("Invalid learning rate: -1") for a negative hyperparameter."""
    for key, value in values.items():
        if value < 0.0:
            raise ValueError(f"{name}: Invalid {_LABELS.get(key, key + ' value')}: {value} (must be >= 0)")


_PERF_FLAGS = ("foreach", "capturable", "differentiable", "fused")


def check_flags(name, flags):
    """Accept PyTorch's implementation switches (``foreach``, ``fused``, ``capturable``), which do not
    change the result; ``differentiable=True`` (gradients through the update) is not supported."""
    for key in flags:
        if key not in _PERF_FLAGS:
            raise TypeError(f"{name}.__init__() got an unexpected keyword argument {key!r}")
    if flags.get("differentiable"):
        raise NotImplementedError(f"{name}: differentiable=True (gradients through the update) is not supported")


def check_betas(name, betas):
    """Raise PyTorch's ValueError for betas outside [0, 1)."""
    if len(betas) != 2:
        raise ValueError(f"{name}: betas must be a pair (beta1, beta2), got {betas}")
    for i, b in enumerate(betas):
        if not 0.0 <= b < 1.0:
            raise ValueError(f"{name}: Invalid beta parameter at index {i}: {b} (betas must be in [0, 1))")


def _add_hook(opt, store, hook):
    from deepgrad.nn.module import RemovableHandle

    hooks = opt.__dict__.setdefault(store, OrderedDict())
    handle = RemovableHandle(hooks)
    hooks[handle.id] = hook
    return handle


def _with_step_hooks(step):
    """``step`` wrapped to run the optimizer's step pre- and post-hooks (once, even when a subclass's
    step calls ``super().step()``)."""

    @functools.wraps(step)
    def wrapper(self, *args, **kwargs):
        pre, post = self.__dict__.get("_step_pre_hooks"), self.__dict__.get("_step_post_hooks")
        if not (pre or post) or self.__dict__.get("_in_step"):
            return step(self, *args, **kwargs)
        self._in_step = True
        args = (self, *args)  # as PyTorch: the hooks see the optimizer as the first argument too
        try:
            for hook in list(pre.values()) if pre else []:
                res = hook(self, args, kwargs)
                if res is not None:
                    if not (isinstance(res, tuple) and len(res) == 2):
                        raise RuntimeError(f"{type(self).__name__}: a step pre-hook must return None or "
                                           f"(args, kwargs), got {type(res).__name__}")
                    args, kwargs = res
            out = step(*args, **kwargs)
            for hook in list(post.values()) if post else []:
                hook(self, args, kwargs)
            return out
        finally:
            self._in_step = False

    return wrapper


Optimizer.step = _with_step_hooks(Optimizer.step)


def _cast_state(param, key, value):
    """A copy of one saved state value, on ``param``'s device and (if floating) of its dtype."""
    if isinstance(value, Tensor):
        value = value.data
    if hasattr(value, "__array__") or hasattr(value, "__cuda_array_interface__"):
        if getattr(value, "ndim", 1) == 0 and key in ("step", "mu_product"):
            return value.item() if hasattr(value, "item") else float(value)  # keep scalars Python numbers
        if type(value).__module__.startswith("torch"):
            value = value.detach().cpu().numpy()
        xp = get_array_module(param.data)
        dtype = param.data.dtype if getattr(value, "dtype", None) is not None and value.dtype.kind == "f" else None
        return xp.array(value, dtype=dtype, copy=True)
    return copy.deepcopy(value)


def _grad(p, maximize, weight_decay):
    """``p``'s gradient array, negated for ``maximize`` and with L2 ``weight_decay * p`` added.

    Never written into: the engine may share one gradient array between several tensors.
    """
    g = p.grad.data
    if maximize:
        g = -g
    if weight_decay != 0:
        g = g + weight_decay * p.data
    return g
