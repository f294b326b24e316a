"""The lectures' XOR network (2-2-1, sigmoid) trained with deepgrad's autodiff.

A perceptron cannot fit XOR; one hidden layer of two sigmoid neurons can (seed 000/002/003).
Run: python examples/xor.py
"""
import numpy as np

import deepgrad as dg


def train_xor(epochs=3000, lr=2.0, seed=0):
    dg.manual_seed(seed)
    x = dg.tensor([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=dg.float32)
    y = dg.tensor([[0], [1], [1], [0]], dtype=dg.float32)
    w1 = (dg.randn(2, 2) * 1.0).requires_grad_()
    b1 = dg.zeros(2, requires_grad=True)
    w2 = (dg.randn(2, 1) * 1.0).requires_grad_()
    b2 = dg.zeros(1, requires_grad=True)
    params = [w1, b1, w2, b2]
    for _ in range(epochs):
        h = dg.sigmoid(x @ w1 + b1)
        out = dg.sigmoid(h @ w2 + b2)
        loss = ((out - y) ** 2).mean()
        for p in params:
            p.grad = None
        loss.backward()
        with dg.no_grad():
            for p in params:
                p.data -= lr * p.grad.data
    return x, out, loss


def main():
    x, out, loss = train_xor()
    print("XOR with a 2-2-1 sigmoid network (deepgrad autodiff, gradient descent)")
    print(" x1 x2 | target | output")
    for (a, b), o in zip(x.numpy().astype(int), out.numpy()[:, 0]):
        print(f"  {a}  {b} |   {a ^ b}    | {o:.3f}")
    print(f"final loss (MSE): {loss.item():.5f}")
    ok = np.array_equal((out.numpy()[:, 0] > 0.5).astype(int), [0, 1, 1, 0])
    print("learned XOR:", "yes" if ok else "no")


if __name__ == "__main__":
    main()
