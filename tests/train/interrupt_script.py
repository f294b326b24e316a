"""A training loop under ``deepgrad.train.interrupt``: Ctrl-C saves a checkpoint and stops.

    python tests/train/interrupt_script.py DIR [ignore]

With ``ignore`` the loop never checks the flag (a second Ctrl-C must still stop it).
Prints ``ready``, ``step N`` per step, and ``stopped N`` after a clean stop.
"""
import sys
import time

import numpy as np

import deepgrad as dg
from deepgrad import nn, optim
from deepgrad.train import Checkpointer, interrupt


def main(directory, check=True):
    dg.manual_seed(0)
    model = nn.Linear(4, 2)
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    ckpt = Checkpointer(directory)
    x = dg.tensor(np.ones((8, 4), np.float32))
    step = 0
    with interrupt(on_interrupt=lambda: ckpt.save(step, model=model, optimizer=opt)) as stop:
        print("ready", flush=True)
        while step < 100000:
            opt.zero_grad()
            (model(x) ** 2).mean().backward()
            opt.step()
            step += 1
            print("step", step, flush=True)
            time.sleep(0.005)
            if check and stop:
                break
    print("stopped", step, flush=True)


if __name__ == "__main__":
    main(sys.argv[1], check=len(sys.argv) < 3)
