"""Checkpointer: what is saved, pruning, damaged files, RNG states, exact in-process resume."""
import os
import random

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import nn, optim
from deepgrad.io import FormatError
from deepgrad.train import Checkpointer, ResumableSampler, get_all_rng_states, resumable_batches


def _setup(seed=0):
    dg.manual_seed(seed)
    model = nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Dropout(0.25), nn.Linear(16, 3))
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9, nesterov=True)
    sched = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=7)
    sampler = ResumableSampler(40, 8, seed=5)
    return model, opt, sched, sampler


_X = np.random.default_rng(0).standard_normal((40, 6)).astype(np.float32)
_Y = np.random.default_rng(1).integers(0, 3, 40)


def _train(model, opt, sched, sampler, steps):
    done = 0
    while done < steps:
        for idx in sampler:
            x = dg.tensor(_X[idx] + np.random.standard_normal((len(idx), 6)).astype(np.float32) * np.float32(0.1))
            opt.zero_grad()
            loss = nn.functional.cross_entropy(model(x), dg.tensor(_Y[idx])) * np.float32(1 + random.random())
            loss.backward()
            opt.step()
            sched.step()
            done += 1
            if done == steps:
                return


def _weights(model):
    return {k: v.numpy().copy() for k, v in model.state_dict().items()}


def test_resume_mid_epoch_is_bit_identical(tmp_path):
    np.random.seed(3)
    random.seed(4)
    a = _setup()
    _train(*a, steps=13)  # 13 steps: mid-epoch (5 batches per epoch)
    ckpt = Checkpointer(tmp_path, keep=2)
    ckpt.save(13, model=a[0], optimizer=a[1], scheduler=a[2], sampler=a[3], note="mid-epoch")
    _train(*a, steps=9)
    expected = _weights(a[0])

    np.random.seed(99)  # everything different before restoring
    random.seed(99)
    b = _setup(seed=123)
    values = Checkpointer(tmp_path).restore(model=b[0], optimizer=b[1], scheduler=b[2], sampler=b[3])
    assert values == {"note": "mid-epoch", "step": 13}
    assert (b[3].epoch, b[3].batch) == (2, 3)
    _train(*b, steps=9)
    got = _weights(b[0])
    for k in expected:
        assert expected[k].tobytes() == got[k].tobytes(), k


def test_rng_states_restored(tmp_path):
    dg.manual_seed(1)
    np.random.seed(2)
    random.seed(3)
    ckpt = Checkpointer(tmp_path)
    ckpt.save(0)
    draws = (dg.rand(4).numpy(), np.random.standard_normal(3), random.random(), random.gauss(0, 1))
    dg.manual_seed(50)
    np.random.seed(50)
    random.seed(50)
    assert ckpt.restore() == {"step": 0}
    again = (dg.rand(4).numpy(), np.random.standard_normal(3), random.random(), random.gauss(0, 1))
    assert np.array_equal(draws[0], again[0]) and np.array_equal(draws[1], again[1]) and draws[2:] == again[2:]


def test_gauss_cache_survives(tmp_path):
    np.random.seed(0)
    random.seed(0)
    np.random.standard_normal()  # legacy generator caches the second normal
    random.gauss(0, 1)  # so does Python's random
    state = get_all_rng_states()
    assert state["numpy"]["has_gauss"] == 1 and state["python"]["gauss_next"] is not None
    ckpt = Checkpointer(tmp_path)
    ckpt.save(1)
    want = (np.random.standard_normal(), random.gauss(0, 1))
    ckpt.restore()
    assert (np.random.standard_normal(), random.gauss(0, 1)) == want


