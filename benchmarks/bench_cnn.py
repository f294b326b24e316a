"""LeNet-5 (conv5x5(6, pad 2)-ReLU-maxpool2-conv5x5(16)-ReLU-maxpool2-120-84-10, Adam 1e-3, batch 64):
one epoch of real MNIST in deepgrad and in PyTorch CPU, in the same run, from the same initial weights
over the same batches.  Prints seconds per epoch, the ratio deepgrad / PyTorch and the peak memory of
each (growth of the process's maximum resident set over the epoch, each framework in its own fresh
subprocess; runs alternate deepgrad, torch, deepgrad, ... and the best of ``--rounds`` counts).

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE .venv/bin/python benchmarks/bench_cnn.py [--rounds 2]
    .venv/bin/python benchmarks/bench_cnn.py --profile     # cProfile one deepgrad epoch, grouped by kind

The workers are started with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE removed from their environment.

Measured (2026-11-23, two cores of an otherwise idle Intel Xeon pinned with ``taskset -c 0,1``,
OPENBLAS_NUM_THREADS=OMP_NUM_THREADS=2, numpy 2.5.2 + OpenBLAS 0.3.34 SkylakeX, torch 2.11 CPU):
deepgrad 7.90 s/epoch, PyTorch 6.72 s/epoch, ratio 1.18; peak RSS growth 7 MiB vs 34 MiB; mean
training losses 0.2746 vs 0.2749.  On the shared 2-core development machine the load of other
processes (load average 6-10) made wall times meaningless (PyTorch's OpenMP threads slowed 100x).
What bounds deepgrad (cProfile, one epoch): the matmuls (about 35%), the im2col copies (15%),
col2im (5-10%), pooling (8%), ReLU/Adam/loss (12%) and Python overhead of the engine (12%).
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

SHAPES = {  # name: shape, in PyTorch's layout (deepgrad uses the same)
    "c1.weight": (6, 1, 5, 5), "c1.bias": (6,), "c2.weight": (16, 6, 5, 5), "c2.bias": (16,),
    "f1.weight": (120, 400), "f1.bias": (120,), "f2.weight": (84, 120), "f2.bias": (84,),
    "f3.weight": (10, 84), "f3.bias": (10,),
}


def initial_weights(seed):
    """PyTorch's default initialization, drawn once with numpy: U(-1/sqrt(fan_in), 1/sqrt(fan_in))."""
    rng = np.random.default_rng(seed)
    out = {}
    for name, shape in SHAPES.items():
        fan_in = int(np.prod(SHAPES[name.replace("bias", "weight")][1:]))
        bound = 1 / np.sqrt(fan_in)
        out[name] = rng.uniform(-bound, bound, shape).astype(np.float32)
    return out


def load_data():
    from deepgrad.data.datasets import load_mnist

    x, y, _, _ = load_mnist()
    return (x.astype(np.float32) / np.float32(255.0)).reshape(-1, 1, 28, 28), y.astype(np.int64)


def _status_mb(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    raise KeyError(field)


class PeakMemory:
    """Growth of the resident set over a block: peak during it minus the size at its start (MiB).

    On Linux the kernel's high-water mark is reset first (``/proc/self/clear_refs``), so that the
    data loading before the block does not hide its peak; elsewhere ru_maxrss is used as is."""

    def __enter__(self):
        try:
            self.base = _status_mb("VmRSS")
            with open("/proc/self/clear_refs", "w") as f:
                f.write("5")
            self.proc = True
        except OSError:
            self.base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            self.proc = False
        return self

    def __exit__(self, *exc):
        peak = _status_mb("VmHWM") if self.proc else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        self.mb = peak - self.base
        return False


# -- one epoch in each framework (run inside a worker subprocess) -------------------------------------
def deepgrad_epoch(x, y, order, weights, batch, profile=None):
    import deepgrad as dg
    import deepgrad.nn.functional as F
    from deepgrad import nn

    model = nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))
    for layer, prefix in zip([model[0], model[3], model[7], model[9], model[11]], ["c1", "c2", "f1", "f2", "f3"]):
        layer.weight.data[...] = weights[prefix + ".weight"]
        layer.bias.data[...] = weights[prefix + ".bias"]
    opt = dg.optim.Adam(model.parameters(), lr=1e-3)

    def run():
        total = 0.0
        for i in range(0, len(order), batch):
            idx = order[i:i + batch]
            loss = F.cross_entropy(model(dg.Tensor(x[idx])), dg.Tensor(y[idx]))
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        return total / len(order)

    with PeakMemory() as mem:
        t0 = time.perf_counter()
        if profile:
            import cProfile

            prof = cProfile.Profile()
            mean_loss = prof.runcall(run)
            prof.dump_stats(profile)
        else:
            mean_loss = run()
        seconds = time.perf_counter() - t0
    return seconds, mean_loss, mem.mb, model[0].weight.numpy().copy()


