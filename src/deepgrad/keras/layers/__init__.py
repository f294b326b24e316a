"""Keras layers over deepgrad.nn (one file per family) and the registry ``load_model`` rebuilds from."""
from __future__ import annotations

from deepgrad.keras.layers.activation import ELU, Activation, LeakyReLU, PReLU, ReLU, Softmax
from deepgrad.keras.layers.attention import AdditiveAttention, Attention, MultiHeadAttention
from deepgrad.keras.layers.augmentation import (
    RandomBrightness,
    RandomContrast,
    RandomFlip,
    RandomRotation,
    RandomTranslation,
    RandomZoom,
)
from deepgrad.keras.layers.convolution import Conv2D
from deepgrad.keras.layers.convolution1d import Conv1D
from deepgrad.keras.layers.convolution1d_transpose import Conv1DTranspose
from deepgrad.keras.layers.convolution_depthwise import DepthwiseConv2D, SeparableConv2D
from deepgrad.keras.layers.convolution_transpose import Conv2DTranspose
from deepgrad.keras.layers.core import Identity, Rescaling
from deepgrad.keras.layers.dense import Dense
from deepgrad.keras.layers.dropout import Dropout
from deepgrad.keras.layers.embedding import Embedding
from deepgrad.keras.layers.group_normalization import GroupNormalization, UnitNormalization
from deepgrad.keras.layers.input_layer import Input, InputLayer
from deepgrad.keras.layers.keras_tensor import KerasTensor
from deepgrad.keras.layers.lambda_layer import Lambda
from deepgrad.keras.layers.layer import Layer
from deepgrad.keras.layers.masking import Masking
from deepgrad.keras.layers.merging import Add, Average, Concatenate, Dot, Maximum, Minimum, Multiply, Subtract
from deepgrad.keras.layers.noise import GaussianNoise, SpatialDropout1D, SpatialDropout2D
from deepgrad.keras.layers.normalization import BatchNormalization, LayerNormalization
from deepgrad.keras.layers.pooling import AveragePooling2D, GlobalAveragePooling2D, GlobalMaxPooling2D, MaxPooling2D
from deepgrad.keras.layers.pooling1d import (
    AveragePooling1D,
    GlobalAveragePooling1D,
    GlobalMaxPooling1D,
    MaxPooling1D,
)
from deepgrad.keras.layers.preprocessing import ActivityRegularization, CategoryEncoding, Discretization, Normalization
from deepgrad.keras.layers.reshaping import Flatten, Permute, RepeatVector, Reshape
from deepgrad.keras.layers.reshaping2d import (
    Cropping1D,
    Cropping2D,
    UpSampling1D,
    UpSampling2D,
    ZeroPadding1D,
    ZeroPadding2D,
)
from deepgrad.keras.layers.rnn import GRU, LSTM, SimpleRNN
from deepgrad.keras.layers.rnn_cells import RNN, GRUCell, LSTMCell, SimpleRNNCell, StackedRNNCells
from deepgrad.keras.layers.wrappers import Bidirectional, TimeDistributed

# Keras's other names for the same classes
Convolution2D = Conv2D
MaxPool2D = MaxPooling2D
AvgPool2D = AveragePooling2D
GlobalAvgPool2D = GlobalAveragePooling2D
GlobalMaxPool2D = GlobalMaxPooling2D
Convolution1D = Conv1D
Convolution2DTranspose = Conv2DTranspose
Convolution1DTranspose = Conv1DTranspose
SeparableConvolution2D = SeparableConv2D
MaxPool1D = MaxPooling1D
AvgPool1D = AveragePooling1D
GlobalAvgPool1D = GlobalAveragePooling1D
GlobalMaxPool1D = GlobalMaxPooling1D

LAYER_CLASSES = {cls.__name__: cls for cls in (
    InputLayer, Dense, Activation, ReLU, Softmax, LeakyReLU, ELU, PReLU, Dropout, Flatten, Reshape,
    BatchNormalization, LayerNormalization, Embedding, Conv2D, MaxPooling2D, AveragePooling2D,
    GlobalAveragePooling2D, GlobalMaxPooling2D, Add, Subtract, Multiply, Average, Concatenate,
    Conv1D, MaxPooling1D, AveragePooling1D, GlobalAveragePooling1D, GlobalMaxPooling1D, UpSampling1D, UpSampling2D,
    ZeroPadding1D, ZeroPadding2D, Cropping1D, Cropping2D, Permute, RepeatVector, Identity, Rescaling, Maximum,
    Minimum, GaussianNoise, SpatialDropout1D, SpatialDropout2D, Conv2DTranspose, Dot, DepthwiseConv2D, SeparableConv2D,
    SimpleRNN, LSTM, GRU, Bidirectional, TimeDistributed, GroupNormalization, UnitNormalization, Masking,
    RNN, SimpleRNNCell, LSTMCell, GRUCell, StackedRNNCells,
    MultiHeadAttention, Attention, AdditiveAttention, Normalization, Discretization, CategoryEncoding,
    ActivityRegularization, Conv1DTranspose, RandomFlip, RandomContrast, RandomRotation, RandomZoom,
    RandomTranslation, RandomBrightness,
)}
# Keras 3's layers that pass their input's mask on to their output unchanged (see masking.py)
for _cls in (Dense, Activation, ReLU, Softmax, LeakyReLU, ELU, PReLU, Dropout, BatchNormalization, LayerNormalization,
             GroupNormalization, UnitNormalization, GaussianNoise, Identity, Rescaling):
    _cls.supports_masking = True
del _cls
# Lambda holds Python code: usable, never saved or loaded (not in LAYER_CLASSES)

__all__ = ["Layer", "KerasTensor", "Input", "Lambda", *LAYER_CLASSES, "Convolution2D", "MaxPool2D", "AvgPool2D",
           "GlobalAvgPool2D", "GlobalMaxPool2D", "Convolution1D", "MaxPool1D", "AvgPool1D", "GlobalAvgPool1D",
           "GlobalMaxPool1D", "Convolution2DTranspose", "SeparableConvolution2D",
           "Convolution1DTranspose"]
