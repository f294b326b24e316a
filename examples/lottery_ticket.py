"""The lottery ticket procedure (Frankle & Carbin, 2019) on real MNIST with deepgrad.nn.utils.prune.

    python examples/lottery_ticket.py [--rounds 5] [--prune 0.2] [--epochs 1] [--limit N] [--device cuda]

1. Randomly initialize the 784-300-100-10 ReLU network f(x; theta0) (LeNet-300-100, as in the paper).
2. Train it (Adam 1.2e-3, batch 60).
3. Prune p% of each layer's remaining weights by magnitude (``prune.l1_unstructured``), giving a mask m.
4. Reset the surviving weights to their values in theta0 (``prune.reset_to_initial``): the winning
   ticket f(x; m * theta0).  Retrain it and go back to 3 for the next round.
The control (the paper's): the same masks on a fresh random initialization, trained the same way.
Prints, per round, the sparsity (fraction of weights pruned) and both test accuracies.
"""
from __future__ import annotations

import argparse
import copy
import time

import numpy as np

import deepgrad as dg
from deepgrad import nn, optim
from deepgrad.data.datasets import load_mnist
from deepgrad.nn.utils import prune


def lenet_300_100():
    return nn.Sequential(nn.Linear(784, 300), nn.ReLU(), nn.Linear(300, 100), nn.ReLU(), nn.Linear(100, 10))


def linears(model):
    return [m for m in model.modules() if isinstance(m, nn.Linear)]


def sparsity(model):
    """The fraction of the Linear weights that are pruned (biases are never pruned)."""
    masks = [m.weight_mask.numpy() if prune.is_pruned(m) else np.ones(m.weight.shape) for m in linears(model)]
    return 1.0 - sum(float(k.sum()) for k in masks) / sum(k.size for k in masks)


def prune_and_reset(model, initial_state, amount, output_amount=None):
    """Steps 3-4: prune ``amount`` of each layer's remaining weights (``output_amount`` for the last
    layer, default the same) by magnitude, then reset the survivors (and the biases) to
    ``initial_state`` (theta0).  The magnitudes are those of ``layer.weight`` = mask * weight_orig,
    refreshed by the last forward pass (the evaluation)."""
    layers = linears(model)
    for layer in layers:
        last = layer is layers[-1] and output_amount is not None
        prune.l1_unstructured(layer, "weight", amount=output_amount if last else amount)
    return prune.reset_to_initial(model, initial_state)


def random_reinit_like(ticket, seed):
    """The control: a freshly initialized network with the ticket's masks."""
    dg.manual_seed(seed)
    model = lenet_300_100().to(next(ticket.parameters()).device)
    for layer, ticket_layer in zip(linears(model), linears(ticket)):
        prune.custom_from_mask(layer, "weight", mask=ticket_layer.weight_mask)
    return model


def mnist(limit=None, test_limit=None):
    x_train, y_train, x_test, y_test = load_mnist()
    x_train, y_train = x_train[:limit], y_train[:limit]
    x_test, y_test = x_test[:test_limit], y_test[:test_limit]
    prep = lambda x: x.reshape(len(x), 784).astype(np.float32) / np.float32(255.0)  # noqa: E731
    return prep(x_train), y_train.astype(np.int64), prep(x_test), y_test.astype(np.int64)


def train(model, data, epochs, batch_size=60, lr=1.2e-3, device="cpu"):
    x_train, y_train = data[0], data[1]
    opt = optim.Adam(model.parameters(), lr=lr)
    loss_fn = nn.CrossEntropyLoss()
    order = np.random.default_rng(0)  # the same batches for the ticket and the control
    model.train()
    for _ in range(epochs):
        perm = order.permutation(len(x_train))
        for i in range(0, len(perm), batch_size):
            idx = perm[i:i + batch_size]
            opt.zero_grad()
            loss_fn(model(dg.tensor(x_train[idx], device=device)), dg.tensor(y_train[idx], device=device)).backward()
            opt.step()
    return accuracy(model, data[2], data[3], device)


@dg.no_grad()
def accuracy(model, x, y, device="cpu", batch_size=2000):
    model.eval()
    correct = sum(int((model(dg.tensor(x[i:i + batch_size], device=device)).argmax(dim=1).numpy()
                       == y[i:i + batch_size]).sum()) for i in range(0, len(x), batch_size))
    model.train()
    return correct / len(x)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=5, help="pruning rounds after the dense run")
    ap.add_argument("--prune", type=float, default=0.2,
                    help="fraction of each layer's remaining weights pruned per round")
    ap.add_argument("--output-prune", type=float, default=None,
                    help="the same for the output layer (default: --prune; the paper uses half of it)")
    ap.add_argument("--epochs", type=int, default=1, help="training epochs per round")
    ap.add_argument("--limit", type=int, default=None, help="use only the first N training images")
    ap.add_argument("--test-limit", type=int, default=None, help="evaluate on the first N test images only")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--device", default="cpu", help="cpu, or cuda for an NVIDIA GPU through CuPy")
    args = ap.parse_args(argv)

    data = mnist(args.limit, args.test_limit)
    dg.manual_seed(args.seed)
    ticket = lenet_300_100().to(args.device)
    theta0 = copy.deepcopy(ticket.state_dict())
    rows = []
    print(f"{'round':>5} {'sparsity':>9} {'ticket acc':>11} {'random acc':>11} {'seconds':>8}")
    for r in range(args.rounds + 1):
        t0 = time.perf_counter()
        if r:
            prune_and_reset(ticket, theta0, args.prune, args.output_prune)
        ticket_acc = train(ticket, data, args.epochs, device=args.device)
        control_acc = None
        if r:
            control = random_reinit_like(ticket, seed=args.seed + 1000 + r)
            control_acc = train(control, data, args.epochs, device=args.device)
        rows.append((r, sparsity(ticket), ticket_acc, control_acc))
        control_text = f"{control_acc:11.4f}" if control_acc is not None else f"{'-':>11}"
        print(f"{r:5d} {rows[-1][1]:9.4f} {ticket_acc:11.4f} {control_text} {time.perf_counter() - t0:8.1f}",
              flush=True)
    return rows


if __name__ == "__main__":
    main()
