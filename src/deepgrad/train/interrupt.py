"""Ctrl-C during training: finish the current step, save a checkpoint, stop cleanly.

    with deepgrad.train.interrupt(on_interrupt=lambda: ckpt.save(step, model=model, optimizer=opt)) as stop:
        while step < total:
            train_step()
            step += 1
            if stop:          # Ctrl-C (SIGINT) or SIGTERM arrived during the step
                break         # on_interrupt runs once when the block ends

The first signal only sets a flag, so the step in progress completes and the saved state is
consistent.  A second Ctrl-C raises KeyboardInterrupt at once (for a loop that never checks).
"""
from __future__ import annotations

import signal
import threading


class interrupt:  # noqa: N801 - used like a function: `with interrupt(...) as stop`
    """Context manager turning SIGINT/SIGTERM into a flag; ``on_interrupt()`` runs at exit if one came.

    ``bool(stop)`` / ``stop.requested``: a signal arrived.  ``stop.signal``: which one.
    Outside the main thread no handler can be installed; then only a KeyboardInterrupt
    raised in the block is caught (and on_interrupt is not called, the state may be torn).
    """

    def __init__(self, on_interrupt=None, signals=(signal.SIGINT, signal.SIGTERM)):
        self.on_interrupt = on_interrupt
        self.signals = tuple(signals)
        self.requested = False
        self.signal = None
        self.saved = False
        self._old = {}

    def __bool__(self):
        return self.requested

    def _handler(self, signum, frame):
        if self.requested and signum == signal.SIGINT:  # second Ctrl-C: stop now
            raise KeyboardInterrupt
        self.requested = True
        self.signal = signum

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            for s in self.signals:
                self._old[s] = signal.signal(s, self._handler)
        return self

    def __exit__(self, exc_type, exc, tb):
        for s, old in self._old.items():
            signal.signal(s, old)
        self._old = {}
        if exc_type is None and self.requested and self.on_interrupt is not None:
            self.on_interrupt()
            self.saved = True
        return False


__all__ = ["interrupt"]