def test_keep_latest_and_paths(tmp_path):
    ckpt = Checkpointer(tmp_path, keep=3)
    assert ckpt.latest() is None and ckpt.restore() is None
    for step in (1, 5, 10, 20, 100):
        ckpt.save(step, epoch=step // 10)
    assert [s for s, _ in ckpt.checkpoints()] == [10, 20, 100]  # numeric order, not text order
    assert ckpt.latest() == os.path.join(str(tmp_path), "ckpt-100.safetensors")
    assert ckpt.restore() == {"epoch": 10, "step": 100}
    assert sorted(os.listdir(tmp_path)) == ["ckpt-10.safetensors", "ckpt-100.safetensors", "ckpt-20.safetensors"]


@pytest.mark.parametrize("damage", ["truncate", "garbage", "empty", "not_checkpoint", "bad_rng", "wrong_step"])
def test_damaged_newest_falls_back(tmp_path, damage):
    model = nn.Linear(3, 2)
    ckpt = Checkpointer(tmp_path, keep=None)
    ckpt.save(1, model=model, epoch=0)
    good = {k: v.numpy().copy() for k, v in model.state_dict().items()}
    with dg.no_grad():
        model.weight.data[...] = 7
    ckpt.save(2, model=model, epoch=1)
    newest = ckpt.path(2)
    data = open(newest, "rb").read()
    if damage == "truncate":
        data = data[: len(data) // 2]
    elif damage == "garbage":
        data = data[:100] + b"\xff" * 50 + data[150:]
    elif damage == "empty":
        data = b""
    elif damage == "not_checkpoint":
        dg.save({"weight": np.zeros(2)}, newest)
        data = open(newest, "rb").read()
    elif damage == "bad_rng":
        from deepgrad.io import dumps, load
        rec = load(newest)
        rec["rng"]["numpy"]["key"] = np.zeros(5, np.uint32)
        data = dumps(rec)
    elif damage == "wrong_step":
        data = open(ckpt.path(1), "rb").read()  # a file renamed by hand: name and contents disagree
    open(newest, "wb").write(data)
    model2 = nn.Linear(3, 2)
    with pytest.warns(RuntimeWarning, match="skipping"):
        values = ckpt.restore(model=model2)
    assert ckpt.skipped and ckpt.skipped[0][0] == newest
    assert values == {"epoch": 0, "step": 1} and ckpt.restored_path == ckpt.path(1)
    for k, v in model2.state_dict().items():
        assert np.array_equal(v.numpy(), good[k])


def test_all_damaged_raises(tmp_path):
    ckpt = Checkpointer(tmp_path)
    ckpt.save(3)
    open(ckpt.path(3), "wb").write(b"\0" * 20)
    with pytest.warns(RuntimeWarning), pytest.raises(FormatError, match="every checkpoint"):
        ckpt.restore()


def test_stale_temp_files_removed(tmp_path):
    (tmp_path / ".ckpt-7.safetensors.abc123.tmp").write_bytes(b"half")
    (tmp_path / "notes.txt").write_text("mine")
    Checkpointer(tmp_path)
    assert sorted(os.listdir(tmp_path)) == ["notes.txt"]


def test_errors_are_clear(tmp_path):
    ckpt = Checkpointer(tmp_path)

    class Opaque:
        pass

    with pytest.raises(TypeError, match="loader=Opaque has no state_dict"):
        ckpt.save(1, loader=Opaque())
    with pytest.raises(ValueError, match="step must be"):
        ckpt.save(-1)
    with pytest.raises(ValueError, match="keep"):
        Checkpointer(tmp_path, keep=0)
    ckpt.save(1, model=nn.Linear(2, 2))
    with pytest.raises(KeyError, match="no state for"):
        ckpt.restore(model=nn.Linear(2, 2), optimizer=optim.SGD(nn.Linear(2, 2).parameters(), lr=1))
    with pytest.raises(RuntimeError, match="size mismatch"):
        ckpt.restore(model=nn.Linear(3, 2))


def test_checkpoint_holds_no_pickle_and_is_safetensors(tmp_path):
    from safetensors.numpy import load_file

    model = nn.Linear(2, 2)
    path = Checkpointer(tmp_path).save(4, model=model, epoch=1)
    arrays = load_file(path)  # any safetensors reader can open it
    assert all(isinstance(a, np.ndarray) for a in arrays.values())
    assert b"pickle" not in open(path, "rb").read()


def test_sampler_order_from_seed_and_epoch():
    s = ResumableSampler(10, 4, seed=2)
    epoch0 = [b.tolist() for b in s]
    epoch1 = [b.tolist() for b in s]
    assert len(epoch0) == 3 and sorted(sum(epoch0, [])) == list(range(10)) and epoch0 != epoch1
    assert [b.tolist() for b in resumable_batches(10, 4, seed=2, epoch=1)] == epoch1
    assert [b.tolist() for b in resumable_batches(10, 4, seed=2, epoch=0, start=2)] == epoch0[2:]
    t = ResumableSampler(10, 4, seed=2)
    t.load_state_dict({**s.state_dict(), "epoch": 0, "batch": 1})
    assert [b.tolist() for b in t] == epoch0[1:] and (t.epoch, t.batch) == (1, 0)
    assert [b.tolist() for b in ResumableSampler(10, 4, shuffle=False)][0] == [0, 1, 2, 3]
    assert len(ResumableSampler(10, 4, drop_last=True)) == 2
    with pytest.raises(ValueError, match="batch_size"):
        t.load_state_dict({**s.state_dict(), "batch_size": 5})
