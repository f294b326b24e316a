"""Op table rows: elementwise math (exp/log family, powers, abs/sign, trig, clamp, maximum/minimum, erf).

Input kinds keep finite differences valid: 'positive' for log/sqrt, 'nonzero' away from kinks,
'unit' for tan (away from its poles).
"""
import torch

import deepgrad as dg
from tests.ops.optable import OpCase

_NONFINITE = [float("inf"), float("nan"), float("-inf"), 0.5]  # added to inputs: nan_to_num's gradient mask

CASES = [
    # exponentials and logarithms
    OpCase("exp_0d", lambda a: dg.exp(a), lambda a: torch.exp(a), [()]),
    OpCase("expm1", lambda a: dg.expm1(a), lambda a: torch.expm1(a), [(3, 4)]),
    OpCase("log_size1", lambda a: a.log(), lambda a: a.log(), [(2, 1, 3)], ["positive"]),
    OpCase("log1p", lambda a: dg.log1p(a), lambda a: torch.log1p(a), [(3, 4)], ["positive"]),
    OpCase("log1p_method_0d", lambda a: a.log1p(), lambda a: a.log1p(), [()], ["unit"]),
    OpCase("log2", lambda a: dg.log2(a), lambda a: torch.log2(a), [(2, 3)], ["positive"]),
    OpCase("log10", lambda a: a.log10(), lambda a: a.log10(), [(2, 1, 3)], ["positive"]),
    # powers
    OpCase("sqrt", lambda a: dg.sqrt(a), lambda a: torch.sqrt(a), [(3, 4)], ["positive"]),
    OpCase("sqrt_0d_method", lambda a: a.sqrt(), lambda a: a.sqrt(), [()], ["positive"]),
    OpCase("rsqrt", lambda a: dg.rsqrt(a), lambda a: torch.rsqrt(a), [(2, 3)], ["positive"]),
    OpCase("square", lambda a: dg.square(a), lambda a: torch.square(a), [(2, 1, 3)]),
    OpCase("square_0d", lambda a: a.square(), lambda a: a.square(), [()]),
    OpCase("reciprocal", lambda a: dg.reciprocal(a), lambda a: torch.reciprocal(a), [(3, 4)], ["nonzero"]),
    # sign and magnitude
    OpCase("abs", lambda a: dg.abs(a), lambda a: torch.abs(a), [(3, 4)], ["nonzero"]),
    OpCase("abs_builtin_0d", lambda a: abs(a), lambda a: abs(a), [()], ["nonzero"]),
    OpCase("abs_method_size1", lambda a: a.abs(), lambda a: a.abs(), [(1, 3, 1)], ["nonzero"]),
    OpCase("sign", lambda a: dg.sign(a), lambda a: torch.sign(a), [(3, 4)], ["nonzero"]),
    OpCase("sign_times", lambda a: a.sign() * a, lambda a: a.sign() * a, [(2, 3)], ["nonzero"]),
    # trigonometry
    OpCase("sin", lambda a: dg.sin(a), lambda a: torch.sin(a), [(3, 4)]),
    OpCase("cos", lambda a: a.cos(), lambda a: a.cos(), [(2, 1, 3)]),
    OpCase("tan", lambda a: dg.tan(a), lambda a: torch.tan(a), [(3, 4)], ["unit"]),
    OpCase("sin_cos_0d", lambda a: dg.sin(a) * dg.cos(a), lambda a: torch.sin(a) * torch.cos(a), [()]),
    # clamp / clip with scalar bounds (bounds included in the gradient, as torch)
    OpCase("clamp_both", lambda a: dg.clamp(a, -0.5, 0.5), lambda a: torch.clamp(a, -0.5, 0.5), [(3, 4)],
           ["nonzero"]),
    OpCase("clamp_min", lambda a: a.clamp(min=0.3), lambda a: a.clamp(min=0.3), [(3, 4)], ["nonzero"]),
    OpCase("clamp_max", lambda a: a.clamp(max=-0.3), lambda a: a.clamp(max=-0.3), [(2, 1, 3)], ["nonzero"]),
    OpCase("clip_alias", lambda a: dg.clip(a, -1.0, 1.0), lambda a: torch.clip(a, -1.0, 1.0), [(3, 4)],
           ["nonzero"]),
    OpCase("clip_numpy_spelling", lambda a: a.clip(a_min=-0.4, a_max=0.9), lambda a: a.clip(-0.4, 0.9),
           [(2, 3)], ["nonzero"]),
    OpCase("clamp_0d", lambda a: dg.clamp(a, min=0.0), lambda a: torch.clamp(a, min=0.0), [()], ["nonzero"]),
    # large inputs: the vectorised fill_operand path (torch only; finite differences are covered above)
    OpCase("clamp_large", lambda a: dg.clamp(a, -0.5, 0.5), lambda a: torch.clamp(a, -0.5, 0.5), [(40, 200)],
           gradcheck=False),
    OpCase("clamp_min_large_short_rows", lambda a: a.clamp(min=0.1), lambda a: a.clamp(min=0.1), [(64, 8, 10)],
           gradcheck=False),
    OpCase("clamp_max_large", lambda a: a.clamp(max=0.2), lambda a: a.clamp(max=0.2), [(40, 200)], gradcheck=False),
    # clamp with tensor bounds (broadcast; the bounds get gradients too)
    OpCase("clamp_tensor_both", lambda x, lo, hi: dg.clamp(x, lo - 0.5, hi + 0.5),
           lambda x, lo, hi: torch.clamp(x, lo - 0.5, hi + 0.5), [(3, 4), (4,), (3, 1)]),
    OpCase("clamp_tensor_min", lambda x, lo: dg.clamp(x, min=lo), lambda x, lo: torch.clamp(x, min=lo),
           [(2, 3), (2, 1)]),
    OpCase("clamp_tensor_max", lambda x, hi: x.clamp(max=hi), lambda x, hi: x.clamp(max=hi), [(2, 3), (3,)]),
    OpCase("clamp_tensor_crossed", lambda x, lo, hi: dg.clamp(x, lo + 1.0, hi - 1.0),  # min > max: max wins
           lambda x, lo, hi: torch.clamp(x, lo + 1.0, hi - 1.0), [(3, 4), (3, 4), (3, 4)]),
    # maximum / minimum (broadcasting)
    OpCase("maximum", lambda a, b: dg.maximum(a, b), lambda a, b: torch.maximum(a, b), [(3, 4), (3, 4)]),
    OpCase("maximum_broadcast", lambda a, b: a.maximum(b), lambda a, b: a.maximum(b), [(2, 1, 3), (4, 1)]),
    OpCase("minimum_broadcast", lambda a, b: dg.minimum(a, b), lambda a, b: torch.minimum(a, b), [(3, 1), (4,)]),
    OpCase("minimum_0d", lambda a, b: dg.minimum(a, b), lambda a, b: torch.minimum(a, b), [(), (2, 3)]),
    # ties: torch sends half of the gradient to each side (no finite differences at a kink)
    OpCase("maximum_ties", lambda a: dg.maximum(a, a.detach()), lambda a: torch.maximum(a, a.detach()),
           [(3, 4)], gradcheck=False),
    OpCase("minimum_ties", lambda a: dg.minimum(a.detach(), a), lambda a: torch.minimum(a.detach(), a),
           [(2, 3)], gradcheck=False),
    # special functions
    OpCase("erf", lambda a: dg.erf(a), lambda a: torch.erf(a), [(3, 4)]),
    OpCase("erf_wide", lambda a: dg.erf(a * 3.0), lambda a: torch.erf(a * 3.0), [(2, 5)]),
    # inverse trigonometric and hyperbolic
    OpCase("asin", lambda a: dg.asin(a * 0.9), lambda a: torch.asin(a * 0.9), [(3, 4)], ["unit"]),
    OpCase("acos_method", lambda a: a.acos(), lambda a: a.acos(), [(2, 3)], ["unit"]),
    OpCase("atan", lambda a: dg.atan(a), lambda a: torch.atan(a), [(3, 4)]),
    OpCase("sinh_method", lambda a: a.sinh(), lambda a: a.sinh(), [(2, 3)]),
    OpCase("cosh", lambda a: dg.cosh(a), lambda a: torch.cosh(a), [(2, 3)]),
    OpCase("asinh_0d", lambda a: dg.asinh(a), lambda a: torch.asinh(a), [()]),
    OpCase("acosh", lambda a: dg.acosh(a + 1.0), lambda a: torch.acosh(a + 1.0), [(2, 3)], ["positive"]),
    OpCase("atanh", lambda a: dg.atanh(a), lambda a: torch.atanh(a), [(2, 3)], ["unit"]),
    # binary: atan2, hypot, logaddexp (broadcast)
    OpCase("atan2_broadcast", lambda a, b: dg.atan2(a, b), lambda a, b: torch.atan2(a, b), [(3, 1), (4,)]),
    OpCase("atan2_method", lambda a, b: a.atan2(b), lambda a, b: a.atan2(b), [(2, 3), (2, 3)]),
    OpCase("hypot", lambda a, b: dg.hypot(a, b), lambda a, b: torch.hypot(a, b), [(3, 1), (4,)],
           ["nonzero", "nonzero"]),
    OpCase("logaddexp", lambda a, b: dg.logaddexp(a, b), lambda a, b: torch.logaddexp(a, b), [(3, 1), (4,)]),
    OpCase("logaddexp_large", lambda a, b: dg.logaddexp(a * 1e4, b * 1e4),
           lambda a, b: torch.logaddexp(a * 1e4, b * 1e4), [(5,), (5,)], gradcheck=False),
    # rounding: zero gradient ('nonzero' inputs stay away from the integers and halves)
    OpCase("floor", lambda a: dg.floor(a * 2.0 + 0.25), lambda a: torch.floor(a * 2.0 + 0.25), [(3, 4)]),
    OpCase("ceil_method", lambda a: a.ceil(), lambda a: a.ceil(), [(2, 3)], ["nonzero"]),
    OpCase("round_method", lambda a: (a * 3.0).round(), lambda a: (a * 3.0).round(), [(3, 4)], ["nonzero"],
           gradcheck=False),
    OpCase("round_decimals", lambda a: dg.round(a, decimals=2), lambda a: torch.round(a, decimals=2), [(2, 3)],
           gradcheck=False),
    OpCase("trunc", lambda a: dg.trunc(a * 3.0), lambda a: torch.trunc(a * 3.0), [(3, 4)], ["nonzero"],
           gradcheck=False),
    OpCase("frac", lambda a: dg.frac(a * 3.0), lambda a: torch.frac(a * 3.0), [(3, 4)], ["nonzero"],
           gradcheck=False),
    # repairs
    OpCase("nan_to_num", lambda a: dg.nan_to_num(a + dg.tensor(_NONFINITE, device=a.device)) * 1e-30,
           lambda a: torch.nan_to_num(a + torch.tensor(_NONFINITE, device=a.device)) * 1e-30, [(3, 4)],
           gradcheck=False),  # the dtype's extremes, scaled so that the harness's weighted sum stays finite
    OpCase("nan_to_num_values",
           lambda a: (a + dg.tensor(_NONFINITE, device=a.device)).nan_to_num(nan=1.0, posinf=2.0, neginf=-3.0),
           lambda a: (a + torch.tensor(_NONFINITE, device=a.device)).nan_to_num(nan=1.0, posinf=2.0, neginf=-3.0),
           [(3, 4)], gradcheck=False),
    OpCase("clamp_min", lambda a: dg.clamp_min(a, 0.1), lambda a: torch.clamp_min(a, 0.1), [(3, 4)], ["nonzero"]),
    OpCase("clamp_max_method", lambda a: a.clamp_max(-0.1), lambda a: a.clamp_max(-0.1), [(3, 4)], ["nonzero"]),
    OpCase("logit", lambda a: dg.logit(a), lambda a: torch.logit(a), [(3, 4)], ["unit"]),
    OpCase("logit_eps_method", lambda a: (a * 1.2 - 0.1).logit(eps=0.05), lambda a: (a * 1.2 - 0.1).logit(eps=0.05),
           [(3, 4)], ["unit"], gradcheck=False),
]
