"""A small residual CNN on Fashion-MNIST: BatchNorm2d, nn.Residual blocks, global average pooling.

    stem   conv3x3(1 -> w) - BN - ReLU                                     28x28
    stage  Residual(conv3x3 - BN - ReLU - conv3x3 - BN) - ReLU              28x28
    down   conv3x3 stride 2 (w -> 2w) - BN - ReLU, residual block           14x14
    down   conv3x3 stride 2 (2w -> 4w) - BN - ReLU, residual block           7x7
    head   global average pool - Linear(4w, 10)

Adam with a cosine learning-rate decay over the run, batch 128, light augmentation (random
horizontal flips).  Target: at least 91% test accuracy.

    python examples/fashion_resnet.py --epochs 4 --width 16
"""
from __future__ import annotations

import argparse
import time

import numpy as np

import deepgrad as dg
import deepgrad.nn.functional as F
from deepgrad import nn


def conv_bn(cin, cout, stride=1):
    """conv3x3 (no bias: the BatchNorm after it has one) and BatchNorm2d."""
    return [nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False), nn.BatchNorm2d(cout)]


def residual_block(c):
    """x -> relu(x + bn(conv(relu(bn(conv(x))))))."""
    body = nn.Sequential(*conv_bn(c, c), nn.ReLU(), *conv_bn(c, c))
    return [nn.Residual(body), nn.ReLU()]


def small_resnet(width=16, classes=10):
    w = width
    return nn.Sequential(
        *conv_bn(1, w), nn.ReLU(), *residual_block(w),
        *conv_bn(w, 2 * w, stride=2), nn.ReLU(), *residual_block(2 * w),
        *conv_bn(2 * w, 4 * w, stride=2), nn.ReLU(), *residual_block(4 * w),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4 * w, classes),
    )


MEAN, STD = 0.2860, 0.3530  # Fashion-MNIST training-set pixel statistics


def prepare(images):
    """uint8 (N, 28, 28) -> standardized float32 (N, 1, 28, 28)."""
    x = images.astype(np.float32) / np.float32(255.0)
    return ((x - np.float32(MEAN)) / np.float32(STD)).reshape(-1, 1, 28, 28)


@dg.no_grad()
def accuracy(model, x, y, batch_size=500, device="cpu"):
    model.eval()
    correct = 0
    for s in range(0, len(x), batch_size):
        logits = model(dg.Tensor(x[s:s + batch_size], device=device)).numpy()
        correct += int((logits.argmax(1) == y[s:s + batch_size]).sum())
    return correct / len(x)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=4)
    p.add_argument("--width", type=int, default=16)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--limit", type=int, default=None, help="use only the first N training images (smoke test)")
    p.add_argument("--device", default="cpu", help="cpu or cuda (CuPy)")
    args = p.parse_args(argv)

    from deepgrad.data.datasets import load_fashion_mnist

    x_train, y_train, x_test, y_test = load_fashion_mnist()
    x_train, x_test = prepare(x_train), prepare(x_test)
    y_train, y_test = y_train.astype(np.int64), y_test.astype(np.int64)
    if args.limit:
        x_train, y_train = x_train[:args.limit], y_train[:args.limit]

    dg.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    model = small_resnet(args.width).to(args.device)
    opt = dg.optim.Adam(model.parameters(), lr=args.lr)
    steps = args.epochs * -(-len(x_train) // args.batch_size)
    sched = dg.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps)
    print(f"small ResNet (width {args.width}): {sum(q.numel() for q in model.parameters())} parameters")
    print("epoch  train_loss  test_acc  seconds")
    best = 0.0
    for epoch in range(1, args.epochs + 1):
        model.train()
        t0 = time.perf_counter()
        order = rng.permutation(len(x_train))
        total = 0.0
        for s in range(0, len(order), args.batch_size):
            idx = order[s:s + args.batch_size]
            xb = x_train[idx]
            flip = rng.random(len(idx)) < 0.5
            xb = np.where(flip[:, None, None, None], xb[..., ::-1], xb)
            xb = dg.Tensor(np.ascontiguousarray(xb), device=args.device)
            loss = F.cross_entropy(model(xb), dg.Tensor(y_train[idx], device=args.device))
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item() * len(idx)
        seconds = time.perf_counter() - t0
        acc = accuracy(model, x_test, y_test, device=args.device)
        best = max(best, acc)
        print(f"{epoch:5d}  {total / len(order):10.4f}  {acc * 100:7.2f}%  {seconds:7.1f}", flush=True)
    print(f"best test accuracy {best * 100:.2f}%")
    return best


if __name__ == "__main__":
    main()
