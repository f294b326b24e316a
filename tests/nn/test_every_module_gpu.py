"""Every layer and loss of ``deepgrad.nn`` runs on the GPU with no change but the device: built on
the CPU, copied with ``.to('cuda')``, it gives the CPU's output and the CPU's gradients (input and
parameters).  The table must name every Module class ``deepgrad.nn`` exports (a new layer without
a row fails ``test_the_table_covers_every_layer``, which runs everywhere)."""
import inspect

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import nn
from deepgrad.backend import cupy_module

_r = np.random.default_rng(0)


def _x(*shape):
    return _r.standard_normal(shape).astype(np.float32)


def _p(*shape):  # probabilities in (0, 1)
    return _r.uniform(0.05, 0.95, shape).astype(np.float32)


def _labels(n, c):
    return _r.integers(0, c, n)


# name -> (constructor, inputs: tuple of arrays; float arrays get gradients)
LAYERS = {
    "Linear": (lambda: nn.Linear(5, 4), (_x(3, 5),)),
    "Bilinear": (lambda: nn.Bilinear(3, 4, 2), (_x(5, 3), _x(5, 4))),
    "Identity": (nn.Identity, (_x(2, 3),)),
    "Flatten": (nn.Flatten, (_x(2, 3, 4),)),
    "Unflatten": (lambda: nn.Unflatten(1, (2, 3)), (_x(4, 6),)),
    "Conv1d": (lambda: nn.Conv1d(2, 3, 3, padding=1, stride=2), (_x(2, 2, 9),)),
    "Conv2d": (lambda: nn.Conv2d(2, 4, 3, padding=1, groups=2), (_x(2, 2, 7, 6),)),
    "ConvTranspose1d": (lambda: nn.ConvTranspose1d(2, 3, 3, stride=2), (_x(2, 2, 5),)),
    "ConvTranspose2d": (lambda: nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1), (_x(2, 2, 4, 5),)),
    "MaxPool1d": (lambda: nn.MaxPool1d(2), (_x(2, 3, 8),)),
    "MaxPool2d": (lambda: nn.MaxPool2d(3, stride=2, padding=1), (_x(2, 3, 7, 7),)),
    "AvgPool1d": (lambda: nn.AvgPool1d(3, stride=2), (_x(2, 3, 9),)),
    "AvgPool2d": (lambda: nn.AvgPool2d(2, ceil_mode=True), (_x(2, 3, 5, 5),)),
    "AdaptiveAvgPool2d": (lambda: nn.AdaptiveAvgPool2d((2, 3)), (_x(2, 3, 7, 8),)),
    "GlobalAvgPool2d": (nn.GlobalAvgPool2d, (_x(2, 3, 4, 4),)),
    "BatchNorm1d": (lambda: nn.BatchNorm1d(4), (_x(6, 4),)),
    "BatchNorm2d": (lambda: nn.BatchNorm2d(3), (_x(4, 3, 5, 5),)),
    "BatchNorm3d": (lambda: nn.BatchNorm3d(2), (_x(3, 2, 3, 3, 3),)),
    "LayerNorm": (lambda: nn.LayerNorm((3, 4)), (_x(2, 3, 4),)),
    "Embedding": (lambda: nn.Embedding(7, 3, padding_idx=1), (_labels(8, 7).reshape(2, 4),)),
    "Dropout": (lambda: nn.Dropout(0.0), (_x(3, 4),)),  # p=0: the masks come from different generators
    "Dropout1d": (lambda: nn.Dropout1d(0.0), (_x(2, 3, 4),)),
    "Dropout2d": (lambda: nn.Dropout2d(0.0), (_x(2, 3, 4, 4),)),
    "Highway": (lambda: nn.Highway(5), (_x(3, 5),)),
    "Residual": (lambda: nn.Residual(nn.Linear(4, 4)), (_x(3, 4),)),
    "PReLU": (lambda: nn.PReLU(3), (_x(2, 3, 4),)),
    "Softmax": (lambda: nn.Softmax(dim=1), (_x(3, 5),)),
    "Softmin": (lambda: nn.Softmin(dim=1), (_x(3, 5),)),
    "LogSoftmax": (lambda: nn.LogSoftmax(dim=1), (_x(3, 5),)),
    "Logistic": (lambda: nn.Logistic(L=2.0, k=0.5, x0=1.0), (_x(3, 4),)),
    "Hardtanh": (lambda: nn.Hardtanh(-0.5, 0.5), (_x(3, 4),)),
    "LeakyReLU": (lambda: nn.LeakyReLU(0.1), (_x(3, 4),)),
    "ELU": (lambda: nn.ELU(0.7), (_x(3, 4),)),
    "GELU": (lambda: nn.GELU(), (_x(3, 4),)),
    "Softplus": (lambda: nn.Softplus(beta=2.0), (_x(3, 4),)),
    **{name: (getattr(nn, name), (_x(3, 4),))
       for name in ("ReLU", "ReLU6", "SELU", "SiLU", "Sigmoid", "Tanh", "LogSigmoid", "Softsign")},
    # losses: (input, target)
    "MSELoss": (nn.MSELoss, (_x(4, 3), _x(4, 3))),
    "L1Loss": (nn.L1Loss, (_x(4, 3), _x(4, 3))),
    "HuberLoss": (lambda: nn.HuberLoss(delta=0.5), (_x(4, 3), _x(4, 3))),
    "SmoothL1Loss": (lambda: nn.SmoothL1Loss(beta=0.5), (_x(4, 3), _x(4, 3))),
    "BCELoss": (nn.BCELoss, (_p(4, 3), _p(4, 3))),
    "BCEWithLogitsLoss": (lambda: nn.BCEWithLogitsLoss(pos_weight=dg.tensor([1.0, 2.0, 0.5])), (_x(4, 3), _p(4, 3))),
    "CrossEntropyLoss": (lambda: nn.CrossEntropyLoss(weight=dg.tensor([1.0, 2.0, 0.5]), label_smoothing=0.1),
                         (_x(5, 3), _labels(5, 3))),
    "NLLLoss": (lambda: nn.NLLLoss(ignore_index=2), (_x(5, 3), _labels(5, 3))),
    "KLDivLoss": (lambda: nn.KLDivLoss(reduction="batchmean"), (_x(4, 3), _p(4, 3))),
    "MultiMarginLoss": (lambda: nn.MultiMarginLoss(margin=0.5), (_x(5, 3), _labels(5, 3))),
}
CONTAINERS = {"Module", "Sequential", "ModuleList", "ModuleDict", "ParameterList", "ParameterDict"}


