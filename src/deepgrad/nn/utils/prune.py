"""Pruning, as ``torch.nn.utils.prune``: ``l1_unstructured(module, "weight", amount=0.2)`` replaces the
parameter ``weight`` by the parameter ``weight_orig`` and the buffer ``weight_mask``; a forward pre-hook
recomputes ``module.weight = weight_mask * weight_orig`` before every call, so the gradient reaches
``weight_orig`` masked.  Pruning the same tensor again prunes a fraction of the *remaining* entries
(a ``PruningContainer`` keeps the history); ``remove`` makes the pruning permanent.

``reset_to_initial`` (a deepgrad addition) is the lottery-ticket reset: the surviving weights take
their initial values back while the masks stay (see examples/lottery_ticket.py).
"""
from __future__ import annotations

import math
import numbers
from abc import ABC, abstractmethod
from collections.abc import Iterable

import numpy as np

from deepgrad.backend import as_numpy, get_array_module
from deepgrad.ops.sorting import _argsort_array
from deepgrad.tensor import Tensor


def _arr(t):
    return t.data if isinstance(t, Tensor) else t if hasattr(t, "dtype") else np.asarray(t)


def _on(a, like):
    """``a`` in the array module of ``like`` (numpy or cupy)."""
    xp = get_array_module(like)
    return a if get_array_module(a) is xp else xp.asarray(as_numpy(a))


def _cleared(default_mask, flat_indices):
    """A copy of ``default_mask`` with zeros at ``flat_indices`` (of the raveled mask)."""
    m = _arr(default_mask)
    flat = m.reshape(-1).copy()
    if len(flat_indices):
        flat[_on(flat_indices, flat)] = 0
    return Tensor._make(flat.reshape(m.shape))


