"""deepgrad on a CUDA GPU (CuPy) against PyTorch CUDA (eager), in the same run, on real MNIST
already on the GPU: seconds per epoch, peak GPU memory, and kernel launches per training step.

(a) the lecture MLP 784-500-500-10 sigmoid, softmax cross entropy, SGD lr 0.1, batch 100 and 1000;
(b) LeNet-5 (conv5x5(6, pad 2)-relu-maxpool-conv5x5(16)-relu-maxpool-120-84-10), batch 64, Adam 1e-3.

Both frameworks start from the same weights (PyTorch's init, copied) and see the same batches.
deepgrad runs twice: with its hand-written kernels (``deepgrad.kernels``: fused optimizer
updates, fused softmax cross entropy, im2col/col2im, max-pool and activation kernels, which the
ops call on CuPy arrays) and with them off (plain CuPy array code).

    PYTHONPATH=src DEEPGRAD_DATA=... python3 benchmarks/bench_gpu.py [--rounds 2] [--only mlp100,lenet]

Memory is the peak beyond what was held before the epoch (data, weights, optimizer state):
PyTorch's ``max_memory_allocated``; for CuPy the memory pool's size after the epoch (the pool
keeps every block it allocated, so this is an upper bound of the peak).
"""
from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks._common import table  # noqa: E402

import deepgrad as dg  # noqa: E402
from deepgrad import autograd, kernels, nn, optim  # noqa: E402

CONFIGS = {"mlp100": ("mlp", 100), "mlp1000": ("mlp", 1000), "lenet": ("lenet", 64)}


def torch_model(kind, torch):
    tnn = torch.nn
    if kind == "mlp":
        return tnn.Sequential(tnn.Flatten(), tnn.Linear(784, 500), tnn.Sigmoid(), tnn.Linear(500, 500), tnn.Sigmoid(),
                              tnn.Linear(500, 10))
    return tnn.Sequential(tnn.Conv2d(1, 6, 5, padding=2), tnn.ReLU(), tnn.MaxPool2d(2), tnn.Conv2d(6, 16, 5),
                          tnn.ReLU(), tnn.MaxPool2d(2), tnn.Flatten(), tnn.Linear(400, 120), tnn.ReLU(),
                          tnn.Linear(120, 84), tnn.ReLU(), tnn.Linear(84, 10))


def dg_model(kind, tmodel):
    if kind == "mlp":
        model = nn.Sequential(nn.Flatten(), nn.Linear(784, 500), nn.Sigmoid(), nn.Linear(500, 500), nn.Sigmoid(),
                              nn.Linear(500, 10))
    else:
        model = nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5),
                              nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(400, 120), nn.ReLU(),
                              nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))
    for p, tp in zip(model.parameters(), tmodel.parameters()):
        assert tuple(p.shape) == tuple(tp.shape)
        p.data[...] = tp.detach().cpu().numpy()
    return model.to("cuda")


def make_opt(kind, params, lib):
    if kind == "mlp":
        return lib.SGD(params, lr=0.1)
    return lib.Adam(params, lr=1e-3)


