"""PyTorch-style training loop on real MNIST: 784-500-500-10 ReLU MLP, Adam, 3 epochs.

    python examples/mnist_mlp.py [--epochs 3] [--batch-size 100] [--lr 1e-3] [--device cuda]

Model, loss, optimizer, epochs, mini-batches shuffled each epoch: the loop a PyTorch user
writes, on deepgrad.  Prints the test accuracy and seconds of every epoch.
"""
import argparse
import time

import numpy as np

import deepgrad as dg
from deepgrad import nn, optim
from deepgrad.data import DataLoader, TensorDataset
from deepgrad.data.datasets import load_mnist


def mnist_arrays():
    x_train, y_train, x_test, y_test = load_mnist()
    x_train = x_train.reshape(-1, 784).astype(np.float32) / 255.0
    x_test = x_test.reshape(-1, 784).astype(np.float32) / 255.0
    return x_train, y_train.astype(np.int64), x_test, y_test.astype(np.int64)


def make_mlp(activation=nn.ReLU):
    return nn.Sequential(nn.Linear(784, 500), activation(), nn.Linear(500, 500), activation(), nn.Linear(500, 10))


@dg.no_grad()
def accuracy(model, x, y, batch_size=1000, device="cpu"):
    model.eval()
    correct = 0
    for i in range(0, len(x), batch_size):
        logits = model(dg.tensor(x[i:i + batch_size], device=device))
        correct += int((logits.argmax(dim=1).numpy() == y[i:i + batch_size]).sum())
    model.train()
    return correct / len(x)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--batch-size", type=int, default=100)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--device", default="cpu", help="cpu, or cuda for an NVIDIA GPU through CuPy")
    ap.add_argument("--limit", type=int, default=None, help="use only the first N training images (smoke test)")
    ap.add_argument("--test-limit", type=int, default=None, help="evaluate on the first N test images only")
    args = ap.parse_args(argv)

    dg.manual_seed(args.seed)
    x_train, y_train, x_test, y_test = mnist_arrays()
    if args.limit:
        x_train, y_train = x_train[:args.limit], y_train[:args.limit]
    if args.test_limit:
        x_test, y_test = x_test[:args.test_limit], y_test[:args.test_limit]
    loader = DataLoader(TensorDataset(x_train, y_train), batch_size=args.batch_size, shuffle=True,
                        device=args.device)  # batches arrive on the device
    model = make_mlp().to(args.device)
    loss_fn = nn.CrossEntropyLoss()
    optimizer = optim.Adam(model.parameters(), lr=args.lr)
    print(model)
    history = []
    for epoch in range(1, args.epochs + 1):
        t0 = time.perf_counter()
        total, batches = 0.0, 0
        for xb, yb in loader:
            optimizer.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            optimizer.step()
            total += loss.item()
            batches += 1
        seconds = time.perf_counter() - t0
        acc = accuracy(model, x_test, y_test, device=args.device)
        history.append((epoch, total / batches, acc, seconds))
        print(f"epoch {epoch}: train loss {total / batches:.4f}  test accuracy {acc:.4f}  ({seconds:.1f} s)")
    return history


if __name__ == "__main__":
    main()