class BasePruningMethod(ABC):
    """A pruning rule: subclasses set ``PRUNING_TYPE`` ('unstructured', 'structured' or 'global') and
    define ``compute_mask(t, default_mask)``; ``Method.apply(module, name, ...)`` prunes a tensor."""

    _tensor_name = None

    def __call__(self, module, inputs):
        """The forward pre-hook: ``module.<name> = mask * orig``."""
        setattr(module, self._tensor_name, self.apply_mask(module))

    @abstractmethod
    def compute_mask(self, t, default_mask):
        """The mask for the importance scores ``t``, on top of ``default_mask`` (same shape as ``t``)."""

    def apply_mask(self, module):
        """``module.<name>_mask * module.<name>_orig`` (differentiable with respect to the original)."""
        if self._tensor_name is None:
            raise AssertionError(f"Module {module} has to be pruned")
        mask = getattr(module, self._tensor_name + "_mask")
        orig = getattr(module, self._tensor_name + "_orig")
        return mask.to(dtype=orig.dtype) * orig

    @classmethod
    def apply(cls, module, name, *args, importance_scores=None, **kwargs):
        """Prune the tensor ``name`` of ``module`` (again, if it is pruned already) and return the method
        registered as its forward pre-hook (a ``PruningContainer`` from the second pruning on)."""
        old_key, old = None, None
        for k, hook in module._forward_pre_hooks.items():
            if isinstance(hook, BasePruningMethod) and hook._tensor_name == name:
                if old is not None:
                    raise AssertionError(f"Avoid adding multiple pruning hooks to the same tensor {name} of module "
                                         f"{type(module).__name__}. Use a PruningContainer.")
                old_key, old = k, hook
        method = cls(*args, **kwargs)
        method._tensor_name = name
        orig = getattr(module, name)
        if not isinstance(orig, Tensor):
            raise TypeError(f"{cls.__name__}: {type(module).__name__}.{name} is {type(orig).__name__}, "
                            "not a tensor that can be pruned")
        if old is None and name not in module._parameters:
            raise TypeError(f"{cls.__name__}: {type(module).__name__}.{name} is not a parameter (a buffer or a "
                            "plain tensor); only parameters can be pruned")
        if importance_scores is None:
            importance_scores = orig
        elif tuple(importance_scores.shape) != tuple(orig.shape):
            raise AssertionError(f"importance_scores should have the same shape as parameter {name} of "
                                 f"{type(module).__name__}, got {tuple(importance_scores.shape)} "
                                 f"vs {tuple(orig.shape)}")
        elif not isinstance(importance_scores, Tensor):
            importance_scores = Tensor._make(_on(_arr(importance_scores), orig.data))

        if old is None:
            default_mask = Tensor._make(get_array_module(orig.data).ones_like(orig.data))
        else:
            default_mask = Tensor._make(getattr(module, name + "_mask").data.copy())
            if isinstance(old, PruningContainer):
                old.add_pruning_method(method)
                container = old
            else:
                container = PruningContainer(old)
                container.add_pruning_method(method)
            method = container
        try:
            mask = method.compute_mask(importance_scores, default_mask=default_mask)
        except Exception:
            if old is not None and method is old:  # a failed pruning leaves the module as it was
                old._pruning_methods = old._pruning_methods[:-1]
            raise
        mask = mask if isinstance(mask, Tensor) else Tensor._make(_arr(mask))
        if tuple(mask.shape) != tuple(orig.shape):
            if old is not None and method is old:
                old._pruning_methods = old._pruning_methods[:-1]
            raise ValueError(f"{cls.__name__}.compute_mask returned a mask of shape {tuple(mask.shape)} for "
                             f"{type(module).__name__}.{name} of shape {tuple(orig.shape)}")
        if old is None:
            module.register_parameter(name + "_orig", orig)
            del module._parameters[name]
        else:
            del module._forward_pre_hooks[old_key]
        module.register_buffer(name + "_mask", mask)
        setattr(module, name, method.apply_mask(module))
        module.register_forward_pre_hook(method)
        return method

    def prune(self, t, default_mask=None, importance_scores=None):
        """``t`` times the mask computed from ``importance_scores`` (default ``t``)."""
        if importance_scores is not None:
            if tuple(importance_scores.shape) != tuple(t.shape):
                raise AssertionError(f"importance_scores should have the same shape as tensor t, "
                                     f"got {tuple(importance_scores.shape)} vs {tuple(t.shape)}")
        else:
            importance_scores = t
        if default_mask is None:
            default_mask = Tensor._make(get_array_module(_arr(t)).ones_like(_arr(t)))
        return t * self.compute_mask(importance_scores, default_mask=default_mask)

    def remove(self, module):
        """Make the pruning permanent: ``<name>`` becomes a parameter again holding ``mask * orig``."""
        if self._tensor_name is None:
            raise AssertionError(f"Module {module} has to be pruned before pruning can be removed")
        weight = self.apply_mask(module)
        if self._tensor_name in module.__dict__:
            delattr(module, self._tensor_name)
        orig = module._parameters[self._tensor_name + "_orig"]
        orig.data = weight.data
        del module._parameters[self._tensor_name + "_orig"]
        del module._buffers[self._tensor_name + "_mask"]
        setattr(module, self._tensor_name, orig)


