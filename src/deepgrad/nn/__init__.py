"""``deepgrad.nn``: modules, layers, losses, initializers, as ``torch.nn``.

    from deepgrad import nn
    import deepgrad.nn.functional as F
    model = nn.Sequential(nn.Linear(784, 500), nn.ReLU(), nn.Linear(500, 10))
"""
from deepgrad.nn import functional, init, utils
from deepgrad.nn.activation import (
    CELU,
    ELU,
    GELU,
    GLU,
    SELU,
    Hardshrink,
    Hardsigmoid,
    Hardswish,
    Hardtanh,
    LeakyReLU,
    Logistic,
    LogSigmoid,
    LogSoftmax,
    Mish,
    PReLU,
    ReLU,
    ReLU6,
    RReLU,
    Sigmoid,
    SiLU,
    Softmax,
    Softmax2d,
    Softmin,
    Softplus,
    Softshrink,
    Softsign,
    Tanh,
    Tanhshrink,
    Threshold,
)
from deepgrad.nn.attention import MultiheadAttention
from deepgrad.nn.blocks import Highway, Residual
from deepgrad.nn.container import ModuleDict, ModuleList, ParameterDict, ParameterList, Sequential
from deepgrad.nn.distance import CosineSimilarity, PairwiseDistance
from deepgrad.nn.dropout import AlphaDropout, Dropout, Dropout1d, Dropout2d, Dropout3d, FeatureAlphaDropout
from deepgrad.nn.embedding import Embedding
from deepgrad.nn.flatten import Flatten, Unflatten
from deepgrad.nn.linear import Bilinear, Identity, Linear
from deepgrad.nn.loss import (
    BCELoss,
    BCEWithLogitsLoss,
    CosineEmbeddingLoss,
    CrossEntropyLoss,
    GaussianNLLLoss,
    HingeEmbeddingLoss,
    HuberLoss,
    KLDivLoss,
    L1Loss,
    MarginRankingLoss,
    MSELoss,
    MultiLabelSoftMarginLoss,
    MultiMarginLoss,
    NLLLoss,
    PoissonNLLLoss,
    SmoothL1Loss,
    SoftMarginLoss,
    TripletMarginLoss,
)
from deepgrad.nn.module import Module, RemovableHandle
from deepgrad.nn.normalization import (
    BatchNorm1d,
    BatchNorm2d,
    BatchNorm3d,
    GroupNorm,
    InstanceNorm1d,
    InstanceNorm2d,
    InstanceNorm3d,
    LayerNorm,
    LocalResponseNorm,
    RMSNorm,
)
from deepgrad.nn.parameter import Buffer, Parameter
from deepgrad.nn.rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNBase, RNNCell, RNNCellBase
from deepgrad.nn.transformer import (
    Transformer,
    TransformerDecoder,
    TransformerDecoderLayer,
    TransformerEncoder,
    TransformerEncoderLayer,
)

__all__ = [
    "functional", "init", "utils", "Module", "RemovableHandle", "Parameter", "Buffer",
    "Sequential", "ModuleList", "ModuleDict", "ParameterList", "ParameterDict",
    "Linear", "Bilinear", "Identity", "Flatten", "Unflatten", "Dropout", "Dropout1d", "Dropout2d", "Embedding",
    "BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "LayerNorm", "GroupNorm", "InstanceNorm1d", "InstanceNorm2d",
    "InstanceNorm3d", "RMSNorm", "LocalResponseNorm", "Residual", "Highway",
    "ReLU", "ReLU6", "Sigmoid", "Tanh", "LeakyReLU", "PReLU", "ELU", "SELU", "GELU", "Softplus", "SiLU",
    "Hardtanh", "LogSigmoid", "Softsign", "Softmax", "Softmin", "LogSoftmax", "Logistic",
    "MSELoss", "L1Loss", "CrossEntropyLoss", "NLLLoss", "BCELoss", "BCEWithLogitsLoss", "HuberLoss",
    "SmoothL1Loss", "MultiMarginLoss", "KLDivLoss",
    "Hardsigmoid", "Hardswish", "Mish", "CELU", "Threshold", "Tanhshrink", "Softshrink", "Hardshrink", "GLU",
    "CosineSimilarity", "PairwiseDistance", "SoftMarginLoss", "PoissonNLLLoss", "GaussianNLLLoss",
    "MarginRankingLoss", "CosineEmbeddingLoss", "TripletMarginLoss",
    "RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell", "MultiheadAttention",
    "TransformerEncoderLayer", "TransformerDecoderLayer", "TransformerEncoder", "TransformerDecoder", "Transformer",
    "Dropout3d", "AlphaDropout", "FeatureAlphaDropout", "Softmax2d", "RReLU", "HingeEmbeddingLoss",
    "MultiLabelSoftMarginLoss",
]

# Convolution and pooling layers (Conv1d, Conv2d, ConvTranspose2d, MaxPool2d, AvgPool2d,
# AdaptiveAvgPool2d, ...) are written separately; nn works before they exist.
def _export(module_name):
    import importlib

    try:
        mod = importlib.import_module(f"deepgrad.nn.{module_name}")
    except ModuleNotFoundError as e:
        if e.name != f"deepgrad.nn.{module_name}":
            raise
        return
    for name in getattr(mod, "__all__", []):
        globals()[name] = getattr(mod, name)
        __all__.append(name)


_export("conv")
_export("pooling")
_export("padding")
_export("upsampling")
