"""One module per activation of the core, with PyTorch's names and arguments.

Each forwards to the functional op of the same name (``deepgrad.nn.functional``), looked up
when called, so the modules stay thin.  ``PReLU`` owns its learned slope; ``Logistic`` is
the lectures' general logistic L / (1 + exp(-k (x - x0))).
"""
from __future__ import annotations

from deepgrad.nn import functional as F
from deepgrad.nn._util import empty_parameter
from deepgrad.nn.module import Module


class ReLU(Module):
    """max(0, x)."""

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):  # noqa: A002
        return F.relu(input)

    def extra_repr(self):
        return "inplace=True" if self.inplace else ""


class ReLU6(ReLU):
    """min(max(0, x), 6)."""

    def forward(self, input):  # noqa: A002
        return F.relu6(input)


class Sigmoid(Module):
    """1 / (1 + exp(-x))."""

    def forward(self, input):  # noqa: A002
        return F.sigmoid(input)


class Tanh(Module):
    """(e^x - e^-x) / (e^x + e^-x)."""

    def forward(self, input):  # noqa: A002
        return F.tanh(input)


class LeakyReLU(Module):
    """x for x > 0, negative_slope * x elsewhere."""

    def __init__(self, negative_slope=0.01, inplace=False):
        super().__init__()
        self.negative_slope = negative_slope
        self.inplace = inplace

    def forward(self, input):  # noqa: A002
        return F.leaky_relu(input, self.negative_slope)

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}" + (", inplace=True" if self.inplace else "")


class PReLU(Module):
    """Leaky ReLU whose slope is learned: one slope, or one per channel (dim 1) with
    ``num_parameters=C``; initialized to ``init`` (0.25)."""

    def __init__(self, num_parameters=1, init=0.25, device=None, dtype=None):
        super().__init__()
        self.num_parameters = num_parameters
        self.init = init
        self.weight = empty_parameter((num_parameters,), device, dtype)
        self.reset_parameters()

    def reset_parameters(self):
        self.weight.data[...] = self.init

    def forward(self, input):  # noqa: A002
        from deepgrad.ops.elementwise import where
        from deepgrad.ops.shape import reshape

        w = self.weight
        if self.num_parameters > 1:
            if input.ndim < 2 or input.shape[1] != self.num_parameters:
                raise ValueError(f"{self!r}: expected input of shape (N, {self.num_parameters}, *), "
                                 f"got shape {input.shape}")
            w = reshape(w, (1, self.num_parameters) + (1,) * (input.ndim - 2))
        return where(input > 0, input, input * w)

    def extra_repr(self):
        return f"num_parameters={self.num_parameters}"


class ELU(Module):
    """x for x > 0, alpha * (exp(x) - 1) elsewhere."""

    def __init__(self, alpha=1.0, inplace=False):
        super().__init__()
        self.alpha = alpha
        self.inplace = inplace

    def forward(self, input):  # noqa: A002
        return F.elu(input, self.alpha)

    def extra_repr(self):
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")


class SELU(Module):
    """scale * elu(x, alpha) with the self-normalizing constants."""

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):  # noqa: A002
        return F.selu(input)

    def extra_repr(self):
        return "inplace=True" if self.inplace else ""


class GELU(Module):
    """x * Phi(x) (``approximate='tanh'`` for the tanh formula)."""

    def __init__(self, approximate="none"):
        super().__init__()
        self.approximate = approximate

    def forward(self, input):  # noqa: A002
        if self.approximate == "none":
            return F.gelu(input)
        return F.gelu(input, approximate=self.approximate)

    def extra_repr(self):
        return f"approximate={self.approximate!r}"


class Softplus(Module):
    """log(1 + exp(beta x)) / beta (linear above ``threshold``)."""

    def __init__(self, beta=1.0, threshold=20.0):
        super().__init__()
        self.beta = beta
        self.threshold = threshold

    def forward(self, input):  # noqa: A002
        if self.beta == 1 and self.threshold == 20:
            return F.softplus(input)
        return F.softplus(input, beta=self.beta, threshold=self.threshold)

    def extra_repr(self):
        return f"beta={self.beta}, threshold={self.threshold}"


class SiLU(Module):
    """x * sigmoid(x) (swish)."""

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):  # noqa: A002
        return F.silu(input)

    def extra_repr(self):
        return "inplace=True" if self.inplace else ""


class Hardtanh(Module):
    """Clamp to [min_val, max_val]."""

    def __init__(self, min_val=-1.0, max_val=1.0, inplace=False):
        super().__init__()
        if max_val < min_val:
            raise ValueError(f"Hardtanh: max_val ({max_val}) must be greater than min_val ({min_val})")
        self.min_val, self.max_val = min_val, max_val
        self.inplace = inplace

    def forward(self, input):  # noqa: A002
        return F.hardtanh(input, self.min_val, self.max_val)

    def extra_repr(self):
        return f"min_val={self.min_val}, max_val={self.max_val}" + (", inplace=True" if self.inplace else "")


class LogSigmoid(Module):
    """log(sigmoid(x))."""

    def forward(self, input):  # noqa: A002
        return F.logsigmoid(input)


class Softsign(Module):
    """x / (1 + |x|)."""

    def forward(self, input):  # noqa: A002
        return F.softsign(input)


def _softmax_dim(ndim):
    """PyTorch's implicit dim for Softmax(dim=None): 0 for 0-, 1- and 3-D inputs, else 1."""
    return 0 if ndim in (0, 1, 3) else 1


