"""The older hook-based ``torch.nn.utils.weight_norm`` / ``spectral_norm`` (state_dict keys ``weight_g``,
``weight_v``; ``weight_orig``, ``weight_u``, ``weight_v``).  A forward pre-hook recomputes ``module.weight``
(a plain tensor attribute) from the parameters before every call, as ``prune`` does."""
from __future__ import annotations

import warnings

from deepgrad.autograd import no_grad
from deepgrad.nn.parameter import Parameter
from deepgrad.nn.utils.parametrizations import (
    _default_dim,
    _normalize_,
    _to_matrix,
    _weight_norm,
    norm_except_dim,
    power_iteration,
    sigma_of,
)
from deepgrad.tensor import Tensor

__all__ = ["WeightNorm", "weight_norm", "remove_weight_norm", "SpectralNorm", "spectral_norm",
           "remove_spectral_norm"]


class WeightNorm:
    """The forward pre-hook of ``weight_norm``: ``module.<name> = g * v / ||v||``."""

    def __init__(self, name, dim):
        self.name = name
        self.dim = -1 if dim is None else dim

    def compute_weight(self, module):
        return _weight_norm(getattr(module, self.name + "_v"), getattr(module, self.name + "_g"), self.dim)

    @staticmethod
    def apply(module, name, dim):
        for hook in module._forward_pre_hooks.values():
            if isinstance(hook, WeightNorm) and hook.name == name:
                raise RuntimeError(f"Cannot register two weight_norm hooks on the same parameter {name}")
        fn = WeightNorm(name, dim)
        weight = getattr(module, name)
        if not isinstance(weight, Tensor):
            raise TypeError(f"weight_norm: {type(module).__name__}.{name} is not a tensor")
        with no_grad():
            g = norm_except_dim(weight, 2, fn.dim)
        del module._parameters[name]
        module.register_parameter(name + "_g", Parameter(Tensor._make(g.data)))
        module.register_parameter(name + "_v", Parameter(Tensor._make(weight.data)))
        setattr(module, name, fn.compute_weight(module))
        module.register_forward_pre_hook(fn)
        return fn

    def remove(self, module):
        weight = self.compute_weight(module)
        delattr(module, self.name)
        del module._parameters[self.name + "_g"]
        del module._parameters[self.name + "_v"]
        setattr(module, self.name, Parameter(Tensor._make(weight.data)))

    def __call__(self, module, inputs):
        setattr(module, self.name, self.compute_weight(module))


def weight_norm(module, name="weight", dim=0):
    """Deprecated in torch for ``parametrizations.weight_norm``: parameters ``<name>_g`` and ``<name>_v``."""
    warnings.warn("`torch.nn.utils.weight_norm` is deprecated in favor of "
                  "`torch.nn.utils.parametrizations.weight_norm`.", FutureWarning, stacklevel=2)
    WeightNorm.apply(module, name, dim)
    return module


def remove_weight_norm(module, name="weight"):
    """Make ``<name>`` a plain parameter again (holding g * v / ||v||)."""
    for k, hook in module._forward_pre_hooks.items():
        if isinstance(hook, WeightNorm) and hook.name == name:
            hook.remove(module)
            del module._forward_pre_hooks[k]
            return module
    raise ValueError(f"weight_norm of '{name}' not found in {module}")


class SpectralNorm:
    """The forward pre-hook of the old ``spectral_norm``: ``module.<name> = <name>_orig / sigma``, one
    power-iteration step on the buffers ``<name>_u`` / ``<name>_v`` per call in training mode."""

    def __init__(self, name="weight", n_power_iterations=1, dim=0, eps=1e-12):
        if n_power_iterations <= 0:
            raise ValueError("Expected n_power_iterations to be positive, but got "
                             f"n_power_iterations={n_power_iterations}")
        self.name, self.dim, self.n_power_iterations, self.eps = name, dim, n_power_iterations, eps

    def compute_weight(self, module, do_power_iteration):
        weight = getattr(module, self.name + "_orig")
        u = getattr(module, self.name + "_u").data
        v = getattr(module, self.name + "_v").data
        mat = _to_matrix(weight, self.dim)
        if do_power_iteration:
            with no_grad():
                power_iteration(mat.data, u, v, self.n_power_iterations, self.eps, v_first=True)
        return weight / sigma_of(mat, u, v)

    def remove(self, module):
        with no_grad():
            weight = self.compute_weight(module, do_power_iteration=False)
        delattr(module, self.name)
        delattr(module, self.name + "_u")
        delattr(module, self.name + "_v")
        delattr(module, self.name + "_orig")
        module.register_parameter(self.name, Parameter(Tensor._make(weight.data)))

    def __call__(self, module, inputs):
        setattr(module, self.name, self.compute_weight(module, do_power_iteration=module.training))

    @staticmethod
    def apply(module, name, n_power_iterations, dim, eps):
        for hook in module._forward_pre_hooks.values():
            if isinstance(hook, SpectralNorm) and hook.name == name:
                raise RuntimeError(f"Cannot register two spectral_norm hooks on the same parameter {name}")
        fn = SpectralNorm(name, n_power_iterations, dim, eps)
        weight = module._parameters.get(name)
        if weight is None:
            raise ValueError(f"`SpectralNorm` cannot be applied as parameter `{name}` is None")
        from deepgrad.factories import randn

        mat = _to_matrix(weight, fn.dim).data
        h, w = mat.shape
        u = randn(h, dtype=weight.dtype, device=weight.device).data
        v = randn(w, dtype=weight.dtype, device=weight.device).data
        _normalize_(u, u.copy(), eps)
        _normalize_(v, v.copy(), eps)
        delattr(module, fn.name)
        module.register_parameter(fn.name + "_orig", weight)
        setattr(module, fn.name, Tensor._make(weight.data))
        module.register_buffer(fn.name + "_u", Tensor._make(u))
        module.register_buffer(fn.name + "_v", Tensor._make(v))
        module.register_forward_pre_hook(fn)
        return fn


def spectral_norm(module, name="weight", n_power_iterations=1, eps=1e-12, dim=None):
    """The old hook-based spectral norm: parameter ``<name>_orig``, buffers ``<name>_u``, ``<name>_v``."""
    SpectralNorm.apply(module, name, n_power_iterations, _default_dim(module) if dim is None else dim, eps)
    return module


def remove_spectral_norm(module, name="weight"):
    """Make ``<name>`` a plain parameter again (holding weight_orig / sigma)."""
    for k, hook in module._forward_pre_hooks.items():
        if isinstance(hook, SpectralNorm) and hook.name == name:
            hook.remove(module)
            del module._forward_pre_hooks[k]
            return module
    raise ValueError(f"spectral_norm of '{name}' not found in {module}")
