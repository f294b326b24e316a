"""A list index reads as PyTorch reads it, on the CPU and on 'cuda' (CuPy, or tests/cupy_emulator.py):
a short list holding a tensor, sequence, slice, None or Ellipsis is a tuple of indices
(``x[[rows, cols]]`` is ``x[rows, cols]``, with a deprecation warning in PyTorch 2.13), any other list
one index array.  NumPy 2 reads every list as one index array, so deepgrad hands it a tuple or an array."""
import numpy as np
import pytest
import torch

import deepgrad as dg
from deepgrad.backend import cupy_module

DEVICES = ["cpu", pytest.param("cuda", marks=[pytest.mark.gpu, pytest.mark.skipif(
    cupy_module() is None, reason="needs CuPy and a CUDA GPU")])]
X = np.arange(24.0).reshape(4, 6)
INDICES = [
    [[0, 1], [1, 0]],
    [[0, 3]],
    ["T0", "T1"],
    ["T0", 2],
    [slice(0, 2), 1],
    [None, 0],
    [Ellipsis, 1],
    [0, 3],
    [True, False, True, False],
    [np.int64(0), np.int64(2)],
    [],
]
T = {"T0": [0, 1], "T1": [1, 2]}


def _make(index, tensor):
    return [tensor(T[i]) if isinstance(i, str) else i for i in index]


@pytest.mark.filterwarnings("ignore:Using a non-tuple sequence")  # torch's, for the tuple-like lists
@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("index", INDICES, ids=repr)
def test_list_index_as_torch(device, index):
    want = torch.tensor(X)[_make(index, torch.tensor)]
    x = dg.tensor(X, device=device, requires_grad=True)
    got = x[_make(index, lambda v: dg.tensor(v, device=device))]
    assert tuple(got.shape) == tuple(want.shape)
    np.testing.assert_array_equal(got.detach().cpu().numpy(), want.numpy())
    if got.numel():
        got.sum().backward()
        tx = torch.tensor(X, requires_grad=True)
        tx[_make(index, torch.tensor)].sum().backward()
        np.testing.assert_array_equal(x.grad.cpu().numpy(), tx.grad.numpy())
    y, ty = dg.zeros(4, 6, device=device), torch.zeros(4, 6, dtype=torch.float64)
    y[_make(index, lambda v: dg.tensor(v, device=device))] = 1.0
    ty[_make(index, torch.tensor)] = 1.0
    np.testing.assert_array_equal(y.cpu().numpy(), ty.numpy())
