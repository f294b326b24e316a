"""Training runs that survive crashes: checkpoints, exact resume, clean Ctrl-C.

* ``Checkpointer(dir, keep=3)``: ``save(step, model=..., optimizer=..., epoch=...)`` and
  ``restore(model=..., optimizer=...)``; every RNG state is saved and restored.
* ``ResumableSampler`` / ``resumable_batches``: shuffled mini-batches whose position is
  ``(epoch, batch)``, each epoch's order derived from ``(seed, epoch)``.
* ``interrupt``: Ctrl-C finishes the step, saves, and leaves the loop.
"""
from deepgrad.train.checkpoint import Checkpointer
from deepgrad.train.interrupt import interrupt
from deepgrad.train.rng import get_all_rng_states, set_all_rng_states
from deepgrad.train.sampler import ResumableSampler, epoch_permutation, resumable_batches

__all__ = ["Checkpointer", "interrupt", "ResumableSampler", "resumable_batches", "epoch_permutation",
           "get_all_rng_states", "set_all_rng_states"]
