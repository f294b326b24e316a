"""Op table rows: softmax, log_softmax (any dim, size-1 dims) and one_hot (no gradient)."""
import torch.nn.functional as F

import deepgrad as dg
from tests.ops.optable import OpCase

CASES = [
    OpCase("softmax_last", lambda a: dg.softmax(a), lambda a: F.softmax(a, dim=-1), [(3, 5)]),
    OpCase("softmax_dim0", lambda a: dg.softmax(a, dim=0), lambda a: F.softmax(a, dim=0), [(3, 5)]),
    OpCase("softmax_3d_mid", lambda a: a.softmax(1), lambda a: a.softmax(1), [(2, 3, 4)]),
    OpCase("softmax_axis_kw", lambda a: dg.softmax(a, axis=-2), lambda a: F.softmax(a, dim=-2), [(2, 3, 4)]),
    OpCase("softmax_size1", lambda a: dg.softmax(a, dim=1), lambda a: F.softmax(a, dim=1), [(4, 1)]),
    OpCase("softmax_1d", lambda a: dg.softmax(a, 0), lambda a: F.softmax(a, 0), [(6,)]),
    OpCase("log_softmax_last", lambda a: dg.log_softmax(a), lambda a: F.log_softmax(a, dim=-1), [(3, 5)]),
    OpCase("log_softmax_dim1_4d", lambda a: a.log_softmax(1), lambda a: a.log_softmax(1), [(2, 3, 2, 2)]),
    OpCase("log_softmax_neg_dim0", lambda a: dg.log_softmax(a, dim=-3), lambda a: F.log_softmax(a, dim=-3),
           [(3, 1, 2)]),
    OpCase("softmax_of_softmax", lambda a: dg.softmax(dg.log_softmax(a, 0) * 2.0, 1),
           lambda a: F.softmax(F.log_softmax(a, 0) * 2.0, 1), [(3, 4)]),
    OpCase("one_hot", lambda t: dg.one_hot(t, 5), lambda t: F.one_hot(t, 5), [(4,)], ["int:5"], grad=False),
    OpCase("one_hot_infer_2d", lambda t: dg.one_hot(t), lambda t: F.one_hot(t), [(2, 3)], ["int:4"], grad=False),
]