class PruningContainer(BasePruningMethod):
    """The pruning methods applied one after the other to one tensor; each new one acts on what the
    earlier ones left (the unpruned entries, or the unpruned channels for structured methods)."""

    def __init__(self, *args):
        self._pruning_methods = ()
        if len(args) == 1:
            self._tensor_name = args[0]._tensor_name
            self.add_pruning_method(args[0])
        else:
            for method in args:
                self.add_pruning_method(method)

    def add_pruning_method(self, method):
        """Append ``method`` (which must act on the same tensor name)."""
        if not isinstance(method, BasePruningMethod) and method is not None:
            raise TypeError(f"{type(method)} is not a BasePruningMethod subclass")
        if method is not None and self._tensor_name != method._tensor_name:
            raise ValueError(f"Can only add pruning methods acting on the parameter named '{self._tensor_name}' "
                             f"to PruningContainer {self}. Found '{method._tensor_name}'")
        self._pruning_methods += (method,)

    def __len__(self):
        return len(self._pruning_methods)

    def __iter__(self):
        return iter(self._pruning_methods)

    def __getitem__(self, idx):
        return self._pruning_methods[idx]

    def compute_mask(self, t, default_mask):
        """``default_mask`` with the latest method applied to the part of ``t`` it has not pruned yet."""
        method = self._pruning_methods[-1]
        t, mask = _arr(t), _arr(default_mask)
        new_mask = mask.astype(t.dtype, copy=True)
        kind = method.PRUNING_TYPE
        if kind == "unstructured":
            slc = mask == 1
        elif kind == "structured":
            if not hasattr(method, "dim"):
                raise AttributeError('Pruning methods of PRUNING_TYPE "structured" need to have the attribute '
                                     "`dim` defined.")
            dim = _structured_dim(t, method.dim, type(method).__name__)
            keep_channel = mask.sum(axis=tuple(d for d in range(t.ndim) if d != dim)) != 0
            slc = tuple(keep_channel if d == dim else slice(None) for d in range(t.ndim))
        elif kind == "global":
            slc = (slice(None),) * t.ndim
        else:
            raise ValueError(f"Unrecognized PRUNING_TYPE {kind}")
        partial = method.compute_mask(Tensor._make(t[slc]), default_mask=Tensor._make(mask[slc]))
        new_mask[slc] = _on(_arr(partial), new_mask).astype(new_mask.dtype)
        return Tensor._make(new_mask)


def _amount_to_prune(method, size):
    """How many of ``size`` entries (or channels) ``method.amount`` prunes, validated."""
    k = _compute_nparams_toprune(method.amount, size)
    _validate_pruning_amount(k, size, type(method).__name__)
    return k


def _structured_amount(method, t):
    """``(dim, size, k)``: the pruned dimension of ``t``, its size and how many channels to prune."""
    _validate_structured_pruning(t, type(method).__name__)
    dim = _structured_dim(t, method.dim, type(method).__name__)
    size = t.shape[dim]
    return dim, size, _amount_to_prune(method, size)


class _AmountPruningMethod(BasePruningMethod):
    """A pruning method that prunes ``amount`` (a count, or a fraction of the unpruned entries)."""

    def __init__(self, amount):
        _validate_pruning_amount_init(amount, type(self).__name__)
        self.amount = amount


class _UnstructuredAmountMethod(_AmountPruningMethod):
    """Prunes ``amount`` entries: the first ``k`` of ``_order(t)`` (flat indices of the array ``t``)."""

    PRUNING_TYPE = "unstructured"

    def compute_mask(self, t, default_mask):
        t = _arr(t)
        k = _amount_to_prune(self, t.size)
        if k == 0:
            return Tensor._make(_arr(default_mask).copy())
        return _cleared(default_mask, self._order(t)[:k])


class Identity(BasePruningMethod):
    """Prunes nothing: the reparametrization with a mask of ones."""

    PRUNING_TYPE = "unstructured"

    def compute_mask(self, t, default_mask):
        return default_mask

    @classmethod
    def apply(cls, module, name):
        return super().apply(module, name)


class RandomUnstructured(_UnstructuredAmountMethod):
    """Prune ``amount`` (a count, or a fraction of the unpruned entries) entries chosen at random."""

    def _order(self, t):
        from deepgrad.random import generator

        prob = generator(get_array_module(t)).random((t.size,), dtype=np.float32)
        return _argsort_array(prob, 0, True)

    @classmethod
    def apply(cls, module, name, amount):
        return super().apply(module, name, amount=amount)


class L1Unstructured(_UnstructuredAmountMethod):
    """Prune the ``amount`` (a count, or a fraction of the unpruned entries) entries of smallest |value|."""

    def _order(self, t):
        return _argsort_array(get_array_module(t).abs(t).reshape(-1), 0, False)

    @classmethod
    def apply(cls, module, name, amount, importance_scores=None):
        return super().apply(module, name, amount=amount, importance_scores=importance_scores)