def torch_epoch(x, y, order, weights, batch):
    import torch
    from torch import nn

    model = nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))
    with torch.no_grad():
        for layer, prefix in zip([model[0], model[3], model[7], model[9], model[11]], ["c1", "c2", "f1", "f2", "f3"]):
            layer.weight.copy_(torch.from_numpy(weights[prefix + ".weight"]))
            layer.bias.copy_(torch.from_numpy(weights[prefix + ".bias"]))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    with PeakMemory() as mem:
        t0 = time.perf_counter()
        total = 0.0
        for i in range(0, len(order), batch):
            idx = torch.from_numpy(order[i:i + batch])
            loss = loss_fn(model(xt[idx]), yt[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        seconds = time.perf_counter() - t0
    return seconds, total / len(order), mem.mb, model[0].weight.detach().numpy().copy()


def worker(framework, setup, profile=None, chunk_bytes=None):
    """Run one epoch of ``framework`` and print one JSON line with time, loss and memory."""
    if chunk_bytes is not None:
        import deepgrad.ops.im2col as im2col

        im2col.CHUNK_BYTES = chunk_bytes
    with np.load(setup, allow_pickle=False) as f:
        weights = {k: f[k] for k in SHAPES}
        order, batch = f["order"], int(f["batch"])
    x, y = load_data()
    if framework == "deepgrad":
        seconds, loss, mem, w = deepgrad_epoch(x, y, order, weights, batch, profile)
    else:
        seconds, loss, mem, w = torch_epoch(x, y, order, weights, batch)
    print(json.dumps({"framework": framework, "seconds": seconds, "loss": loss, "peak_mb": mem,
                      "w_checksum": float(np.abs(w).sum()), "batches": -(-len(order) // batch)}))


def _env():
    env = dict(os.environ)
    for var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
        env.pop(var, None)
    return env


def _run_worker(framework, setup, profile=None, chunk_bytes=None):
    cmd = [sys.executable, os.path.abspath(__file__), "--worker", framework, "--setup", setup]
    if profile:
        cmd += ["--profile-out", profile]
    if chunk_bytes is not None:
        cmd += ["--chunk-bytes", str(chunk_bytes)]
    out = subprocess.run(cmd, env=_env(), capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"{framework} worker failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


KINDS = [  # (label, substrings of "file:function" that belong to it), first match wins
    ("matmul (conv forward / weight grad / input grad, linear)", ["conv.py:_grouped_mm", "conv.py:_weight_mm",
                                                                  "linear.py:"]),
    ("im2col copies", ["im2col.py:im2col", "ascontiguousarray", "im2col.py:padded", "as_strided"]),
    ("col2im", ["im2col.py:col2im"]),
    ("rest of the conv ops (bias, output copies, zero buffers)", ["conv.py:"]),
    ("pooling", ["pool.py:", "im2col.py:pool_windows"]),
    ("activations, loss, optimizer", ["activation.py", "loss.py", "adam.py", "optimizer.py", "softmax.py"]),
    ("other ops (add, sum, reshape)", ["arith.py", "reduction.py", "shape.py", "ufunc"]),
]


def summarize_profile(path):
    """Group a cProfile dump's own time by kind; what is left is Python overhead (engine, modules)."""
    import pstats

    stats = pstats.Stats(path)
    total = stats.total_tt
    groups = {label: 0.0 for label, _ in KINDS}
    rest = 0.0
    rows = []
    for (file, line, func), (_n, _m, tt, _c, _d) in stats.stats.items():
        key = f"{os.path.basename(file)}:{func}"
        rows.append((tt, f"{key} (line {line})"))
        for label, keys in KINDS:
            if any(k in key for k in keys):
                groups[label] += tt
                break
        else:
            rest += tt
    lines = ["| where the time goes (cProfile own time) | s | share |", "|---|---:|---:|"]
    for label, t in list(groups.items()) + [("everything else (engine, modules, numpy glue: Python overhead)", rest)]:
        lines.append(f"| {label} | {t:.2f} | {t / total:5.1%} |")
    lines.append(f"| total | {total:.2f} | 100% |")
    lines.append("")
    lines.append("top 25 functions by own time:")
    for tt, key in sorted(rows, reverse=True)[:25]:
        lines.append(f"  {tt:7.3f} s  {key}")
    return "\n".join(lines)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=1, help="alternating runs of each framework (best counts)")
    p.add_argument("--batches", type=int, default=None, help="only this many batches (quick check)")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--profile", action="store_true", help="cProfile one deepgrad epoch and summarize it")
    p.add_argument("--worker", choices=["deepgrad", "torch"], help=argparse.SUPPRESS)
    p.add_argument("--setup", help=argparse.SUPPRESS)
    p.add_argument("--profile-out", help=argparse.SUPPRESS)
    p.add_argument("--chunk-bytes", type=int, default=None, help=argparse.SUPPRESS)
    p.add_argument("--sweep-chunks", default=None,
                   help="comma-separated im2col block sizes in bytes (0 = one block) to time deepgrad with")
    args = p.parse_args(argv)
    if args.worker:
        worker(args.worker, args.setup, args.profile_out, args.chunk_bytes)
        return None

    from benchmarks._common import header, table

    print(header("bench_cnn: LeNet-5 on MNIST, one epoch, deepgrad vs PyTorch CPU"))
    rng = np.random.default_rng(args.seed)
    order = rng.permutation(60000)
    if args.batches:
        order = order[:args.batches * args.batch_size]
    with tempfile.TemporaryDirectory() as tmp:
        setup = os.path.join(tmp, "setup.npz")
        np.savez(setup, order=order, batch=np.int64(args.batch_size), **initial_weights(args.seed))
        if args.profile:
            prof = os.path.join(tmp, "deepgrad.prof")
            res = _run_worker("deepgrad", setup, prof)
            print(f"\ndeepgrad epoch under cProfile: {res['seconds']:.2f} s ({res['batches']} batches)\n")
            print(summarize_profile(prof))
            return res
        best = {}
        runs = []
        chunks = [None] if not args.sweep_chunks else [int(v) for v in args.sweep_chunks.split(",")]
        for _ in range(args.rounds):
            for fw, chunk in [("deepgrad", c) for c in chunks] + [("torch", None)]:
                res = _run_worker(fw, setup, chunk_bytes=chunk)
                res["chunk"] = chunk
                runs.append(res)
                key = fw if chunk is None else f"{fw} chunk={chunk}"
                if key not in best or res["seconds"] < best[key]["seconds"]:
                    best[key] = res
        if args.sweep_chunks:
            print("\nim2col block size sweep (best s/epoch): " + ", ".join(
                f"{k}: {r['seconds'] * 60000 / len(order):.2f}" for k, r in best.items()))
            best["deepgrad"] = min((r for k, r in best.items() if k.startswith("deepgrad")),
                                   key=lambda r: r["seconds"])
    scale = 60000 / len(order)
    d, t = best["deepgrad"], best["torch"]
    rows = [[fw, f"{r['seconds'] * scale:.2f}", f"{r['loss']:.4f}", f"{r['peak_mb']:.0f}"] for fw, r in
            (("deepgrad", d), ("PyTorch", t))]
    print()
    print(f"{len(order)} images in {d['batches']} batches of {args.batch_size}, best of {args.rounds} "
          f"round(s); all runs (s): " + ", ".join(f"{r['framework']} {r['seconds']:.2f}" for r in runs))
    if args.sweep_chunks:
        print(f"deepgrad row: the best block size ({d['chunk']} bytes)")
    print(table(["framework", "s/epoch" + ("" if scale == 1 else " (scaled)"), "mean train loss",
                 "peak RSS growth (MiB)"], rows))
    print(f"\nratio deepgrad / PyTorch: {d['seconds'] / t['seconds']:.2f}   (target <= 1.3)")
    print(f"first-layer weight |w| sums after the epoch: deepgrad {d['w_checksum']:.4f}, torch {t['w_checksum']:.4f}")
    return best


if __name__ == "__main__":
    main()
