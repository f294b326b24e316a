"""Optimizers and learning-rate schedules, with PyTorch's names, defaults and update formulas.

    opt = deepgrad.optim.Adam(model.parameters(), lr=1e-3)
    sched = deepgrad.optim.lr_scheduler.StepLR(opt, step_size=10)
    for x, y in batches:
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()
    sched.step()

Every optimizer updates ``p.data`` in place and skips parameters whose ``grad`` is None.
"""
from deepgrad.optim import lr_scheduler
from deepgrad.optim.adadelta import Adadelta
from deepgrad.optim.adagrad import Adagrad
from deepgrad.optim.adam import Adam
from deepgrad.optim.adamax import Adamax
from deepgrad.optim.adamw import AdamW
from deepgrad.optim.lbfgs import LBFGS
from deepgrad.optim.nadam import NAdam
from deepgrad.optim.optimizer import Optimizer
from deepgrad.optim.radam import RAdam
from deepgrad.optim.rmsprop import RMSprop
from deepgrad.optim.rprop import Rprop
from deepgrad.optim.sgd import SGD

__all__ = ["Optimizer", "SGD", "Adagrad", "RMSprop", "Adam", "AdamW", "Adadelta", "Adamax", "NAdam",
           "RAdam", "Rprop", "LBFGS", "lr_scheduler"]
