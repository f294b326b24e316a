"""Ready-made parametrizations, as ``torch.nn.utils.parametrizations``: ``weight_norm``, ``spectral_norm``
and ``orthogonal`` (in orthogonal.py).

``weight_norm(m)`` stores ``g`` and ``v`` as ``parametrizations.weight.original0`` / ``original1`` and
computes ``weight = g * v / ||v||`` (norm over every dim but ``dim``).  ``spectral_norm(m)`` divides the
weight by its largest singular value, estimated by power iteration on the buffers
``parametrizations.weight.0._u`` / ``_v``, which are updated on every access in training mode only.
"""
from __future__ import annotations

from deepgrad.autograd import no_grad
from deepgrad.backend import get_array_module
from deepgrad.nn.module import Module
from deepgrad.nn.utils import parametrize
from deepgrad.tensor import Tensor

__all__ = ["orthogonal", "weight_norm", "spectral_norm"]


def norm_except_dim(v, pow=2, dim=0):  # noqa: A002
    """The 2-norm of ``v`` over every dim but ``dim`` (kept, the others size 1); over all of it if dim == -1."""
    from deepgrad.ops.reduction import norm

    if pow != 2:
        raise NotImplementedError(f"norm_except_dim: only pow=2 is supported, got {pow}")
    if dim == -1:
        return norm(v)
    if not -v.ndim <= dim < v.ndim:
        raise IndexError(f"norm_except_dim: dim {dim} is out of range for a tensor of {v.ndim} dims")
    d = dim % v.ndim
    axes = tuple(i for i in range(v.ndim) if i != d)
    return norm(v, 2, axes, keepdim=True) if axes else abs(v)  # 1-D: the norm of each single entry


def _weight_norm(v, g, dim):
    """``v * (g / norm_except_dim(v, 2, dim))`` (torch._weight_norm), differentiable in v and g."""
    return v * (g / norm_except_dim(v, 2, dim))


class _WeightNorm(Module):
    def __init__(self, dim=0):
        super().__init__()
        self.dim = -1 if dim is None else dim

    def forward(self, weight_g, weight_v):
        return _weight_norm(weight_v, weight_g, self.dim)

    def right_inverse(self, weight):
        return norm_except_dim(weight, 2, self.dim), weight


def weight_norm(module, name="weight", dim=0):
    """Reparametrize ``module.<name>`` as ``g * v / ||v||`` (torch.nn.utils.parametrizations.weight_norm)."""
    parametrize.register_parametrization(module, name, _WeightNorm(dim), unsafe=True)

    def _weight_norm_compat_hook(state_dict, prefix, *args):
        """Load a state_dict of the older ``nn.utils.weight_norm`` (keys ``<name>_g``, ``<name>_v``)."""
        g_key, v_key = f"{prefix}{name}_g", f"{prefix}{name}_v"
        if g_key in state_dict and v_key in state_dict:
            state_dict[f"{prefix}parametrizations.{name}.original0"] = state_dict.pop(g_key)
            state_dict[f"{prefix}parametrizations.{name}.original1"] = state_dict.pop(v_key)

    module._register_load_state_dict_pre_hook(_weight_norm_compat_hook)
    return module


def _to_matrix(weight, dim):
    """``weight`` with ``dim`` first, flattened to (size of dim, rest)."""
    from deepgrad.ops.shape import permute, reshape

    if dim != 0:
        weight = permute(weight, dim, *(d for d in range(weight.ndim) if d != dim))
    return reshape(weight, (weight.shape[0], -1))


def _normalize_(out, x, eps):
    """``out[...] = x / max(||x||, eps)`` on raw arrays (F.normalize(x, dim=0, out=out))."""
    xp = get_array_module(x)
    out[...] = x / xp.maximum(xp.sqrt((x * x).sum()), eps)


def power_iteration(mat, u, v, n, eps, v_first=False):
    """``n`` steps of power iteration on the raw 2-D array ``mat``, updating the arrays u and v in place."""
    for _ in range(n):
        if v_first:  # the order of the old nn.utils.spectral_norm
            _normalize_(v, mat.T @ u, eps)
            _normalize_(u, mat @ v, eps)
        else:
            _normalize_(u, mat @ v, eps)
            _normalize_(v, mat.T @ u, eps)


def sigma_of(mat, u, v):
    """``u . (mat @ v)`` with ``u`` and ``v`` constants: the estimated largest singular value."""
    from deepgrad.ops.arith import matmul

    return (Tensor._make(u.copy()) * matmul(mat, Tensor._make(v.copy()))).sum()


class _SpectralNorm(Module):
    def __init__(self, weight, n_power_iterations=1, dim=0, eps=1e-12):
        super().__init__()
        ndim = weight.ndim
        if dim >= ndim or dim < -ndim:
            raise IndexError(f"Dimension out of range (expected to be in range of [-{ndim}, {ndim - 1}] but got {dim})")
        if n_power_iterations <= 0:
            raise ValueError("Expected n_power_iterations to be positive, but got "
                             f"n_power_iterations={n_power_iterations}")
        self.dim = dim if dim >= 0 else dim + ndim
        self.eps = eps
        if ndim > 1:
            from deepgrad.factories import randn

            self.n_power_iterations = n_power_iterations
            mat = _to_matrix(weight, self.dim).data
            h, w = mat.shape
            u = randn(h, dtype=weight.dtype, device=weight.device).data
            v = randn(w, dtype=weight.dtype, device=weight.device).data
            _normalize_(u, u.copy(), eps)
            _normalize_(v, v.copy(), eps)
            self.register_buffer("_u", Tensor._make(u))
            self.register_buffer("_v", Tensor._make(v))
            power_iteration(mat, self._u.data, self._v.data, 15, eps)

    def forward(self, weight):
        if weight.ndim == 1:
            from deepgrad.nn.functional import normalize

            return normalize(weight, dim=0, eps=self.eps)
        mat = _to_matrix(weight, self.dim)
        if self.training:
            with no_grad():
                power_iteration(mat.data, self._u.data, self._v.data, self.n_power_iterations, self.eps)
        return weight / sigma_of(mat, self._u.data, self._v.data)

    def right_inverse(self, value):
        return value


def _default_dim(module):
    from deepgrad.nn import conv

    transposed = tuple(getattr(conv, n) for n in ("ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d")
                       if hasattr(conv, n))
    return 1 if transposed and isinstance(module, transposed) else 0


def spectral_norm(module, name="weight", n_power_iterations=1, eps=1e-12, dim=None):
    """Divide ``module.<name>`` by its spectral norm (torch.nn.utils.parametrizations.spectral_norm)."""
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if dim is None:
        dim = _default_dim(module)
    parametrize.register_parametrization(module, name, _SpectralNorm(weight, n_power_iterations, dim, eps))
    return module


from deepgrad.nn.utils.orthogonal import orthogonal  # noqa: E402
