"""Keras layers over deepgrad.nn (one file per family) and the registry ``load_model`` rebuilds from."""
from __future__ import annotations

from deepgrad.keras.layers.activation import ELU, Activation, LeakyReLU, PReLU, ReLU, Softmax
from deepgrad.keras.layers.convolution import Conv2D
from deepgrad.keras.layers.dense import Dense
from deepgrad.keras.layers.dropout import Dropout
from deepgrad.keras.layers.embedding import Embedding
from deepgrad.keras.layers.input_layer import Input, InputLayer
from deepgrad.keras.layers.keras_tensor import KerasTensor
from deepgrad.keras.layers.layer import Layer
from deepgrad.keras.layers.merging import Add, Average, Concatenate, Multiply, Subtract
from deepgrad.keras.layers.normalization import BatchNormalization, LayerNormalization
from deepgrad.keras.layers.pooling import AveragePooling2D, GlobalAveragePooling2D, GlobalMaxPooling2D, MaxPooling2D
from deepgrad.keras.layers.reshaping import Flatten, Reshape

# Keras's other names for the same classes
Convolution2D = Conv2D
MaxPool2D = MaxPooling2D
AvgPool2D = AveragePooling2D
GlobalAvgPool2D = GlobalAveragePooling2D
GlobalMaxPool2D = GlobalMaxPooling2D

LAYER_CLASSES = {cls.__name__: cls for cls in (
    InputLayer, Dense, Activation, ReLU, Softmax, LeakyReLU, ELU, PReLU, Dropout, Flatten, Reshape,
    BatchNormalization, LayerNormalization, Embedding, Conv2D, MaxPooling2D, AveragePooling2D,
    GlobalAveragePooling2D, GlobalMaxPooling2D, Add, Subtract, Multiply, Average, Concatenate,
)}

__all__ = ["Layer", "KerasTensor", "Input", *LAYER_CLASSES, "Convolution2D", "MaxPool2D", "AvgPool2D",
           "GlobalAvgPool2D", "GlobalMaxPool2D"]
