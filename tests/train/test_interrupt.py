"""Ctrl-C (SIGINT) during training: the step finishes, a checkpoint is saved, the loop stops."""
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np

import deepgrad as dg
from deepgrad import nn
from deepgrad.train import Checkpointer, interrupt

SCRIPT = Path(__file__).with_name("interrupt_script.py")


def _wait_for(proc, prefix):
    while True:
        line = proc.stdout.readline()
        assert line, f"ended before {prefix!r}: {proc.stderr.read()[-2000:]}"
        if line.startswith(prefix):
            return line


def test_sigint_saves_and_stops(tmp_path):
    proc = subprocess.Popen([sys.executable, str(SCRIPT), str(tmp_path)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    _wait_for(proc, "step 5")
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert "KeyboardInterrupt" not in err
    stopped = int(out.splitlines()[-1].split()[1])
    assert stopped >= 5
    model = nn.Linear(4, 2)
    assert Checkpointer(tmp_path).restore(model=model) == {"step": stopped}
    assert [s for s, _ in Checkpointer(tmp_path).checkpoints()] == [stopped]


def test_second_sigint_stops_a_loop_that_never_checks(tmp_path):
    proc = subprocess.Popen([sys.executable, str(SCRIPT), str(tmp_path), "ignore"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    _wait_for(proc, "step 3")
    proc.send_signal(signal.SIGINT)
    _wait_for(proc, "step")  # still running after the first one
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode != 0 and "KeyboardInterrupt" in err
    assert "stopped" not in out
    assert Checkpointer(tmp_path).latest() is None  # a torn step is never saved


def test_in_process_flag_and_handlers_restored():
    calls = []
    before = signal.getsignal(signal.SIGINT)
    with interrupt(on_interrupt=lambda: calls.append("saved")) as stop:
        assert not stop
        os.kill(os.getpid(), signal.SIGINT)
        for _ in range(1000):  # the handler runs at the next bytecode boundary
            if stop:
                break
        assert stop and stop.signal == signal.SIGINT
    assert calls == ["saved"] and stop.saved
    assert signal.getsignal(signal.SIGINT) is before


def test_no_signal_no_save_and_sigterm():
    calls = []
    with interrupt(on_interrupt=lambda: calls.append(1)):
        dg.tensor(np.ones(2)).sum()
    assert calls == []
    with interrupt(on_interrupt=lambda: calls.append(2)) as stop:
        os.kill(os.getpid(), signal.SIGTERM)
        for _ in range(1000):
            if stop:
                break
    assert calls == [2] and stop.signal == signal.SIGTERM
