"""Universality (seed 000/001/003/004): one hidden layer of sigmoid neurons fits any 1-D function,
and fits it better the more neurons it has.

Fits y = f(x) for three functions of ``deepgrad.data.universality`` (a step, a sine, a bump) with
a 1-N-1 network (N = 3, 6, 12 sigmoid hidden neurons, linear output) trained by Adam (learning rate
decaying linearly to 0) on the mean squared error, prints the final MSE per (function, width)
and, with matplotlib, saves the fits.

Run: python examples/universality.py [--steps 2000] [--plot universality.png]
"""
import argparse

import numpy as np

import deepgrad as dg
from deepgrad import nn
from deepgrad.data import universality

FUNCTIONS = ("step", "sine", "bump")
WIDTHS = (3, 6, 12)


def one_hidden_layer(width, seed=0):
    """1 -> width (sigmoid) -> 1.  The hidden neurons start as steep sigmoids whose steps are spread
    over [-1, 1] (w = +-s, b = -w c for centres c), as in the proof's picture of a sum of steps; the
    steepness s grows with the number of neurons (each step about as wide as the gap between centres)."""
    dg.manual_seed(seed)
    model = nn.Sequential(nn.Linear(1, width), nn.Sigmoid(), nn.Linear(width, 1))
    rng = np.random.default_rng(seed)
    centres = np.linspace(-1.0, 1.0, width + 2)[1:-1]
    slope = 2.0 * (width + 1) * rng.choice([-1.0, 1.0], size=width)
    with dg.no_grad():
        model[0].weight.data[...] = slope[:, None].astype(np.float32)
        model[0].bias.data[...] = (-slope * centres).astype(np.float32)
    return model


def fit(name, width, steps=2000, lr=0.02, n=200, seed=0):
    """Train on ``n`` grid points of function ``name``; returns (final MSE, x, y, prediction)."""
    x, y = universality(name, n=n, seed=seed)
    model = one_hidden_layer(width, seed)
    opt = dg.optim.Adam(model.parameters(), lr=lr)
    xt, yt = dg.tensor(x), dg.tensor(y)
    for t in range(steps):
        opt.param_groups[0]["lr"] = lr * (1.0 - t / steps)  # decays linearly to 0: no Adam jitter at the end
        opt.zero_grad()
        loss = ((model(xt) - yt) ** 2).mean()
        loss.backward()
        opt.step()
    with dg.no_grad():
        pred = model(xt).numpy()
    return float(((pred - y) ** 2).mean()), x, y, pred


def table(steps=2000, functions=FUNCTIONS, widths=WIDTHS):
    """{(function, width): (mse, x, y, prediction)} for every pair."""
    return {(f, w): fit(f, w, steps) for f in functions for w in widths}


def plot(results, path, functions=FUNCTIONS, widths=WIDTHS):
    from deepgrad.viz.plots import _figure, _save

    fig = _figure((4.0 * len(functions), 3.2))
    for ax, f in zip(fig.subplots(1, len(functions), squeeze=False)[0], functions):
        _, x, y, _ = results[(f, widths[0])]
        ax.plot(x[:, 0], y[:, 0], "k-", linewidth=2, label="target")
        for w in widths:
            mse, x, _, pred = results[(f, w)]
            ax.plot(x[:, 0], pred[:, 0], "--", label=f"{w} neurons (MSE {mse:.1e})")
        ax.set_title(f)
        ax.legend(fontsize=7)
    return _save(fig, path, 100)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--steps", type=int, default=2000)
    p.add_argument("--plot", default=None, help="save the fits here (needs matplotlib)")
    a = p.parse_args(argv)
    results = table(a.steps)
    print(f"final MSE after {a.steps} Adam steps, one hidden layer of N sigmoid neurons")
    print(f"{'function':<10}" + "".join(f"{f'N={w}':>12}" for w in WIDTHS))
    for f in FUNCTIONS:
        print(f"{f:<10}" + "".join(f"{results[(f, w)][0]:>12.2e}" for w in WIDTHS))
    if a.plot:
        try:
            plot(results, a.plot)
            print(f"wrote {a.plot}")
        except ImportError as exc:
            print(f"no plot: {exc}")
    return results


if __name__ == "__main__":
    main()
