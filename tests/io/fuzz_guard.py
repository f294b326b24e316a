"""Guards for fuzzing loaders: no code runs, no hang, no allocation beyond what the file warrants.

``Guard.load(fn, warranted_bytes)`` calls ``fn()`` and classifies the outcome:

* a Python audit hook records, while a load runs, any event that means code or a process was
  started (``os.system``, ``subprocess.Popen``, ``exec``, ``compile``, ``pickle.find_class``,
  ``marshal.loads``, ``ctypes.dlopen``...) or a file was opened for writing;
* ``tracemalloc`` measures the peak of memory allocated during the load (NumPy reports its
  array buffers to tracemalloc), which must stay under ``64 * warranted_bytes + slack``;
* an interval timer turns a load running longer than ``timeout`` seconds into a failure;
* the address space is capped a few GiB above its current size, so a loader that would
  allocate a huge declared shape gets MemoryError (recorded) instead of swapping the machine.

Problems are collected (one example each) so that one run reports every kind of failure.
"""
from __future__ import annotations

import contextlib
import os
import resource
import signal
import sys
import time
import tracemalloc

from deepgrad.io import FormatError

_BAD_EVENTS = ("os.system", "subprocess.Popen", "os.exec", "os.posix_spawn", "os.spawn", "os.fork", "os.startfile",
               "exec", "compile", "pickle.find_class", "marshal.loads", "marshal.load", "ctypes.dlopen",
               "ctypes.dlsym", "builtins.input", "socket.connect", "urllib.Request", "shutil.rmtree", "os.remove",
               "os.unlink", "os.rename")
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
_state = {"armed": False, "events": []}


def _audit(event, args):
    if not _state["armed"]:
        return
    if event == "compile" and len(args) == 2 and args[1] == "<unknown>" and isinstance(args[0], (bytes, str)) \
            and args[0][:8] in (b"{'descr'", "{'descr'"):
        return  # numpy reading an .npy header with ast.literal_eval: literals only, no code
    if event.startswith(_BAD_EVENTS):
        _state["events"].append((event, repr(args)[:200]))
    elif event == "open" and len(args) >= 3:
        path, mode, flags = args[0], args[1], args[2]
        writes = (isinstance(mode, str) and any(c in mode for c in "wax+")) or \
                 (mode is None and isinstance(flags, int) and flags & _WRITE_FLAGS)
        if writes:
            _state["events"].append(("open for writing", repr(path)[:200]))


sys.addaudithook(_audit)  # inert unless a Guard is loading


class _Hang(BaseException):
    """Raised by the timer inside a load that runs too long."""


def _on_alarm(signum, frame):
    raise _Hang


class Guard:
    """Run loads under the checks above; ``problems`` maps a kind of failure to one example."""

    def __init__(self, expected_errors=(FormatError,), timeout=20.0, ratio=64, slack=4 * 1024 * 1024,
                 headroom=3 * 1024**3):
        self.expected = tuple(expected_errors)
        self.timeout = timeout
        self.ratio = ratio
        self.slack = slack
        self.headroom = headroom
        self.problems = {}
        self.counts = {"cases": 0, "refused": 0, "loaded": 0}
        self.max_peak_ratio = 0.0
        self.max_seconds = 0.0

    def problem(self, kind, example):
        self.problems.setdefault(kind, example)

    @contextlib.contextmanager
    def active(self):
        """The address-space cap and the timer handler for the duration of a test."""
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        with open("/proc/self/status") as f:
            vm = next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmSize:"))
        cap = vm + self.headroom
        if hard != resource.RLIM_INFINITY:
            cap = min(cap, hard)
        resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
        old = signal.signal(signal.SIGALRM, _on_alarm)
        try:
            yield self
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, old)
            resource.setrlimit(resource.RLIMIT_AS, (soft, hard))

    def load(self, fn, warranted, what=""):
        """Call ``fn``; return ``(True, result)`` or ``(False, expected error)``; record problems."""
        self.counts["cases"] += 1
        tracing = tracemalloc.is_tracing()  # traced only during the load: tracing hypothesis too is slow
        if not tracing:
            tracemalloc.start()
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        _state["events"] = []
        t0 = time.perf_counter()
        outcome = None
        signal.setitimer(signal.ITIMER_REAL, self.timeout)
        _state["armed"] = True
        try:
            outcome = (True, fn())
        except self.expected as e:
            outcome = (False, e)
        except _Hang:
            self.problem("hang", what)
        except MemoryError:
            self.problem("MemoryError escaped (tried to allocate more than the file warrants)", what)
        except Exception as e:  # noqa: BLE001 - any other exception escaping a loader is the finding
            self.problem(f"{type(e).__name__} escaped", f"{what}: {str(e)[:300]}")
        finally:
            _state["armed"] = False
            signal.setitimer(signal.ITIMER_REAL, 0)
        seconds = time.perf_counter() - t0
        peak = tracemalloc.get_traced_memory()[1] - base
        if not tracing:
            tracemalloc.stop()
        self.max_seconds = max(self.max_seconds, seconds)
        self.max_peak_ratio = max(self.max_peak_ratio, peak / max(warranted, 1))
        if peak > self.ratio * warranted + self.slack:
            self.problem("allocated more than the file warrants",
                         f"{what}: peak {peak} bytes for {warranted} warranted bytes")
        for event, args in _state["events"]:
            self.problem(f"audit event {event} during a load", f"{what}: {args}")
        if outcome is not None:
            self.counts["loaded" if outcome[0] else "refused"] += 1
        return outcome

    def report(self):
        return (f"{self.counts}, slowest load {self.max_seconds * 1e3:.1f} ms, "
                f"largest peak/warranted {self.max_peak_ratio:.1f}")

    def check(self, known_gaps=()):
        """Fail on any problem; problems whose kind contains one of ``known_gaps`` only xfail the test."""
        import pytest

        known = {k: v for k, v in self.problems.items() if any(g in k for g in known_gaps)}
        other = {k: v for k, v in self.problems.items() if k not in known}
        assert not other, "loader problems:\n" + "\n".join(f"- {k}: {v}" for k, v in other.items())
        if known:
            lines = "\n".join(f"- {k}: {v[:300]}" for k, v in known.items())
            pytest.xfail("known gaps (see the test module):\n" + lines)
