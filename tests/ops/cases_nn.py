"""Op table rows: the layer ops of deepgrad.nn (linear, bilinear, batch_norm, layer_norm, embedding)."""
import numpy as np
import torch
import torch.nn.functional as TF

import deepgrad as dg
from tests.ops.optable import OpCase

_RM = np.array([0.3, -0.2, 0.1])
_RV = np.array([1.5, 0.7, 2.0])


def _dg_eval_bn(x, w, b):
    rm, rv = (dg.Tensor(a.astype(x.dtype), device=x.device) for a in (_RM, _RV))
    return dg.batch_norm(x, rm, rv, w, b, training=False)


def _torch_eval_bn(x, w, b):
    rm, rv = (torch.tensor(a, dtype=x.dtype, device=x.device) for a in (_RM, _RV))
    return TF.batch_norm(x, rm, rv, w, b, training=False)


# batch_norm / layer_norm rows allow 2e-5: the mean and variance are float32 sums whose order
# differs from PyTorch's (the gradient is checked exactly in float64 by gradcheck).
CASES = [
    OpCase("linear_2d", lambda x, w, b: dg.linear(x, w, b), TF.linear, [(4, 5), (3, 5), (3,)]),
    OpCase("linear_nobias", lambda x, w: dg.linear(x, w), TF.linear, [(4, 5), (3, 5)]),
    OpCase("linear_3d", lambda x, w, b: dg.linear(x, w, b), TF.linear, [(2, 4, 5), (3, 5), (3,)]),
    OpCase("linear_1d", lambda x, w, b: dg.linear(x, w, b), TF.linear, [(5,), (3, 5), (3,)]),
    OpCase("bilinear", lambda x1, x2, w, b: dg.bilinear(x1, x2, w, b), TF.bilinear, [(4, 3), (4, 2), (5, 3, 2), (5,)]),
    OpCase("bilinear_3d_nobias", lambda x1, x2, w: dg.bilinear(x1, x2, w), TF.bilinear, [(2, 3, 3), (2, 3, 2),
                                                                                          (4, 3, 2)]),
    OpCase("batch_norm_train_2d", lambda x, w, b: dg.batch_norm(x, None, None, w, b, training=True),
           lambda x, w, b: TF.batch_norm(x, None, None, w, b, training=True), [(6, 3), (3,), (3,)], rtol=2e-5),
    OpCase("batch_norm_train_4d", lambda x, w, b: dg.batch_norm(x, None, None, w, b, training=True, eps=1e-3),
           lambda x, w, b: TF.batch_norm(x, None, None, w, b, training=True, eps=1e-3), [(4, 3, 2, 3), (3,), (3,)],
           rtol=2e-5),
    OpCase("batch_norm_train_3d_noaffine", lambda x: dg.batch_norm(x, None, None, training=True),
           lambda x: TF.batch_norm(x, None, None, training=True), [(3, 2, 5)], rtol=2e-5),
    OpCase("batch_norm_eval", _dg_eval_bn, _torch_eval_bn, [(5, 3, 2), (3,), (3,)]),
    OpCase("layer_norm", lambda x, w, b: dg.layer_norm(x, (5,), w, b), lambda x, w, b: TF.layer_norm(x, (5,), w, b),
           [(4, 5), (5,), (5,)], rtol=2e-5),
    OpCase("layer_norm_2d_shape", lambda x, w, b: dg.layer_norm(x, (3, 4), w, b),
           lambda x, w, b: TF.layer_norm(x, (3, 4), w, b), [(2, 3, 4), (3, 4), (3, 4)], rtol=2e-5),
    OpCase("layer_norm_noaffine", lambda x: dg.layer_norm(x, 6), lambda x: TF.layer_norm(x, (6,)), [(3, 6)],
           rtol=2e-5),
    OpCase("embedding", lambda i, w: dg.embedding(i, w), lambda i, w: TF.embedding(i, w), [(3, 4), (6, 5)],
           ["int:6", "real"]),
    OpCase("embedding_padding", lambda i, w: dg.embedding(i, w, padding_idx=2),
           lambda i, w: TF.embedding(i, w, padding_idx=2), [(5, 3), (4, 2)], ["int:4", "real"],
           gradcheck=False),  # the padding row gets no gradient by design
    OpCase("group_norm", lambda x, w, b: dg.group_norm(x, 2, w, b), lambda x, w, b: TF.group_norm(x, 2, w, b),
           [(3, 4, 2, 3), (4,), (4,)], rtol=2e-5),
    OpCase("group_norm_3d_noaffine", lambda x: dg.group_norm(x, 3, eps=1e-3), lambda x: TF.group_norm(x, 3, eps=1e-3),
           [(2, 6, 4)], rtol=2e-5),
    OpCase("instance_norm", lambda x, w, b: dg.instance_norm(x, weight=w, bias=b),
           lambda x, w, b: TF.instance_norm(x, weight=w, bias=b), [(2, 3, 3, 4), (3,), (3,)], rtol=2e-5),
    OpCase("instance_norm_1d", lambda x: dg.instance_norm(x), lambda x: TF.instance_norm(x), [(2, 3, 5)], rtol=2e-5),
    OpCase("instance_norm_running", lambda x: dg.instance_norm(x, *(dg.Tensor(a.astype(x.dtype), device=x.device)
                                                                     for a in (_RM, _RV)), use_input_stats=False),
           lambda x: TF.instance_norm(x, torch.tensor(_RM, dtype=x.dtype), torch.tensor(_RV, dtype=x.dtype),
                                      use_input_stats=False), [(2, 3, 4)]),
    OpCase("local_response_norm", lambda x: dg.local_response_norm(x, 3, alpha=0.1, k=2.0),
           lambda x: TF.local_response_norm(x, 3, alpha=0.1, k=2.0), [(2, 5, 3, 2)]),
    OpCase("local_response_norm_3d", lambda x: dg.local_response_norm(x, 4, beta=0.5),
           lambda x: TF.local_response_norm(x, 4, beta=0.5), [(2, 6, 3)]),
    OpCase("rms_norm", lambda x, w: dg.rms_norm(x, (4,), w), lambda x, w: TF.rms_norm(x, (4,), w), [(3, 4), (4,)],
           rtol=2e-5),
    OpCase("rms_norm_2d_shape_eps", lambda x: dg.rms_norm(x, (2, 3), eps=1e-3),
           lambda x: TF.rms_norm(x, (2, 3), eps=1e-3), [(4, 2, 3)], rtol=2e-5),
    OpCase("embedding_scale_grad_by_freq", lambda i, w: dg.embedding(i, w, scale_grad_by_freq=True),
           lambda i, w: TF.embedding(i, w, scale_grad_by_freq=True), [(4, 5), (3, 2)], ["int:3", "real"],
           gradcheck=False),  # the gradient is rescaled by design
    OpCase("embedding_freq_padding_sparse", lambda i, w: dg.embedding(i, w, 1, scale_grad_by_freq=True, sparse=True),
           lambda i, w: TF.embedding(i, w, 1, scale_grad_by_freq=True), [(6,), (4, 3)], ["int:4", "real"],
           gradcheck=False),
]