def _channel_mask(t, dim, pruned, default_mask):
    """Ones except at the ``pruned`` channels along ``dim``, times ``default_mask``."""
    xp = get_array_module(t)
    keep = xp.ones(t.shape[dim], dtype=bool)
    keep[_on(pruned, keep)] = False
    shape = [1] * t.ndim
    shape[dim] = t.shape[dim]
    mask = xp.broadcast_to(keep.reshape(shape), t.shape).astype(t.dtype)
    return Tensor._make(mask * _arr(default_mask).astype(t.dtype))


class RandomStructured(_AmountPruningMethod):
    """Prune ``amount`` (a count, or a fraction) of the unpruned channels along ``dim``, at random."""

    PRUNING_TYPE = "structured"

    def __init__(self, amount, dim=-1):
        super().__init__(amount)
        self.dim = dim

    def compute_mask(self, t, default_mask):
        t = _arr(t)
        dim, size, k = _structured_amount(self, t)
        if k == 0:
            return default_mask
        from deepgrad.random import generator

        prob = generator(get_array_module(t)).random((size,), dtype=np.float32)
        return _channel_mask(t, dim, _argsort_array(prob, 0, False)[:k], default_mask)

    @classmethod
    def apply(cls, module, name, amount, dim=-1):
        return super().apply(module, name, amount=amount, dim=dim)


class LnStructured(_AmountPruningMethod):
    """Prune ``amount`` (a count, or a fraction) of the unpruned channels along ``dim`` with the smallest
    ``n``-norm (``n`` as ``p`` of ``torch.norm``: a number, ``inf``, ``-inf`` or ``'fro'``)."""

    PRUNING_TYPE = "structured"

    def __init__(self, amount, n, dim=-1):
        super().__init__(amount)
        self.n = n
        self.dim = dim

    def compute_mask(self, t, default_mask):
        t = _arr(t)
        dim, size, k = _structured_amount(self, t)
        norm = _compute_norm(t, self.n, dim)
        if k == 0:
            return default_mask
        keep = _argsort_array(norm, 0, True)[:size - k]
        pruned = get_array_module(t).ones(size, dtype=bool)
        pruned[keep] = False
        return _channel_mask(t, dim, get_array_module(t).nonzero(pruned)[0], default_mask)

    @classmethod
    def apply(cls, module, name, amount, n, dim, importance_scores=None):
        return super().apply(module, name, amount=amount, n=n, dim=dim, importance_scores=importance_scores)


class CustomFromMask(BasePruningMethod):
    """Prune where the given ``mask`` is 0 (on top of any earlier pruning)."""

    PRUNING_TYPE = "global"

    def __init__(self, mask):
        self.mask = mask

    def compute_mask(self, t, default_mask):
        d = _arr(default_mask)
        m = _arr(self.mask)
        if tuple(d.shape) != tuple(m.shape):
            raise AssertionError(f"default_mask shape {tuple(d.shape)} must match self.mask shape {tuple(m.shape)}")
        return Tensor._make(d * _on(m, d).astype(d.dtype))

    @classmethod
    def apply(cls, module, name, mask):
        return super().apply(module, name, mask=mask)


def identity(module, name):
    """Reparametrize ``module.<name>`` with a mask of ones (prunes nothing); returns ``module``."""
    Identity.apply(module, name)
    return module


def random_unstructured(module, name, amount):
    """Prune ``amount`` (int: a count; float in [0, 1]: a fraction of the unpruned) random entries."""
    RandomUnstructured.apply(module, name, amount)
    return module


def l1_unstructured(module, name, amount, importance_scores=None):
    """Prune the ``amount`` entries of smallest |importance| (default: |value|); returns ``module``."""
    L1Unstructured.apply(module, name, amount=amount, importance_scores=importance_scores)
    return module


