"""A small deterministic training run that checkpoints and resumes: the subject of the crash test.

    python tests/train/crash_script.py DIR TOTAL_STEPS

Restores from ``DIR/ckpt`` if a checkpoint exists, trains to ``TOTAL_STEPS`` and writes the
final weights to ``DIR/final.safetensors``.  Everything random is used: deepgrad's generator
(init, dropout), NumPy's global generator (input noise) and Python's ``random`` (loss scale);
batches are shuffled per epoch.  Checkpoints every 10 steps, and every step in [40, 80), so
a kill often lands inside a write.  Progress goes to stdout, one flushed line per event:
``restored PATH STEP SHA256 SKIPPED``, ``step N``, ``save-begin N``, ``save-end N SHA256``, ``done``.
"""
import hashlib
import os
import random
import sys

import numpy as np

import deepgrad as dg
from deepgrad import nn, optim
from deepgrad.train import Checkpointer, ResumableSampler

N_SAMPLES, BATCH, FEATURES, HIDDEN, CLASSES = 96, 16, 32, 256, 8


def is_save_step(step):
    return step % 10 == 0 or 40 <= step < 80


def say(*words):
    sys.stdout.write(" ".join(str(w) for w in words) + "\n")
    sys.stdout.flush()


def main(directory, total):
    dg.manual_seed(0)
    np.random.seed(1)
    random.seed(2)
    data = np.random.default_rng(42)
    x_all = data.standard_normal((N_SAMPLES, FEATURES)).astype(np.float32)
    y_all = data.integers(0, CLASSES, N_SAMPLES)

    model = nn.Sequential(nn.Linear(FEATURES, HIDDEN), nn.ReLU(), nn.Dropout(0.2), nn.Linear(HIDDEN, HIDDEN),
                          nn.ReLU(), nn.Linear(HIDDEN, CLASSES))
    opt = optim.Adam(model.parameters(), lr=1e-3)
    sched = optim.lr_scheduler.StepLR(opt, step_size=25, gamma=0.5)
    sampler = ResumableSampler(N_SAMPLES, BATCH, shuffle=True, seed=3)
    ckpt = Checkpointer(os.path.join(directory, "ckpt"), keep=3)

    values = ckpt.restore(model=model, optimizer=opt, scheduler=sched, sampler=sampler)
    step = 0 if values is None else values["step"]
    path = ckpt.restored_path
    sha = "-" if path is None else hashlib.sha256(open(path, "rb").read()).hexdigest()
    say("restored", path or "-", step, sha, len(ckpt.skipped))

    model.train()
    while step < total:
        for idx in sampler:
            x = dg.tensor(x_all[idx] + np.float32(0.05) * np.random.standard_normal((len(idx), FEATURES))
                          .astype(np.float32))
            y = dg.tensor(y_all[idx])
            scale = np.float32(1.0 + 0.1 * random.random())
            opt.zero_grad()
            loss = nn.functional.cross_entropy(model(x), y) * scale
            loss.backward()
            opt.step()
            sched.step()
            step += 1
            say("step", step)
            if is_save_step(step):
                say("save-begin", step)
                written = ckpt.save(step, model=model, optimizer=opt, scheduler=sched, sampler=sampler,
                                    epoch=sampler.epoch)
                say("save-end", step, hashlib.sha256(open(written, "rb").read()).hexdigest())
            if step >= total:
                break
    dg.save(model.state_dict(), os.path.join(directory, "final.safetensors"))
    say("done")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