class Softmax(Module):
    """exp(x) / sum(exp(x)) along ``dim``."""

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, input):  # noqa: A002
        dim = self.dim if self.dim is not None else _softmax_dim(input.ndim)
        return F.softmax(input, dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class Softmin(Softmax):
    """softmax(-x) along ``dim``."""

    def forward(self, input):  # noqa: A002
        dim = self.dim if self.dim is not None else _softmax_dim(input.ndim)
        return F.softmax(-input, dim)


class LogSoftmax(Softmax):
    """log(softmax(x)) along ``dim``, computed stably."""

    def forward(self, input):  # noqa: A002
        dim = self.dim if self.dim is not None else _softmax_dim(input.ndim)
        return F.log_softmax(input, dim)


class Softmax2d(Module):
    """softmax over the channels (dim -3) of a (N, C, H, W) or (C, H, W) input."""

    def forward(self, input):  # noqa: A002
        if input.ndim not in (3, 4):
            raise ValueError(f"Softmax2d: expected input to be 3D or 4D, got {input.ndim}D instead "
                             f"(shape {input.shape})")
        return F.softmax(input, -3)


class RReLU(Module):
    """Randomized leaky ReLU: negative slope ~ U(lower, upper) per element in training, the mean
    slope (lower + upper) / 2 in eval."""

    def __init__(self, lower=1.0 / 8, upper=1.0 / 3, inplace=False):
        super().__init__()
        self.lower, self.upper, self.inplace = lower, upper, inplace

    def forward(self, input):  # noqa: A002
        return F.rrelu(input, self.lower, self.upper, self.training)

    def extra_repr(self):
        return f"lower={self.lower}, upper={self.upper}" + (", inplace=True" if self.inplace else "")


class Logistic(Module):
    """The general logistic of the lectures: L / (1 + exp(-k (x - x0))); L=k=1, x0=0 is the sigmoid."""

    def __init__(self, L=1.0, k=1.0, x0=0.0):  # noqa: N803
        super().__init__()
        self.L, self.k, self.x0 = L, k, x0

    def forward(self, input):  # noqa: A002
        z = input if self.x0 == 0 else input - self.x0
        if self.k != 1:
            z = z * self.k
        y = F.sigmoid(z)
        return y if self.L == 1 else y * self.L

    def extra_repr(self):
        return f"L={self.L}, k={self.k}, x0={self.x0}"


class _Inplace(Module):
    """An activation without settings but PyTorch's (ignored) ``inplace`` flag."""

    _fn = ""
    _show_inplace = True

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):  # noqa: A002
        return getattr(F, self._fn)(input)

    def extra_repr(self):
        return "inplace=True" if self.inplace and self._show_inplace else ""


class Hardsigmoid(_Inplace):
    """0 for x <= -3, 1 for x >= 3, x / 6 + 1 / 2 in between."""

    _fn = "hardsigmoid"
    _show_inplace = False


class Hardswish(_Inplace):
    """x * hardsigmoid(x) (MobileNetV3)."""

    _fn = "hardswish"
    _show_inplace = False


class Mish(_Inplace):
    """x * tanh(softplus(x))."""

    _fn = "mish"


class CELU(Module):
    """max(0, x) + min(0, alpha * (exp(x / alpha) - 1))."""

    def __init__(self, alpha=1.0, inplace=False):
        super().__init__()
        self.alpha = alpha
        self.inplace = inplace

    def forward(self, input):  # noqa: A002
        return F.celu(input, self.alpha)

    def extra_repr(self):
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")


class Threshold(Module):
    """x where x > threshold, else ``value``."""

    def __init__(self, threshold, value, inplace=False):
        super().__init__()
        self.threshold, self.value, self.inplace = threshold, value, inplace

    def forward(self, input):  # noqa: A002
        return F.threshold(input, self.threshold, self.value)

    def extra_repr(self):
        return f"threshold={self.threshold}, value={self.value}" + (", inplace=True" if self.inplace else "")


class Tanhshrink(Module):
    """x - tanh(x)."""

    def forward(self, input):  # noqa: A002
        return F.tanhshrink(input)


class Softshrink(Module):
    """x - lambd above lambd, x + lambd below -lambd, 0 in between."""

    def __init__(self, lambd=0.5):
        super().__init__()
        self.lambd = lambd

    def forward(self, input):  # noqa: A002
        return F.softshrink(input, self.lambd)

    def extra_repr(self):
        return str(self.lambd)


class Hardshrink(Softshrink):
    """x where |x| > lambd, else 0."""

    def forward(self, input):  # noqa: A002
        return F.hardshrink(input, self.lambd)


class GLU(Module):
    """Gated linear unit: a * sigmoid(b) for the two halves a, b of the input along ``dim``."""

    def __init__(self, dim=-1):
        super().__init__()
        self.dim = dim

    def forward(self, input):  # noqa: A002
        return F.glu(input, self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"


__all__ = ["ReLU", "ReLU6", "Sigmoid", "Tanh", "LeakyReLU", "PReLU", "ELU", "SELU", "GELU", "Softplus", "SiLU",
           "Hardtanh", "LogSigmoid", "Softsign", "Softmax", "Softmin", "LogSoftmax", "Logistic", "Hardsigmoid",
           "Hardswish", "Mish", "CELU", "Threshold", "Tanhshrink", "Softshrink", "Hardshrink", "GLU", "Softmax2d",
           "RReLU"]