def random_structured(module, name, amount, dim):
    """Prune ``amount`` random channels along ``dim``; returns ``module``."""
    RandomStructured.apply(module, name, amount, dim)
    return module


def ln_structured(module, name, amount, n, dim, importance_scores=None):
    """Prune the ``amount`` channels along ``dim`` of smallest ``n``-norm; returns ``module``."""
    LnStructured.apply(module, name, amount, n, dim, importance_scores=importance_scores)
    return module


def global_unstructured(parameters, pruning_method, importance_scores=None, **kwargs):
    """Prune the (module, name) ``parameters`` together: ``pruning_method(**kwargs)`` (an unstructured
    method such as ``L1Unstructured``, ``amount=``) acts on all their unpruned entries at once."""
    if not isinstance(parameters, Iterable):
        raise TypeError("global_unstructured(): parameters is not an Iterable")
    parameters = list(parameters)
    importance_scores = importance_scores if importance_scores is not None else {}
    if not isinstance(importance_scores, dict):
        raise TypeError("global_unstructured(): importance_scores must be of type dict")
    if not parameters:
        raise ValueError("global_unstructured(): parameters is empty")
    tensors = [getattr(module, name) for module, name in parameters]
    like = _arr(tensors[0])
    xp = get_array_module(like)
    scores = xp.concatenate([_on(_arr(importance_scores.get((m, n), t)), like).reshape(-1)
                             for (m, n), t in zip(parameters, tensors)])
    masks = [getattr(m, n + "_mask", None) for m, n in parameters]
    default_mask = xp.concatenate([(_on(_arr(mk), like) if mk is not None else xp.ones_like(_arr(t))).reshape(-1)
                                   for mk, t in zip(masks, tensors)])
    container = PruningContainer()
    container._tensor_name = "temp"
    method = pruning_method(**kwargs)
    method._tensor_name = "temp"
    if method.PRUNING_TYPE != "unstructured":
        raise TypeError('Only "unstructured" PRUNING_TYPE supported for the `pruning_method`. '
                        f"Found method {pruning_method} of type {method.PRUNING_TYPE}")
    container.add_pruning_method(method)
    final_mask = _arr(container.compute_mask(Tensor._make(scores), Tensor._make(default_mask)))
    pointer = 0
    for (module, name), t in zip(parameters, tensors):
        size = int(np.prod(t.shape, dtype=np.int64))
        custom_from_mask(module, name, mask=Tensor._make(final_mask[pointer:pointer + size].reshape(t.shape)))
        pointer += size


def custom_from_mask(module, name, mask):
    """Prune ``module.<name>`` where ``mask`` is 0; returns ``module``."""
    CustomFromMask.apply(module, name, mask)
    return module


def remove(module, name):
    """Make the pruning of ``module.<name>`` permanent: ``<name>`` is a plain parameter again (with the
    pruned entries at zero); ``<name>_orig``, ``<name>_mask`` and the hook go."""
    for k, hook in module._forward_pre_hooks.items():
        if isinstance(hook, BasePruningMethod) and hook._tensor_name == name:
            hook.remove(module)
            del module._forward_pre_hooks[k]
            return module
    raise ValueError(f"Parameter '{name}' of module {type(module).__name__} has to be pruned before pruning "
                     "can be removed")


def is_pruned(module):
    """Whether ``module`` or any sub-module has a pruning hook."""
    for _, sub in module.named_modules():
        for hook in sub._forward_pre_hooks.values():
            if isinstance(hook, BasePruningMethod):
                return True
    return False