class Run:
    """One framework's model, optimizer and step function on the GPU data."""

    def __init__(self, name, kind, batch, data, torch, init):
        self.name, self.kind, self.batch = name, kind, batch
        self.torch = torch
        if name == "PyTorch":
            self.model = torch_model(kind, torch).cuda()
            self.model.load_state_dict(init)
            self.opt = make_opt(kind, self.model.parameters(), torch.optim)
            self.loss_fn = torch.nn.CrossEntropyLoss()
            self.x, self.y = data["tx"], data["ty"]
        else:
            tm = torch_model(kind, torch)
            tm.load_state_dict(init)
            self.model = dg_model(kind, tm)
            self.opt = make_opt(kind, self.model.parameters(), optim)
            self.loss_fn = nn.CrossEntropyLoss()
            self.x, self.y = data["dx"], data["dy"]
        self.fast = name == "deepgrad"

    def __enter__(self):
        if self.name != "PyTorch":
            self.prev = kernels.set_enabled(self.fast)
        return self

    def __exit__(self, *exc):
        if self.name != "PyTorch":
            kernels.set_enabled(self.prev)

    def step(self, idx):
        xb, yb = self.x[idx], self.y[idx]
        if self.name != "PyTorch":
            xb, yb = dg.Tensor(xb), dg.Tensor(yb)
        self.opt.zero_grad()
        loss = self.loss_fn(self.model(xb), yb)
        loss.backward()
        self.opt.step()
        return loss

    def sync(self):
        if self.name == "PyTorch":
            self.torch.cuda.synchronize()
        else:
            dg.cuda.synchronize()

    def epoch(self, order):
        self.sync()
        t0 = time.perf_counter()
        for i in range(0, len(order), self.batch):
            loss = self.step(order[i:i + self.batch])
        self.sync()
        return time.perf_counter() - t0, float(loss.item())

    def first_weight(self):
        p = next(iter(self.model.parameters()))
        return p.detach().cpu().numpy() if self.name == "PyTorch" else p.numpy()


def peak_memory(run, order, cp, torch):
    """Peak bytes beyond what was held before one epoch."""
    if run.name == "PyTorch":
        torch.cuda.synchronize()
        base = torch.cuda.memory_allocated()
        torch.cuda.reset_peak_memory_stats()
        run.epoch(order)
        return torch.cuda.max_memory_allocated() - base
    pool = cp.get_default_memory_pool()
    dg.cuda.synchronize()
    pool.free_all_blocks()
    base = pool.used_bytes()
    run.epoch(order)
    return pool.total_bytes() - base


def count_launches(run, order, torch, steps=10):
    """(CUDA kernels + memsets/copies per step from the CUPTI profiler, deepgrad Functions per step)."""
    calls = [0]
    orig = autograd.Function.__call__

    def counting(self, *a):
        calls[0] += 1
        return orig(self, *a)

    batches = [order[i * run.batch:(i + 1) * run.batch] for i in range(steps)]
    if run.name != "PyTorch":
        autograd.Function.__call__ = counting
    try:
        from torch.profiler import ProfilerActivity, profile

        run.sync()
        with profile(activities=[ProfilerActivity.CUDA]) as prof:
            for b in batches:
                run.step(b)
            run.sync()
        kinds = {}
        for e in prof.events():
            if str(getattr(e, "device_type", "")).endswith("CUDA"):
                kinds[e.name] = kinds.get(e.name, 0) + 1
        launches = sum(kinds.values()) / steps
    except Exception as err:  # noqa: BLE001 - the profiler is optional
        print(f"  (launch count unavailable for {run.name}: {err})")
        launches = float("nan")
        for b in batches:
            run.step(b)
    finally:
        autograd.Function.__call__ = orig
    return launches, (calls[0] / steps if run.name != "PyTorch" else float("nan"))


def load_data(cp, torch, with_torch=True):
    from deepgrad.data.datasets import load_mnist

    x, y, _, _ = load_mnist()
    x = (x.astype(np.float32) / 255.0).reshape(-1, 1, 28, 28)
    y = y.astype(np.int64)
    data = {"dx": cp.asarray(x), "dy": cp.asarray(y)}
    if with_torch:
        data.update(tx=torch.tensor(x, device="cuda"), ty=torch.tensor(y, device="cuda"))
    return data


