"""``deepgrad.keras``: the Keras 3 API (Sequential, Dense, compile/fit/evaluate/predict, callbacks)
as a thin layer over deepgrad.nn and deepgrad.optim.

Seed 001's code runs with only the imports pointed here::

    from deepgrad.keras.models import Sequential
    from deepgrad.keras.layers import Dense
    from deepgrad.keras.optimizers import SGD

    model = Sequential()
    model.add(Dense(units=500, input_dim=28 * 28, activation='sigmoid'))
    model.add(Dense(units=10, activation='softmax'))
    model.compile(loss='mse', optimizer=SGD(lr=0.1), metrics=['accuracy'])
    model.fit(x_train, y_train, batch_size=100, epochs=20)
"""
from __future__ import annotations

from deepgrad.keras import (
    activations,
    backend,
    callbacks,
    datasets,
    initializers,
    layers,
    losses,
    metrics,
    models,
    optimizers,
    regularizers,
    saving,
    utils,
)
from deepgrad.keras.layers import Input, Layer
from deepgrad.keras.models import Model, Sequential, load_model

__all__ = ["activations", "backend", "callbacks", "datasets", "initializers", "layers", "losses", "metrics",
           "models", "optimizers", "regularizers", "saving", "utils", "Input", "Layer", "Model", "Sequential",
           "load_model"]