def reset_to_initial(module, initial_state):
    """Lottery-ticket reset (deepgrad addition): copy ``initial_state`` (a ``state_dict`` saved before
    training, pruned or not) into ``module``'s parameters and buffers in place, keeping the pruning
    masks: a pruned ``weight_orig`` takes the saved ``weight_orig`` or ``weight``.  Returns ``module``."""
    masks = set()
    for prefix, sub in module.named_modules():
        for hook in sub._forward_pre_hooks.values():
            if isinstance(hook, BasePruningMethod):
                names = [h._tensor_name for h in hook] if isinstance(hook, PruningContainer) else [hook._tensor_name]
                masks.update((prefix + "." if prefix else "") + n for n in names)
    for key, t in module.state_dict(keep_vars=True).items():
        base = key[:-len("_orig")] if key.endswith("_orig") else None
        if key.endswith("_mask") and key[:-len("_mask")] in masks:
            continue
        src = key if key in initial_state else base if base in masks and base in initial_state else None
        if src is None:
            raise KeyError(f"reset_to_initial: {key!r} is not in the initial state")
        value = _arr(initial_state[src])
        if tuple(value.shape) != tuple(t.shape):
            raise ValueError(f"reset_to_initial: {key!r} has shape {tuple(t.shape)}, the initial state "
                             f"{tuple(value.shape)}")
        t.data[...] = _on(value, t.data).astype(t.data.dtype, copy=False)
    for _, sub in module.named_modules():
        for hook in list(sub._forward_pre_hooks.values()):
            if isinstance(hook, BasePruningMethod):
                hook(sub, None)
    return module


def _who(who):
    return f"{who}: " if who else ""


def _validate_pruning_amount_init(amount, who=None):
    if not isinstance(amount, numbers.Real):
        raise TypeError(f"{_who(who)}Invalid type for amount: {amount}. Must be int or float.")
    if (isinstance(amount, numbers.Integral) and amount < 0) or (
            not isinstance(amount, numbers.Integral) and not 0.0 <= float(amount) <= 1.0):
        raise ValueError(f"{_who(who)}amount={amount} should either be a float in the range [0, 1] or a "
                         "non-negative integer")


def _validate_pruning_amount(amount, tensor_size, who=None):
    if isinstance(amount, numbers.Integral) and amount > tensor_size:
        raise ValueError(f"{_who(who)}amount={amount} should be smaller than the number of parameters to "
                         f"prune={tensor_size}")


def _validate_structured_pruning(t, who=None):
    shape = tuple(t.shape)
    if len(shape) <= 1:
        raise ValueError(f"{_who(who)}Structured pruning can only be applied to multidimensional tensors. "
                         f"Found tensor of shape {shape} with {len(shape)} dims")


def _structured_dim(t, dim, who=None):
    ndim = len(t.shape)
    if not -ndim <= dim < ndim:
        raise IndexError(f"{_who(who)}Invalid index {dim} for tensor of size {tuple(t.shape)}")
    return dim % ndim


def _compute_nparams_toprune(amount, tensor_size):
    if isinstance(amount, numbers.Integral):
        return int(amount)
    return round(amount * tensor_size)


def _compute_norm(t, n, dim):
    """The ``n``-norm of each slice of ``t`` along ``dim`` (over all the other dims), as ``torch.norm``."""
    xp = get_array_module(t)
    axes = tuple(d for d in range(t.ndim) if d != dim)
    a = xp.abs(t.astype(xp.float64))
    if n == "fro":
        n = 2
    if isinstance(n, str) or not isinstance(n, numbers.Real):
        raise ValueError(f"ln_structured: n={n!r} is not a supported norm order (a number, inf, -inf or 'fro')")
    if n == math.inf:
        return a.max(axis=axes)
    if n == -math.inf:
        return a.min(axis=axes)
    if n == 0:
        return (a != 0).sum(axis=axes).astype(xp.float64)
    return (a ** n).sum(axis=axes) ** (1.0 / n)


__all__ = ["BasePruningMethod", "PruningContainer", "Identity", "RandomUnstructured", "L1Unstructured",
           "RandomStructured", "LnStructured", "CustomFromMask", "identity", "random_unstructured", "l1_unstructured",
           "random_structured", "ln_structured", "global_unstructured", "custom_from_mask", "remove", "is_pruned",
           "reset_to_initial"]