def smoke(steps, only, cp, torch):
    """deepgrad's side only, ``steps`` steps per config with the kernels on and off: the script's
    code paths without a timing (tests/test_bench_gpu.py runs it, on the CuPy stand-in too)."""
    data = load_data(cp, torch, with_torch=False)
    order = cp.asarray(np.random.default_rng(1).permutation(60000))
    losses = {}
    for key in only:
        kind, batch = CONFIGS[key]
        torch.manual_seed(0)
        init = torch_model(kind, torch).state_dict()
        for name in ("deepgrad", "deepgrad-array"):
            with Run(name, kind, batch, data, torch, init) as r:
                loss = [float(r.step(order[i * batch:(i + 1) * batch]).item()) for i in range(steps)]
            losses[(key, name)] = loss
            print(f"{key} {name}: losses {' '.join(f'{v:.4f}' for v in loss)}", flush=True)
    return losses


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=2, help="timed epochs of each framework, interleaved")
    ap.add_argument("--only", default=",".join(CONFIGS), help="comma-separated subset of " + ",".join(CONFIGS))
    ap.add_argument("--no-array-path", action="store_true", help="skip deepgrad with its kernels off")
    ap.add_argument("--cprofile", action="store_true", help="print where deepgrad's Python time goes (LeNet)")
    ap.add_argument("--smoke", type=int, default=0, metavar="STEPS",
                    help="only run STEPS deepgrad steps per config, kernels on and off (no PyTorch CUDA, no timing)")
    args = ap.parse_args(argv)
    import cupy as cp
    import torch

    if args.smoke:
        return smoke(args.smoke, args.only.split(","), cp, torch)

    dev = torch.cuda.get_device_name()
    print(f"# bench_gpu: {dev}, CuPy {cp.__version__}, PyTorch {torch.__version__}, numpy {np.__version__}, "
          f"Python {sys.version.split()[0]}")
    data = load_data(cp, torch)
    rows = []
    names = ["deepgrad", "PyTorch"] + ([] if args.no_array_path else ["deepgrad-array"])
    for key in args.only.split(","):
        kind, batch = CONFIGS[key]
        torch.manual_seed(0)
        init = {k: v.clone() for k, v in torch_model(kind, torch).state_dict().items()}
        order_np = np.random.default_rng(1).permutation(60000)
        order = {"cupy": cp.asarray(order_np), "torch": torch.tensor(order_np, device="cuda")}
        runs = {n: Run(n, kind, batch, data, torch, init) for n in names}
        times = {n: [] for n in names}
        losses, weights = {}, {}
        for n, r in runs.items():  # warm up: compile kernels, fill the memory pools
            with r:
                o = order["torch" if n == "PyTorch" else "cupy"]
                for i in range(20):
                    r.step(o[i * batch:(i + 1) * batch])
                r.sync()
        for _ in range(args.rounds):
            for n, r in runs.items():
                with r:
                    t, loss = r.epoch(order["torch" if n == "PyTorch" else "cupy"])
                times[n].append(t)
                losses[n] = loss
        for n, r in runs.items():
            weights[n] = r.first_weight()
        mem, launches = {}, {}
        for n, r in runs.items():
            with r:
                o = order["torch" if n == "PyTorch" else "cupy"]
                mem[n] = peak_memory(r, o, cp, torch)
                launches[n] = count_launches(r, o, torch)
        if args.cprofile and "deepgrad" in runs:
            import cProfile
            import pstats

            r = runs["deepgrad"]
            with r:
                pr = cProfile.Profile()
                pr.enable()
                for i in range(200):
                    r.step(order["cupy"][i * batch:(i + 1) * batch])
                r.sync()
                pr.disable()
            print(f"\n## cProfile of 200 deepgrad steps, {key}")
            pstats.Stats(pr).sort_stats("tottime").print_stats(25)
        base = min(times["PyTorch"])
        for n in names:
            best = min(times[n])
            kl, fc = launches[n]
            rows.append([key, f"{kind} b{batch}", n, f"{best:.3f}", " ".join(f"{t:.3f}" for t in times[n]),
                         f"{best / base:.2f}", f"{mem[n] / 2**20:.1f}", f"{kl:.0f}",
                         "-" if fc != fc else f"{fc:.0f}", f"{losses[n]:.4f}"])
        drift = max(float(np.max(np.abs(weights[n] - weights["PyTorch"]))) for n in names if n != "PyTorch")
        print(f"{key}: epochs so far {args.rounds + 2}, max |first-layer weight - PyTorch's| = {drift:.2e}",
              flush=True)
    print()
    print(table(["config", "model", "framework", "best s/epoch", "epochs (s)", "ratio to PyTorch", "peak MiB",
                 "CUDA launches/step", "dg Functions/step", "last loss"], rows))


if __name__ == "__main__":
    main()
