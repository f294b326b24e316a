"""The lecture's Keras MLP (784-500-500-10 sigmoid, softmax cross entropy, SGD lr 0.1, batch 100):
one epoch of real MNIST in deepgrad and in PyTorch CPU, in the same run, same initial weights
and the same batches.  Prints seconds per epoch and the ratio deepgrad / PyTorch.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE .venv/bin/python benchmarks/bench_mlp.py [--rounds 2]
"""
from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks._common import header, table  # noqa: E402

import deepgrad as dg  # noqa: E402
from deepgrad import nn, optim  # noqa: E402
from deepgrad.data.datasets import load_mnist  # noqa: E402

SIZES = [784, 500, 500, 10]


def data():
    x, y, _, _ = load_mnist()
    return x.reshape(-1, 784).astype(np.float32) / 255.0, y.astype(np.int64)


def init_weights(seed=0):
    rng = np.random.default_rng(seed)
    ws = []
    for i, o in zip(SIZES[:-1], SIZES[1:]):
        bound = 1 / np.sqrt(i)
        w = rng.uniform(-bound, bound, (o, i)).astype(np.float32)
        ws.append((w, rng.uniform(-bound, bound, o).astype(np.float32)))
    return ws


def deepgrad_epoch(x, y, order, weights, batch=100, lr=0.1):
    layers = []
    for k, (w, b) in enumerate(weights):
        lin = nn.Linear(w.shape[1], w.shape[0])
        lin.weight.data[...] = w
        lin.bias.data[...] = b
        layers += [lin] + ([nn.Sigmoid()] if k < len(weights) - 1 else [])
    model = nn.Sequential(*layers)
    opt = optim.SGD(model.parameters(), lr=lr)
    loss_fn = nn.CrossEntropyLoss()
    t0 = time.perf_counter()
    for i in range(0, len(order), batch):
        idx = order[i:i + batch]
        xb, yb = dg.Tensor(x[idx]), dg.Tensor(y[idx])
        opt.zero_grad()
        loss = loss_fn(model(xb), yb)
        loss.backward()
        opt.step()
    return time.perf_counter() - t0, float(loss.item()), model[0].weight.numpy()


def torch_epoch(x, y, order, weights, batch=100, lr=0.1):
    import torch

    layers = []
    for k, (w, b) in enumerate(weights):
        lin = torch.nn.Linear(w.shape[1], w.shape[0])
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(w))
            lin.bias.copy_(torch.from_numpy(b))
        layers += [lin] + ([torch.nn.Sigmoid()] if k < len(weights) - 1 else [])
    model = torch.nn.Sequential(*layers)
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    loss_fn = torch.nn.CrossEntropyLoss()
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    t0 = time.perf_counter()
    for i in range(0, len(order), batch):
        idx = torch.from_numpy(order[i:i + batch])
        xb, yb = xt[idx], yt[idx]
        opt.zero_grad()
        loss = loss_fn(model(xb), yb)
        loss.backward()
        opt.step()
    return time.perf_counter() - t0, float(loss.item()), model[0].weight.detach().numpy()


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=2, help="epochs of each framework, interleaved")
    args = ap.parse_args(argv)
    print(header("bench_mlp: lecture MLP 784-500-500-10 sigmoid, SGD 0.1, batch 100, one MNIST epoch"))
    x, y = data()
    weights = init_weights()
    order = np.random.default_rng(1).permutation(len(x))
    dg_times, th_times = [], []
    for _ in range(args.rounds):
        t, dl, dw = deepgrad_epoch(x, y, order, weights)
        dg_times.append(t)
        t, tl, tw = torch_epoch(x, y, order, weights)
        th_times.append(t)
    diff = float(np.max(np.abs(dw - tw)))
    rows = [["deepgrad", f"{min(dg_times):.2f}", " ".join(f"{t:.2f}" for t in dg_times), f"{dl:.4f}"],
            ["PyTorch", f"{min(th_times):.2f}", " ".join(f"{t:.2f}" for t in th_times), f"{tl:.4f}"]]
    print()
    print(table(["framework", "best s/epoch", "all epochs (s)", "last batch loss"], rows))
    print(f"\nratio deepgrad/PyTorch (best epochs): {min(dg_times) / min(th_times):.2f}")
    print(f"max |w1 deepgrad - w1 torch| after one epoch from the same start: {diff:.2e}")


if __name__ == "__main__":
    main()
