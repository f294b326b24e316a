"""Engine speed: deepgrad against PyTorch eager (small ops) and raw NumPy (large ops).

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE .venv/bin/python benchmarks/bench_ops.py

Small ops (64x64 float32) measure the Python overhead of one op: ``Function.__call__``,
``Tensor._make`` and, for forward+backward, ``run_backward``.  Targets: at most 2x PyTorch
eager per small op; large ops (1024x1024 matmul, elementwise on 10M floats) within 1.1x of
the same computation written with raw NumPy.  Inputs require grad, so the forward times
include recording the graph; forward+backward drops the leaves' ``.grad`` each call.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks._common import bench_pair, header, table  # noqa: E402

import deepgrad as dg  # noqa: E402


def _small_cases(torch):
    """(name, deepgrad forward, torch forward) on 64x64 float32 inputs."""
    relu_dg = getattr(dg, "relu", None)
    return [
        ("add", lambda a, b: a + b, lambda a, b: a + b),
        ("mul", lambda a, b: a * b, lambda a, b: a * b),
        ("matmul 64x64", lambda a, b: a @ b, lambda a, b: a @ b),
        ("relu", (lambda a, b: relu_dg(a)) if relu_dg else None, lambda a, b: torch.relu(a)),
        ("sum", lambda a, b: a.sum(), lambda a, b: a.sum()),
    ]


def _fwd_bwd(op, a, b, g):
    def run():
        a.grad = None
        b.grad = None
        y = op(a, b)
        if y.ndim == 0:
            y.backward()
        else:
            y.backward(g)
    return run


def small_ops(torch, min_time, timer):
    rng = np.random.default_rng(0)
    an, bn, gn = (rng.standard_normal((64, 64)).astype(np.float32) for _ in range(3))
    a, b = dg.tensor(an, requires_grad=True), dg.tensor(bn, requires_grad=True)
    g = dg.tensor(gn)
    ta, tb = torch.tensor(an, requires_grad=True), torch.tensor(bn, requires_grad=True)
    tg = torch.tensor(gn)
    rows = []
    for name, fdg, ft in _small_cases(torch):
        if fdg is None:
            rows.append([name, "n/a", "", "", "n/a", "", ""])
            continue
        f_dg, f_t = bench_pair([lambda: fdg(a, b), lambda: ft(ta, tb)], min_time=min_time, timer=timer)
        fb_dg, fb_t = bench_pair([_fwd_bwd(fdg, a, b, g), _fwd_bwd(ft, ta, tb, tg)], min_time=min_time, timer=timer)
        rows.append([name, f"{f_dg * 1e6:.1f}", f"{f_t * 1e6:.1f}", f"{f_dg / f_t:.2f}x",
                     f"{fb_dg * 1e6:.1f}", f"{fb_t * 1e6:.1f}", f"{fb_dg / fb_t:.2f}x"])
    return table(["op (64x64 float32)", "deepgrad fwd us", "torch fwd us", "ratio",
                  "deepgrad fwd+bwd us", "torch fwd+bwd us", "ratio"], rows)


def large_ops(torch, min_time):
    rng = np.random.default_rng(0)
    n = 1024
    An, Bn, Gn = (rng.standard_normal((n, n)).astype(np.float32) for _ in range(3))
    xn, yn = (rng.standard_normal(10_000_000).astype(np.float32) for _ in range(2))
    A, B, G = dg.tensor(An, requires_grad=True), dg.tensor(Bn, requires_grad=True), dg.tensor(Gn)
    X, Y = dg.tensor(xn, requires_grad=True), dg.tensor(yn, requires_grad=True)
    tA, tB, tG = torch.tensor(An, requires_grad=True), torch.tensor(Bn, requires_grad=True), torch.tensor(Gn)
    tX, tY = torch.tensor(xn, requires_grad=True), torch.tensor(yn, requires_grad=True)

    def mm_np_fb():  # what forward+backward of a @ b computes, by hand
        An @ Bn
        Gn @ Bn.T
        An.T @ Gn

    cases = [
        ("matmul 1024x1024 fwd", lambda: A @ B, lambda: An @ Bn, lambda: tA @ tB),
        ("matmul 1024x1024 fwd+bwd", _fwd_bwd(lambda a, b: a @ b, A, B, G), mm_np_fb,
         _fwd_bwd(lambda a, b: a @ b, tA, tB, tG)),
        ("add 10M float32 fwd", lambda: X + Y, lambda: xn + yn, lambda: tX + tY),
        ("mul 10M float32 fwd", lambda: X * Y, lambda: xn * yn, lambda: tX * tY),
    ]
    # torch runs after all deepgrad/numpy timings: its OpenMP threads keep spinning after each
    # op and would slow the OpenBLAS threads of whatever runs next.
    times = [bench_pair([fdg, fnp], min_time=min_time, repeats=3) for _, fdg, fnp, _ in cases]
    t_torch = [bench_pair([ft], min_time=min_time, repeats=3)[0] for *_, ft in cases]
    rows = []
    for (name, *_), (t_dg, t_np), t_t in zip(cases, times, t_torch):
        rows.append([name, f"{t_dg * 1e3:.2f}", f"{t_np * 1e3:.2f}", f"{t_dg / t_np:.2f}x", f"{t_t * 1e3:.2f}"])
    return table(["large op", "deepgrad ms", "numpy ms", "deepgrad/numpy", "torch ms"], rows)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--min-time", type=float, default=0.05, help="seconds per timing loop (default 0.05)")
    p.add_argument("--small-only", action="store_true", help="skip the large ops")
    p.add_argument("--wall", action="store_true",
                   help="time small ops by wall clock (default: CPU time of this process, robust to other load)")
    args = p.parse_args(argv)
    import torch

    print(header("bench_ops: deepgrad engine overhead"))
    print()
    clock = "wall time" if args.wall else "CPU time (time.process_time)"
    print(f"Small ops, microseconds of {clock} per call (fastest of 3 interleaved rounds, 1 thread for numpy "
          "and torch); target ratio <= 2x torch eager")
    print()
    # One thread for both at this size: threads only add synchronisation to a 64x64 op, and on a
    # loaded machine torch's OpenMP barrier turns a 10 us matmul into milliseconds.
    from threadpoolctl import threadpool_limits

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    with threadpool_limits(limits=1):
        print(small_ops(torch, args.min_time, time.perf_counter if args.wall else time.process_time))
    torch.set_num_threads(threads)
    if not args.small_only:
        print()
        print("Large ops, milliseconds of wall time per call (fastest of 3 interleaved rounds, default threads); "
          "target deepgrad/numpy <= 1.1x")
        print()
        print(large_ops(torch, max(args.min_time, 0.2)))


if __name__ == "__main__":
    main()
