"""Crash test: SIGKILL a training run at random moments, resume each time, end bit-identical.

The subject is ``crash_script.py`` (Adam, StepLR, dropout, shuffled batches, noise from NumPy's
global generator, a loss scale from Python's ``random``), checkpointing every 10 steps and
every step in [40, 80).  Kill moments come from a seeded schedule: a third right after a
step, a third inside a checkpoint save (a random delay after ``save-begin``), a third inside
the file write itself (as soon as the temporary file appears).  After every kill the run
restarts; it must restore a checkpoint whose bytes equal the uninterrupted run's checkpoint
for that step (so nothing damaged or half-written was ever read; deepgrad files are
byte-reproducible), and its final weights must equal the uninterrupted run's bit for bit.
20 kills in CI (~7 s), 60 with ``-m slow``.
"""
import hashlib
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from deepgrad.io import load

SCRIPT = Path(__file__).with_name("crash_script.py")
TOTAL = 120


def _start(directory):
    env = dict(os.environ, PYTHONHASHSEED="0", OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    return subprocess.Popen([sys.executable, str(SCRIPT), str(directory), str(TOTAL)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, bufsize=1, env=env)


def _parse(lines):
    restored = saves = None
    saves = {}
    for line in lines:
        words = line.split()
        if words and words[0] == "restored":
            restored = (words[1], int(words[2]), words[3], int(words[4]))
        elif words and words[0] == "save-end":
            saves[int(words[1])] = words[2]
    return restored, saves


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The uninterrupted run: its checkpoint hashes by step and its final weights."""
    d = tmp_path_factory.mktemp("reference")
    proc = _start(d)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    lines = out.splitlines()
    assert lines[-1] == "done"
    restored, saves = _parse(lines)
    assert restored[1] == 0  # a fresh start
    return saves, load(d / "final.safetensors", as_tensors=False)


def _campaign(tmp_path, reference, kills, seed):
    ref_saves, ref_final = reference
    rng = random.Random(seed)
    save_steps = sorted(ref_saves)
    targets = sorted(rng.sample(range(2, TOTAL - 20), kills))  # before the last checkpoints
    modes = [rng.choice(["step", "save", "write"]) for _ in targets]
    stats = {"kills": 0, "in_step": 0, "in_save": 0, "in_write": 0, "resumes": 0, "fresh_starts": 0}
    restores = []
    for target, mode in zip(targets, modes):
        on_disk = [int(p.name[5:-12]) for p in (tmp_path / "ckpt").glob("ckpt-*.safetensors")]
        target = max(target, max(on_disk, default=0) + 1)  # the run must get past its restored step
        if mode != "step":
            target = next((s for s in save_steps if s >= target), None) or target
        marker = f"save-begin {target}" if mode != "step" and target in ref_saves else f"step {target}"
        proc = _start(tmp_path)
        seen = []
        while True:
            line = proc.stdout.readline()
            assert line, f"run ended before {marker!r}: {proc.stderr.read()[-2000:]}"
            seen.append(line.strip())
            if seen[-1] == marker:
                break
        delay = rng.uniform(0, 0.03) if marker.startswith("save") else rng.uniform(0, 0.004)
        if mode == "write":  # wait until the temporary file exists: the kill lands inside the write
            deadline = time.monotonic() + 1.0
            while time.monotonic() < deadline and not any(n.endswith(".tmp") for n in os.listdir(tmp_path / "ckpt")):
                pass
            delay = rng.uniform(0, 0.001)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        rest, _ = proc.communicate(timeout=60)
        if proc.returncode == 0:  # a target near the end: the run finished before the kill landed
            stats["finished_before_kill"] = stats.get("finished_before_kill", 0) + 1
            break
        assert proc.returncode == -signal.SIGKILL, f"exited {proc.returncode} before the kill"
        seen += rest.splitlines()
        stats["kills"] += 1
        restores.append(_parse(seen)[0])
        tmp_left = [p.name for p in (tmp_path / "ckpt").iterdir() if p.name.endswith(".tmp")]
        if seen[-1].startswith("save-begin"):
            stats["in_save"] += 1
            stats["in_write"] += bool(tmp_left)
        else:
            stats["in_step"] += 1
    proc = _start(tmp_path)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    assert out.splitlines()[-1] == "done"
    restores.append(_parse(out.splitlines())[0])

    for path, step, sha, skipped in restores[1:]:
        assert skipped == 0, f"a resume met a damaged checkpoint before {path}"
        if step == 0:
            stats["fresh_starts"] += 1
            continue
        stats["resumes"] += 1
        assert sha == ref_saves[step], f"restored {path} (step {step}) differs from the uninterrupted run's"
    final = load(tmp_path / "final.safetensors", as_tensors=False)
    assert list(final) == list(ref_final)
    for k in final:
        assert final[k].dtype == ref_final[k].dtype
        assert final[k].tobytes() == ref_final[k].tobytes(), f"{k} differs after resuming"
    assert hashlib.sha256(b"".join(v.tobytes() for v in final.values())).digest()  # sanity
    return stats


def test_crash_resume_20_kills(tmp_path, reference):
    stats = _campaign(tmp_path, reference, kills=20, seed=2026)
    print(stats)
    assert stats["kills"] == 20 and stats["resumes"] + stats["fresh_starts"] == 20
    assert stats["in_save"] >= 3 and stats["in_write"] >= 1, stats  # some kills did land inside writes


@pytest.mark.slow
def test_crash_resume_60_kills(tmp_path, reference):
    stats = _campaign(tmp_path, reference, kills=60, seed=7)
    print(stats)
    assert stats["kills"] >= 50 and stats["resumes"] + stats["fresh_starts"] == stats["kills"]
    assert stats["in_write"] >= 5, stats
