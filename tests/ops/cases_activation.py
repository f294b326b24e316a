"""Op table rows: activations (PyTorch names and defaults), including the lectures' general logistic.

'nonzero' inputs keep finite differences away from the kinks of relu-like functions.
"""
import torch
import torch.nn.functional as F

import deepgrad as dg
from tests.ops.optable import OpCase

CASES = [
    OpCase("sigmoid", lambda a: dg.sigmoid(a), lambda a: torch.sigmoid(a), [(3, 4)]),
    OpCase("sigmoid_method_size1", lambda a: a.sigmoid(), lambda a: a.sigmoid(), [(2, 1, 5)]),
    OpCase("sigmoid_0d", lambda a: dg.sigmoid(a), lambda a: torch.sigmoid(a), [()]),
    OpCase("sigmoid_large", lambda a: dg.sigmoid(a * 30.0), lambda a: torch.sigmoid(a * 30.0), [(2, 5)]),
    OpCase("logistic", lambda a: dg.logistic(a, L=2.0, k=3.0, x0=0.5),
           lambda a: 2.0 * torch.sigmoid(3.0 * (a - 0.5)), [(3, 4)]),
    OpCase("logistic_default", lambda a: dg.logistic(a), lambda a: torch.sigmoid(a), [(3,)]),
    OpCase("logistic_tensor_params", lambda x, L, k, x0: dg.logistic(x, L, k, x0),
           lambda x, L, k, x0: L * torch.sigmoid(k * (x - x0)), [(3, 4), (1,), (4,), (3, 1)]),
    OpCase("tanh", lambda a: dg.tanh(a), lambda a: torch.tanh(a), [(3, 4)]),
    OpCase("tanh_method_0d", lambda a: a.tanh(), lambda a: a.tanh(), [()]),
    OpCase("relu", lambda a: dg.relu(a), lambda a: torch.relu(a), [(3, 4)], ["nonzero"]),
    OpCase("relu_method_size1", lambda a: a.relu(), lambda a: a.relu(), [(1, 4, 1)], ["nonzero"]),
    OpCase("relu_0d", lambda a: dg.relu(a), lambda a: torch.relu(a), [()], ["nonzero"]),
    OpCase("relu6", lambda a: dg.relu6(a * 5.0), lambda a: F.relu6(a * 5.0), [(3, 4)], ["nonzero"]),
    OpCase("hardtanh", lambda a: dg.hardtanh(a), lambda a: F.hardtanh(a), [(3, 4)], ["nonzero"]),
    OpCase("hardtanh_bounds", lambda a: dg.hardtanh(a, -0.5, 0.7), lambda a: F.hardtanh(a, -0.5, 0.7), [(2, 3)],
           ["nonzero"]),
    OpCase("leaky_relu", lambda a: dg.leaky_relu(a), lambda a: F.leaky_relu(a), [(3, 4)], ["nonzero"]),
    OpCase("leaky_relu_slope", lambda a: dg.leaky_relu(a, 0.2), lambda a: F.leaky_relu(a, 0.2), [(2, 1, 3)],
           ["nonzero"]),
    OpCase("prelu_channels", lambda x, w: dg.prelu(x, w), lambda x, w: F.prelu(x, w), [(2, 3, 4), (3,)],
           ["nonzero", "real"]),
    OpCase("prelu_shared", lambda x, w: dg.prelu(x, w), lambda x, w: F.prelu(x, w), [(2, 3, 2, 2), (1,)],
           ["nonzero", "real"]),
    OpCase("prelu_2d", lambda x, w: dg.prelu(x, w), lambda x, w: F.prelu(x, w), [(4, 3), (3,)],
           ["nonzero", "real"]),
    OpCase("prelu_1d", lambda x, w: dg.prelu(x, w), lambda x, w: F.prelu(x, w), [(5,), (1,)], ["nonzero", "real"]),
    OpCase("elu", lambda a: dg.elu(a), lambda a: F.elu(a), [(3, 4)], ["nonzero"]),
    OpCase("elu_alpha", lambda a: dg.elu(a, alpha=0.5), lambda a: F.elu(a, alpha=0.5), [(2, 1, 3)], ["nonzero"]),
    OpCase("elu_0d", lambda a: dg.elu(a), lambda a: F.elu(a), [()], ["nonzero"]),
    OpCase("selu", lambda a: dg.selu(a), lambda a: F.selu(a), [(3, 4)], ["nonzero"]),
    OpCase("gelu", lambda a: dg.gelu(a), lambda a: F.gelu(a), [(3, 4)]),
    OpCase("gelu_wide", lambda a: dg.gelu(a * 4.0), lambda a: F.gelu(a * 4.0), [(2, 5)]),
    OpCase("gelu_0d", lambda a: dg.gelu(a), lambda a: F.gelu(a), [()]),
    OpCase("gelu_tanh", lambda a: dg.gelu(a, approximate="tanh"), lambda a: F.gelu(a, approximate="tanh"),
           [(2, 1, 3)]),
    OpCase("softplus", lambda a: dg.softplus(a), lambda a: F.softplus(a), [(3, 4)]),
    OpCase("softplus_beta_threshold", lambda a: dg.softplus(a, beta=2.0, threshold=1.0),
           lambda a: F.softplus(a, beta=2.0, threshold=1.0), [(3, 4)]),
    OpCase("softplus_method_large", lambda a: (a * 30.0).softplus(), lambda a: F.softplus(a * 30.0), [(2, 5)]),
    OpCase("logsigmoid", lambda a: dg.logsigmoid(a), lambda a: F.logsigmoid(a), [(3, 4)]),
    OpCase("logsigmoid_large", lambda a: dg.logsigmoid(a * 40.0), lambda a: F.logsigmoid(a * 40.0), [(2, 3)]),
    OpCase("silu", lambda a: dg.silu(a), lambda a: F.silu(a), [(3, 4)]),
    OpCase("silu_0d", lambda a: dg.silu(a), lambda a: F.silu(a), [()]),
    # large inputs take the vectorised fill_operand path of maximum/minimum (>= 4096 elements);
    # torch comparison only: finite differences over 10^4 elements are too slow, the rows above cover them
    OpCase("relu_large_rows", lambda a: dg.relu(a), lambda a: torch.relu(a), [(40, 200)], gradcheck=False),
    OpCase("relu_large_short_rows", lambda a: dg.relu(a), lambda a: torch.relu(a), [(4, 16, 8, 10)],
           gradcheck=False),
    OpCase("hardtanh_large", lambda a: dg.hardtanh(a), lambda a: F.hardtanh(a), [(40, 200)], gradcheck=False),
    OpCase("leaky_relu_large", lambda a: dg.leaky_relu(a, 0.1), lambda a: F.leaky_relu(a, 0.1), [(40, 200)],
           gradcheck=False),
    OpCase("leaky_relu_slope_above_1", lambda a: dg.leaky_relu(a, 2.5), lambda a: F.leaky_relu(a, 2.5), [(3, 4)],
           ["nonzero"]),
    OpCase("elu_large", lambda a: dg.elu(a), lambda a: F.elu(a), [(4, 16, 8, 10)], gradcheck=False),
    OpCase("selu_large", lambda a: dg.selu(a), lambda a: F.selu(a), [(40, 200)], gradcheck=False),
    OpCase("prelu_large", lambda x, w: dg.prelu(x, w), lambda x, w: F.prelu(x, w), [(4, 16, 8, 10), (16,)],
           gradcheck=False),
    OpCase("softplus_large", lambda a: dg.softplus(a * 10.0), lambda a: F.softplus(a * 10.0), [(40, 200)],
           gradcheck=False),
    OpCase("identity", lambda a: dg.identity(a) * 1.0, lambda a: torch.nn.Identity()(a) * 1.0, [(2, 3)]),
]
