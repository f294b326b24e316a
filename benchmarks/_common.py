"""Shared helpers for the benchmarks: what machine and BLAS ran them, timing, and tables.

Every benchmark prints ``header()`` first, so that a table is never read without knowing
which BLAS kernel and how many threads produced it (``OPENBLAS_CORETYPE`` can force a slow
kernel; run benchmarks with it unset: ``env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE``).
"""
from __future__ import annotations

import os
import platform
import time

import numpy as np


def cpu_model() -> str:
    """The CPU's model name (from /proc/cpuinfo on Linux, else platform)."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def blas_info() -> list[dict]:
    """threadpoolctl's report of the BLAS/OpenMP libraries loaded in this process."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return []
    return threadpool_info()


def header(title: str) -> str:
    """A few lines naming the benchmark, the machine, the library versions and the BLAS in use."""
    lines = [f"# {title}", ""]
    lines.append(f"- machine: {cpu_model()}, {os.cpu_count()} logical cores, {platform.system()} "
                 f"{platform.release()}, Python {platform.python_version()}")
    versions = [f"numpy {np.__version__}"]
    try:
        import torch

        versions.append(f"torch {torch.__version__} ({torch.get_num_threads()} threads)")
    except ImportError:
        pass
    lines.append("- " + ", ".join(versions))
    for lib in blas_info():
        lines.append(f"- {lib.get('internal_api')}: {lib.get('filepath', '?').rsplit('/', 1)[-1]} "
                     f"version {lib.get('version')}, {lib.get('num_threads')} threads, "
                     f"kernel {lib.get('architecture', '?')}, threading {lib.get('threading_layer', '?')}")
    for var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        if os.environ.get(var):
            lines.append(f"- WARNING: {var}={os.environ[var]} is set (it can change the BLAS kernel or threads)")
    return "\n".join(lines)


def bench(fn, min_time=0.05, repeats=5, warmup=2, timer=time.perf_counter):
    """Seconds per call of ``fn()``: the fastest of ``repeats`` timed loops of about ``min_time`` each.

    The minimum, as timeit advises: on a shared machine other load only ever adds time.
    ``timer=time.process_time`` counts this process's CPU time instead of wall time: for
    single-threaded work on a loaded machine it leaves out the time spent descheduled."""
    for _ in range(warmup):
        fn()
    n = 1
    while True:  # size the loop so that one timing lasts about min_time
        t0 = timer()
        for _ in range(n):
            fn()
        dt = timer() - t0
        if dt >= min_time / 4 or n >= 1 << 20:
            break
        n *= 4
    n = max(1, int(n * min_time / max(dt, 1e-9)))
    times = []
    for _ in range(repeats):
        t0 = timer()
        for _ in range(n):
            fn()
        times.append((timer() - t0) / n)
    return min(times)


def bench_pair(fns, min_time=0.05, repeats=5, rounds=3, timer=time.perf_counter):
    """Time several callables interleaved (``rounds`` times each) and return the best time of each.

    Interleaving keeps a burst of load from another process from hitting only one of them."""
    best = [float("inf")] * len(fns)
    for _ in range(rounds):
        for i, fn in enumerate(fns):
            best[i] = min(best[i], bench(fn, min_time=min_time, repeats=repeats, timer=timer))
    return best


def table(headers, rows) -> str:
    """A Markdown table (numbers already formatted as strings)."""
    cells = [list(map(str, headers))] + [[str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    fmt = [c.ljust(w) for c, w in zip(cells[0], widths)]
    out = ["| " + " | ".join(fmt) + " |", "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    for r in cells[1:]:
        out.append("| " + " | ".join(c.rjust(w) for c, w in zip(r, widths)) + " |")
    return "\n".join(out)
