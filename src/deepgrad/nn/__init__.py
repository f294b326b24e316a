"""``deepgrad.nn``: modules, layers, losses, initializers, as ``torch.nn``.

    from deepgrad import nn
    import deepgrad.nn.functional as F
    model = nn.Sequential(nn.Linear(784, 500), nn.ReLU(), nn.Linear(500, 10))
"""
from deepgrad.nn import functional, init, utils
from deepgrad.nn.activation import (
    ELU,
    GELU,
    SELU,
    Hardtanh,
    LeakyReLU,
    Logistic,
    LogSigmoid,
    LogSoftmax,
    PReLU,
    ReLU,
    ReLU6,
    Sigmoid,
    SiLU,
    Softmax,
    Softmin,
    Softplus,
    Softsign,
    Tanh,
)
from deepgrad.nn.blocks import Highway, Residual
from deepgrad.nn.container import ModuleDict, ModuleList, ParameterDict, ParameterList, Sequential
from deepgrad.nn.dropout import Dropout, Dropout1d, Dropout2d
from deepgrad.nn.embedding import Embedding
from deepgrad.nn.flatten import Flatten, Unflatten
from deepgrad.nn.linear import Bilinear, Identity, Linear
from deepgrad.nn.loss import (
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    HuberLoss,
    KLDivLoss,
    L1Loss,
    MSELoss,
    MultiMarginLoss,
    NLLLoss,
    SmoothL1Loss,
)
from deepgrad.nn.module import Module, RemovableHandle
from deepgrad.nn.normalization import BatchNorm1d, BatchNorm2d, BatchNorm3d, LayerNorm
from deepgrad.nn.parameter import Buffer, Parameter

__all__ = [
    "functional", "init", "utils", "Module", "RemovableHandle", "Parameter", "Buffer",
    "Sequential", "ModuleList", "ModuleDict", "ParameterList", "ParameterDict",
    "Linear", "Bilinear", "Identity", "Flatten", "Unflatten", "Dropout", "Dropout1d", "Dropout2d", "Embedding",
    "BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "LayerNorm", "Residual", "Highway",
    "ReLU", "ReLU6", "Sigmoid", "Tanh", "LeakyReLU", "PReLU", "ELU", "SELU", "GELU", "Softplus", "SiLU",
    "Hardtanh", "LogSigmoid", "Softsign", "Softmax", "Softmin", "LogSoftmax", "Logistic",
    "MSELoss", "L1Loss", "CrossEntropyLoss", "NLLLoss", "BCELoss", "BCEWithLogitsLoss", "HuberLoss",
    "SmoothL1Loss", "MultiMarginLoss", "KLDivLoss",
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
