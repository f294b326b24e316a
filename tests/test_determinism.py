"""Same seed, same data: two training runs give identical weights; another seed does not."""
import numpy as np

import deepgrad as dg
from deepgrad import nn, optim
from deepgrad.train import ResumableSampler

_X = np.random.default_rng(0).standard_normal((48, 5)).astype(np.float32)
_Y = np.random.default_rng(1).integers(0, 4, 48)


def _run(seed):
    dg.manual_seed(seed)
    model = nn.Sequential(nn.Linear(5, 32), nn.ReLU(), nn.Dropout(0.3), nn.Linear(32, 4))
    opt = optim.Adam(model.parameters(), lr=1e-2)
    sched = optim.lr_scheduler.StepLR(opt, step_size=5, gamma=0.5)
    sampler = ResumableSampler(len(_X), 12, seed=seed)
    for _ in range(3):
        for idx in sampler:
            noise = dg.randn(len(idx), 5) * 0.1  # from deepgrad's generator
            opt.zero_grad()
            nn.functional.cross_entropy(model(dg.tensor(_X[idx]) + noise), dg.tensor(_Y[idx])).backward()
            opt.step()
            sched.step()
    return {k: v.numpy().copy() for k, v in model.state_dict().items()}


def test_same_seed_same_weights_bit_for_bit():
    a, b = _run(7), _run(7)
    assert list(a) == list(b)
    for k in a:
        assert a[k].dtype == b[k].dtype == np.float32
        assert a[k].tobytes() == b[k].tobytes(), k


def test_different_seed_differs():
    a, b = _run(7), _run(8)
    assert any(a[k].tobytes() != b[k].tobytes() for k in a)


def test_dataloader_shuffle_is_seeded():
    from deepgrad.data import DataLoader, TensorDataset

    def order(seed):
        dg.manual_seed(seed)
        loader = DataLoader(TensorDataset(np.arange(20)), batch_size=6, shuffle=True)
        return [b[0].numpy().tolist() if isinstance(b, (tuple, list)) else b.numpy().tolist() for b in loader]

    assert order(3) == order(3)
    assert order(3) != order(4)