def test_the_table_covers_every_layer():
    exported = {n for n, o in vars(nn).items() if inspect.isclass(o) and issubclass(o, nn.Module)}
    assert exported - CONTAINERS - set(LAYERS) == set()


def _run(module, arrays, device):
    xs = [dg.tensor(a, device=device, requires_grad=a.dtype.kind == "f" and i == 0) for i, a in enumerate(arrays)]
    y = module(*xs)
    w = dg.tensor(np.linspace(-1, 1, y.numel(), dtype=np.float32).reshape(y.shape), device=device)
    (y * w).sum().backward()
    return y, xs


@pytest.mark.gpu
@pytest.mark.skipif(cupy_module() is None, reason="needs CuPy and a CUDA GPU")
@pytest.mark.parametrize("name", sorted(LAYERS))
def test_layer_on_cuda_matches_cpu(name):
    make, arrays = LAYERS[name]
    dg.manual_seed(0)
    cpu = make()
    gpu = make()
    gpu.load_state_dict(cpu.state_dict())
    gpu.to("cuda")
    assert all(t.device.type == "cuda" for t in list(gpu.parameters()) + list(gpu.buffers()))
    yc, xc = _run(cpu, arrays, "cpu")
    yg, xg = _run(gpu, arrays, "cuda")
    assert yg.device.type == "cuda" and yg.dtype == yc.dtype and yg.shape == yc.shape
    np.testing.assert_allclose(yg.numpy(), yc.numpy(), rtol=1e-5, atol=1e-6)
    if xc[0].requires_grad:
        assert xg[0].grad.device.type == "cuda"
        np.testing.assert_allclose(xg[0].grad.numpy(), xc[0].grad.numpy(), rtol=1e-4, atol=1e-6)
    for (pname, pc), pg in zip(cpu.named_parameters(), gpu.parameters()):
        assert pg.grad.device.type == "cuda", pname
        np.testing.assert_allclose(pg.grad.numpy(), pc.grad.numpy(), rtol=1e-4, atol=1e-6, err_msg=pname)
    for (bname, bc), bg in zip(cpu.named_buffers(), gpu.buffers()):
        np.testing.assert_allclose(bg.numpy(), bc.numpy(), rtol=1e-5, atol=1e-6, err_msg=bname)
