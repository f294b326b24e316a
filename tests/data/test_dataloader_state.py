"""DataLoader.state_dict: an epoch interrupted and resumed gives the batches it would have given."""
import numpy as np

import deepgrad as dg
from deepgrad.data import DataLoader, TensorDataset


def _batches(it, n=None):
    out = []
    for i, (x, y) in enumerate(it):
        if n is not None and i == n:
            break
        out.append((x.numpy().copy(), y.numpy().copy()))
    return out


def test_resume_mid_epoch_matches_uninterrupted():
    x = np.arange(103 * 2, dtype=np.float32).reshape(103, 2)
    y = np.arange(103) % 7
    ds = TensorDataset(x, y)

    dg.manual_seed(5)
    full = DataLoader(ds, batch_size=10, shuffle=True)
    ref = _batches(full) + _batches(full)  # two epochs

    dg.manual_seed(5)
    a = DataLoader(ds, batch_size=10, shuffle=True)
    it = iter(a)
    first = [next(it) for _ in range(4)]
    state = a.state_dict()
    rng = dg.get_rng_state()
    assert state["position"] == 4 and state["active"]

    dg.set_rng_state(rng)
    b = DataLoader(ds, batch_size=10, shuffle=True)
    b.load_state_dict(state)
    rest = _batches(b)  # the rest of the interrupted epoch
    resumed = [(bx.numpy(), by.numpy()) for bx, by in first] + rest + _batches(b)
    assert len(resumed) == len(ref)
    for (rx, ry), (fx, fy) in zip(resumed, ref):
        assert np.array_equal(rx, fx) and np.array_equal(ry, fy)
