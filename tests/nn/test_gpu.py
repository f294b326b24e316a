"""deepgrad.nn on a CUDA GPU (CuPy): the same layers give the CPU's numbers; modules move in place."""
import numpy as np
import pytest

import deepgrad as dg
from deepgrad import nn
from deepgrad.backend import cupy_module

pytestmark = [pytest.mark.gpu, pytest.mark.skipif(cupy_module() is None, reason="needs CuPy and a CUDA GPU")]


def _model():
    dg.manual_seed(0)
    return nn.Sequential(nn.Linear(6, 8), nn.BatchNorm1d(8), nn.PReLU(8), nn.LayerNorm(8), nn.Dropout(0.0),
                         nn.Highway(8), nn.Residual(nn.Linear(8, 8)), nn.Linear(8, 3))


def test_to_cuda_moves_parameters_in_place_and_matches_cpu():
    cpu, gpu = _model(), _model()
    params = list(gpu.parameters())
    assert gpu.to("cuda") is gpu
    assert [id(p) for p in gpu.parameters()] == [id(p) for p in params]
    assert all(p.device.type == "cuda" for p in gpu.parameters())
    assert all(b.device.type == "cuda" for b in gpu.buffers())
    x = np.random.default_rng(0).standard_normal((5, 6)).astype(np.float32)
    yc = cpu(dg.Tensor(x))
    yg = gpu(dg.tensor(x, device="cuda"))
    assert yg.device.type == "cuda"
    np.testing.assert_allclose(yg.numpy(), yc.numpy(), rtol=1e-4, atol=1e-5)
    yc.sum().backward()
    yg.sum().backward()
    for (n, pc), pg in zip(cpu.named_parameters(), gpu.parameters()):
        assert pg.grad.device.type == "cuda", n
        np.testing.assert_allclose(pg.grad.numpy(), pc.grad.numpy(), rtol=1e-3, atol=1e-5, err_msg=n)
    np.testing.assert_allclose(gpu[1].running_var.numpy(), cpu[1].running_var.numpy(), rtol=1e-5)
    gpu.load_state_dict(cpu.state_dict())  # CPU arrays into GPU parameters
    assert gpu[0].weight.device.type == "cuda"
    cpu.load_state_dict(gpu.state_dict())  # and back
    gpu.cpu()
    assert all(p.device.type == "cpu" for p in gpu.parameters())


def test_embedding_and_init_on_gpu():
    dg.manual_seed(1)
    e = nn.Embedding(5, 3, padding_idx=0).cuda()
    ids = dg.tensor([[1, 1, 0], [4, 1, 2]], device="cuda")
    e(ids).sum().backward()
    g = e.weight.grad.numpy()
    np.testing.assert_array_equal(g[:, 0], [0, 3, 1, 0, 1])
    w = dg.zeros(64, 32, device="cuda")
    nn.init.kaiming_uniform_(w)
    nn.init.orthogonal_(w)
    a = w.numpy()
    np.testing.assert_allclose(a.T @ a, np.eye(32), atol=1e-5)


def test_summary_on_gpu():
    model = _model().cuda()
    text = dg.summary(model, (6,), print_fn=None)
    assert "7 (Linear)" in text and "[-1, 3]" in text
