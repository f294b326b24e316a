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


class _Output(nn.Module):
    """The first output of a recurrent layer (its output sequence, or LSTMCell's h)."""

    def __init__(self, rnn):
        super().__init__()
        self.rnn = rnn

    def forward(self, x):
        out = self.rnn(x, x, x) if isinstance(self.rnn, nn.MultiheadAttention) else self.rnn(x)
        return out[0]


class _SelfDecode(nn.Module):
    """A decoder attending to its own input as the memory."""

    def __init__(self, decoder):
        super().__init__()
        self.decoder = decoder

    def forward(self, x):
        return self.decoder(x, x)


# name -> (constructor, inputs: tuple of arrays; float arrays get gradients)
LAYERS = {
    "Linear": (lambda: nn.Linear(5, 4), (_x(3, 5),)),
    "Bilinear": (lambda: nn.Bilinear(3, 4, 2), (_x(5, 3), _x(5, 4))),
    "Identity": (nn.Identity, (_x(2, 3),)),
    "Flatten": (nn.Flatten, (_x(2, 3, 4),)),
    "Unflatten": (lambda: nn.Unflatten(1, (2, 3)), (_x(4, 6),)),
    "Conv1d": (lambda: nn.Conv1d(2, 3, 3, padding=1, stride=2), (_x(2, 2, 9),)),
    "Conv2d": (lambda: nn.Conv2d(2, 4, 3, padding=1, groups=2), (_x(2, 2, 7, 6),)),
    "Conv2d_reflect": (lambda: nn.Conv2d(2, 3, 3, padding=1, padding_mode="reflect"), (_x(2, 2, 5, 6),)),
    "ConvTranspose1d": (lambda: nn.ConvTranspose1d(2, 3, 3, stride=2), (_x(2, 2, 5),)),
    "ConvTranspose2d": (lambda: nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1), (_x(2, 2, 4, 5),)),
    "MaxPool1d": (lambda: nn.MaxPool1d(2), (_x(2, 3, 8),)),
    "MaxPool2d": (lambda: nn.MaxPool2d(3, stride=2, padding=1), (_x(2, 3, 7, 7),)),
    "AvgPool1d": (lambda: nn.AvgPool1d(3, stride=2), (_x(2, 3, 9),)),
    "AvgPool2d": (lambda: nn.AvgPool2d(2, ceil_mode=True), (_x(2, 3, 5, 5),)),
    "AdaptiveAvgPool2d": (lambda: nn.AdaptiveAvgPool2d((2, 3)), (_x(2, 3, 7, 8),)),
    "GlobalAvgPool2d": (nn.GlobalAvgPool2d, (_x(2, 3, 4, 4),)),
    "AdaptiveMaxPool2d": (lambda: nn.AdaptiveMaxPool2d((2, 3)), (_x(2, 3, 7, 8),)),
    "AdaptiveAvgPool1d": (lambda: nn.AdaptiveAvgPool1d(3), (_x(2, 3, 7),)),
    "AdaptiveMaxPool1d": (lambda: nn.AdaptiveMaxPool1d(3), (_x(2, 3, 7),)),
    "LPPool2d": (lambda: nn.LPPool2d(2, 3, stride=2), (_p(2, 3, 7, 7),)),
    "LPPool1d": (lambda: nn.LPPool1d(2, 2), (_p(2, 3, 8),)),
    # (values, indices) from max pooling
    "MaxUnpool2d": (lambda: nn.MaxUnpool2d(2), (_x(2, 3, 3, 3),
                                                dg.max_pool2d(dg.tensor(_x(2, 3, 6, 6)), 2, return_indices=True)[1]
                                                .numpy())),
    "MaxUnpool1d": (lambda: nn.MaxUnpool1d(2), (_x(2, 3, 4),
                                                dg.max_pool1d(dg.tensor(_x(2, 3, 8)), 2, return_indices=True)[1]
                                                .numpy())),
    "GroupNorm": (lambda: nn.GroupNorm(2, 4), (_x(3, 4, 3, 3),)),
    "InstanceNorm1d": (lambda: nn.InstanceNorm1d(3, affine=True, track_running_stats=True), (_x(2, 3, 5),)),
    "InstanceNorm2d": (lambda: nn.InstanceNorm2d(3, affine=True), (_x(2, 3, 4, 4),)),
    "InstanceNorm3d": (lambda: nn.InstanceNorm3d(2), (_x(2, 2, 2, 3, 3),)),
    "RMSNorm": (lambda: nn.RMSNorm((3, 4)), (_x(2, 3, 4),)),
    "LocalResponseNorm": (lambda: nn.LocalResponseNorm(3), (_x(2, 5, 3, 3),)),
    "Unfold": (lambda: nn.Unfold(2, padding=1, stride=2), (_x(2, 3, 5, 4),)),
    "Fold": (lambda: nn.Fold((4, 5), 2), (_x(2, 8, 12),)),
    "Upsample": (lambda: nn.Upsample(scale_factor=2, mode="bilinear"), (_x(2, 3, 3, 4),)),
    "UpsamplingNearest2d": (lambda: nn.UpsamplingNearest2d(size=(5, 7)), (_x(2, 3, 3, 4),)),
    "UpsamplingBilinear2d": (lambda: nn.UpsamplingBilinear2d(scale_factor=2), (_x(2, 3, 3, 4),)),
    "PixelShuffle": (lambda: nn.PixelShuffle(2), (_x(2, 8, 3, 3),)),
    "PixelUnshuffle": (lambda: nn.PixelUnshuffle(2), (_x(2, 2, 4, 6),)),
    **{name: (lambda name=name: getattr(nn, name)(*(((1, 2, 2, 0), 0.5) if "Constant" in name else ((1, 2, 2, 0),))),
              (_x(2, 3, 4, 5),))
       for name in ("ZeroPad2d", "ConstantPad2d", "ReflectionPad2d", "ReplicationPad2d", "CircularPad2d")},
    **{name: (lambda name=name: getattr(nn, name)(*(((1, 2), 0.5) if "Constant" in name else ((1, 2),))),
              (_x(2, 3, 5),))
       for name in ("ZeroPad1d", "ConstantPad1d", "ReflectionPad1d", "ReplicationPad1d", "CircularPad1d")},
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
    **{name: (getattr(nn, name), (_x(3, 4) * 4,))
       for name in ("Hardsigmoid", "Hardswish", "Mish", "CELU", "Tanhshrink", "Softshrink", "Hardshrink")},
    "Threshold": (lambda: nn.Threshold(0.1, -1.0), (_x(3, 4),)),
    "GLU": (lambda: nn.GLU(1), (_x(3, 4),)),
    "CosineSimilarity": (nn.CosineSimilarity, (_x(4, 3), _x(4, 3))),
    "PairwiseDistance": (lambda: nn.PairwiseDistance(p=1.5), (_x(4, 3), _x(4, 3))),
    "SoftMarginLoss": (nn.SoftMarginLoss, (_x(4, 3), np.sign(_x(4, 3)))),
    "PoissonNLLLoss": (lambda: nn.PoissonNLLLoss(full=True), (_x(4, 3), _r.poisson(2.0, (4, 3)).astype(np.float32))),
    "GaussianNLLLoss": (nn.GaussianNLLLoss, (_x(4, 3), _x(4, 3), _p(4, 3))),
    "MarginRankingLoss": (lambda: nn.MarginRankingLoss(0.2), (_x(5), _x(5), np.sign(_x(5)))),
    "CosineEmbeddingLoss": (lambda: nn.CosineEmbeddingLoss(0.1), (_x(5, 3), _x(5, 3), np.sign(_x(5)))),
    "TripletMarginLoss": (lambda: nn.TripletMarginLoss(swap=True), (_x(5, 3), _x(5, 3), _x(5, 3))),
    # recurrent layers: (seq, batch, features)
    "RNN": (lambda: _Output(nn.RNN(3, 4, num_layers=2, nonlinearity="relu")), (_x(5, 2, 3),)),
    "LSTM": (lambda: _Output(nn.LSTM(3, 4, bidirectional=True, batch_first=True)), (_x(2, 5, 3),)),
    "GRU": (lambda: _Output(nn.GRU(3, 4, num_layers=2)), (_x(5, 2, 3),)),
    "RNNBase": (lambda: _Output(nn.RNNBase("GRU", 3, 4)), (_x(5, 2, 3),)),
    "RNNCell": (lambda: nn.RNNCell(3, 4), (_x(2, 3),)),
    "LSTMCell": (lambda: _Output(nn.LSTMCell(3, 4)), (_x(2, 3),)),
    "GRUCell": (lambda: nn.GRUCell(3, 4), (_x(2, 3),)),
    "RNNCellBase": (lambda: nn.GRUCell(3, 4), (_x(2, 3),)),
    "Softmax2d": (nn.Softmax2d, (_x(2, 3, 4, 4),)),
    "RReLU": (lambda: nn.RReLU().eval(), (_x(3, 4),)),  # random slopes in training: eval compares
    "Dropout3d": (lambda: nn.Dropout3d().eval(), (_x(2, 3, 2, 2, 2),)),
    "AlphaDropout": (lambda: nn.AlphaDropout().eval(), (_x(3, 4),)),
    "FeatureAlphaDropout": (lambda: nn.FeatureAlphaDropout().eval(), (_x(3, 4, 2),)),
    "HingeEmbeddingLoss": (nn.HingeEmbeddingLoss, (_x(4, 3), np.sign(_x(4, 3)))),
    "MultiLabelSoftMarginLoss": (nn.MultiLabelSoftMarginLoss, (_x(4, 3), (_p(4, 3) > 0.5).astype(np.float32))),
    # attention: (L, N, E) self-attention, eval (no dropout) so both devices agree
    "MultiheadAttention": (lambda: _Output(nn.MultiheadAttention(4, 2)).eval(), (_x(5, 2, 4),)),
    "TransformerEncoderLayer": (lambda: nn.TransformerEncoderLayer(4, 2, 8).eval(), (_x(5, 2, 4),)),
    "TransformerEncoder": (lambda: nn.TransformerEncoder(nn.TransformerEncoderLayer(4, 2, 8, norm_first=True), 2)
                           .eval(), (_x(5, 2, 4),)),
    "TransformerDecoderLayer": (lambda: _SelfDecode(nn.TransformerDecoderLayer(4, 2, 8)).eval(), (_x(5, 2, 4),)),
    "TransformerDecoder": (lambda: _SelfDecode(nn.TransformerDecoder(nn.TransformerDecoderLayer(4, 2, 8), 2)).eval(),
                           (_x(5, 2, 4),)),
    "Transformer": (lambda: _SelfDecode(nn.Transformer(4, 2, 1, 1, 8, batch_first=True)).eval(), (_x(2, 5, 4),)),
    "MultiheadAttention_bias_kv_zero_attn": (
        lambda: _Output(nn.MultiheadAttention(4, 2, add_bias_kv=True, add_zero_attn=True)).eval(), (_x(5, 2, 4),)),
    "LSTM_proj_size": (lambda: _Output(nn.LSTM(3, 4, num_layers=2, bidirectional=True, proj_size=2)), (_x(5, 2, 3),)),
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
