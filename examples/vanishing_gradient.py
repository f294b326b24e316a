"""The vanishing gradient (seed 001/004): the same deep MLP with sigmoid and with ReLU on MNIST.

Each sigmoid multiplies the backward signal by sigma'(z) <= 1/4, so in a deep sigmoid network the
first layers' gradients are orders of magnitude smaller than the last layer's and those layers
barely learn; ReLU passes the gradient through unchanged where it is active.  This prints the
per-layer gradient norms |dL/dW| after initialisation and after training, the activations'
saturation / dead fractions, and the test accuracy after a short training.

Run: python examples/vanishing_gradient.py [--depth 10] [--train 5000] [--steps 300] [--plot norms.png]
"""
import argparse

import numpy as np

import deepgrad as dg
from deepgrad import nn, viz
from deepgrad.nn import functional as F


def deep_mlp(activation, depth=10, width=64, seed=0):
    """``depth`` Linear layers (784 -> width ... -> 10), each but the last followed by ``activation``.
    Each gets the initialisation made for it (Glorot for sigmoid/tanh, He for ReLU; zero biases),
    so the sigmoid network's small early gradients come from the activation, not from a bad init."""
    dg.manual_seed(seed)
    act = {"sigmoid": nn.Sigmoid, "relu": nn.ReLU, "tanh": nn.Tanh}[activation]
    sizes = [784] + [width] * (depth - 1) + [10]
    layers = []
    for i in range(depth):
        layer = nn.Linear(sizes[i], sizes[i + 1])
        if activation == "relu":
            nn.init.kaiming_normal_(layer.weight, nonlinearity="relu")
        else:
            nn.init.xavier_uniform_(layer.weight)
        nn.init.zeros_(layer.bias)
        layers.append(layer)
        if i < depth - 1:
            layers.append(act())
    return nn.Sequential(*layers)


def mnist_subset(n_train, n_test=2000, seed=0):
    x_train, y_train, x_test, y_test = dg.data.load_mnist()
    rng = np.random.default_rng(seed)
    idx = rng.permutation(len(x_train))[:n_train]
    prep = lambda x: (x.reshape(len(x), -1).astype(np.float32) / 255.0)  # noqa: E731
    return prep(x_train[idx]), y_train[idx].astype(np.int64), prep(x_test[:n_test]), y_test[:n_test].astype(np.int64)


def run(activation, depth=10, width=64, n_train=5000, steps=300, batch=64, lr=0.1, momentum=0.0, seed=0,
        data=None):
    """Train ``deep_mlp(activation)`` with SGD; returns the gradient norms at init and after training,
    the activation statistics at init, the monitor's report at init and the test accuracy."""
    x, y, x_test, y_test = data if data is not None else mnist_subset(n_train, seed=seed)
    model = deep_mlp(activation, depth, width, seed)
    mon = viz.GradientMonitor(model)
    opt = dg.optim.SGD(model.parameters(), lr=lr, momentum=momentum)
    rng = np.random.default_rng(seed)

    def step(xb, yb):
        opt.zero_grad()
        loss = F.cross_entropy(model(dg.tensor(xb)), dg.tensor(yb))
        loss.backward()
        return loss

    step(x[:256], y[:256])  # one batch at init: the gradients before any update
    result = {"init": mon.gradient_norms(), "init_stats": mon.activation_stats(), "init_report": mon.report()}
    for _ in range(steps):
        i = rng.integers(0, len(x), size=batch)
        step(x[i], y[i])
        opt.step()
    step(x[:256], y[:256])
    result["trained"] = mon.gradient_norms()
    mon.remove()
    with dg.no_grad():
        pred = model(dg.tensor(x_test)).numpy().argmax(axis=1)
    result["accuracy"] = float((pred == y_test).mean())
    return result


def ratio(norms):
    """|dL/dW| of the first layer over that of the last: far below 1 when the gradient vanishes."""
    v = list(norms.values())
    return v[0] / v[-1] if v[-1] else float("nan")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--depth", type=int, default=10)
    p.add_argument("--width", type=int, default=64)
    p.add_argument("--train", type=int, default=5000)
    p.add_argument("--steps", type=int, default=300)
    p.add_argument("--lr", type=float, default=0.1)
    p.add_argument("--plot", default=None, help="save the per-layer norms plot here (needs matplotlib)")
    a = p.parse_args(argv)
    data = mnist_subset(a.train)
    results = {act: run(act, a.depth, a.width, steps=a.steps, lr=a.lr, data=data) for act in ("sigmoid", "relu")}
    for act, r in results.items():
        print(f"== {act}: {a.depth} Linear layers of width {a.width}, at initialisation ==")
        print(r["init_report"])
    print("\n|dL/dW| per Linear layer (input -> output)")
    names = list(results["sigmoid"]["init"])
    print(f"{'layer':<6}" + "".join(f"{f'{act} {when}':>18}" for act in results for when in ("init", "trained")))
    for name in names:
        print(f"{name:<6}" + "".join(f"{results[act][when][name]:>18.2e}" for act in results
                                     for when in ("init", "trained")))
    for act, r in results.items():
        print(f"{act}: first/last layer gradient ratio at init {ratio(r['init']):.1e}, after training "
              f"{ratio(r['trained']):.1e}; test accuracy after {a.steps} steps {r['accuracy']:.1%}")
    if a.plot:
        viz.plot_gradient_norms({act: r["init"] for act, r in results.items()}, a.plot,
                                title="|dL/dW| per layer at initialisation")
        print(f"wrote {a.plot}")
    return results


if __name__ == "__main__":
    main()
