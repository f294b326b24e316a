"""deepgrad.philox: the published Philox4x32-10 answers, a replayable state, sound distributions,
and the GPU generator's state in checkpoints (a resumed GPU run draws the same Dropout masks)."""
import numpy as np
import pytest

import deepgrad as dg
from deepgrad.backend import cupy_module
from deepgrad.philox import Philox, philox4x32_10, philox_blocks

# Random123's known-answer vectors for philox4x32_10 (kat_vectors): counter, key, output
KAT = [((0, 0, 0, 0), (0, 0), (0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8)),
       ((0xFFFFFFFF,) * 4, (0xFFFFFFFF, 0xFFFFFFFF), (0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD)),
       ((0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344), (0xA4093822, 0x299F31D0),
        (0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1))]


@pytest.mark.parametrize("counter,key,expected", KAT)
def test_known_answers(counter, key, expected):
    words = philox4x32_10(np, *[np.array([c], np.uint64) for c in counter], *key)
    assert [int(w[0]) for w in words] == list(expected)


def test_blocks_are_the_counter_sequence():
    key = 0x0123456789ABCDEF
    blocks = philox_blocks(np, 2**32 - 2, 4, key)  # the counter carries into its second word
    for i, row in enumerate(blocks):
        n = 2**32 - 2 + i
        want = philox4x32_10(np, *[np.array([v], np.uint64) for v in (n & 0xFFFFFFFF, n >> 32, 0, 0)],
                             key & 0xFFFFFFFF, key >> 32)
        assert [int(v) for v in row] == [int(w[0]) for w in want]


def test_state_replays_the_stream():
    g = Philox(7)
    g.random(5, np.float32)
    state = g.state()
    a = [g.random((3, 4), np.float32), g.standard_normal(6), g.integers(3, 9, 10), g.permutation(12)]
    g.set_state(state)
    b = [g.random((3, 4), np.float32), g.standard_normal(6), g.integers(3, 9, 10), g.permutation(12)]
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)
    assert state == {"key": 7, "counter": 2}  # 5 words take 2 whole blocks
    assert not np.array_equal(Philox(8).random(8), Philox(7).random(8))


def test_distributions():
    g = Philox(123)
    u32, u64 = g.random(200_000, np.float32), g.random(200_000)
    assert u32.dtype == np.float32 and u64.dtype == np.float64
    for u in (u32, u64):
        assert 0.0 <= u.min() and u.max() < 1.0
        assert abs(u.mean() - 0.5) < 0.003 and abs(u.var() - 1 / 12) < 0.002
    z = g.standard_normal(200_000, np.float32)
    assert z.dtype == np.float32 and abs(z.mean()) < 0.01 and abs(z.std() - 1) < 0.01
    assert abs(np.mean(np.abs(z) > 1.96) - 0.05) < 0.003
    k = g.integers(-3, 4, 70_000)
    assert k.min() == -3 and k.max() == 3 and np.all(np.abs(np.bincount(k + 3) / 70_000 - 1 / 7) < 0.01)
    assert sorted(g.permutation(50)) == list(range(50))


def test_bad_states_are_refused():
    g = Philox(1)
    for bad in ({"key": -1, "counter": 0}, {"key": 1, "counter": 2**64}, {"key": "1", "counter": 0},
                {"key": 1.5, "counter": 0}, {"key": True, "counter": 0}):
        with pytest.raises(ValueError, match="Philox.set_state"):
            g.set_state(bad)
    with pytest.raises(KeyError):
        g.set_state({"key": 1})
    g.set_state({"key": 2**64 - 1, "counter": 2**64 - 2})
    g.words(4)
    with pytest.raises(OverflowError):
        g.words(1)


def test_manual_seed_and_checkpoints_carry_the_gpu_state(tmp_path):
    from deepgrad.train import Checkpointer
    from deepgrad.train.rng import get_all_rng_states, set_all_rng_states

    dg.manual_seed(5)
    assert dg.cuda.get_rng_state() == {"key": 5, "counter": 0}
    dg.cuda.set_rng_state({"key": 2**64 - 1, "counter": 2**63 + 5})
    states = get_all_rng_states()
    Checkpointer(tmp_path).save(1, extra=1)
    dg.manual_seed(0)
    Checkpointer(tmp_path).restore(strict=False)
    assert dg.cuda.get_rng_state() == {"key": 2**64 - 1, "counter": 2**63 + 5}
    set_all_rng_states({k: v for k, v in states.items() if k != "cuda"})  # old checkpoints: left alone
    assert dg.cuda.get_rng_state()["counter"] == 2**63 + 5


@pytest.mark.gpu
@pytest.mark.skipif(cupy_module() is None, reason="needs CuPy and a CUDA GPU")
def test_gpu_draws_replay_and_match_the_array_code():
    cp = cupy_module()
    dg.manual_seed(3)
    state = dg.cuda.get_rng_state()
    drop = dg.nn.functional.dropout(dg.ones(1000, device="cuda"), 0.5, training=True).numpy()
    r = dg.rand(7, 5, device="cuda").numpy()
    dg.cuda.set_rng_state(state)
    np.testing.assert_array_equal(dg.nn.functional.dropout(dg.ones(1000, device="cuda"), 0.5, training=True).numpy(),
                                  drop)
    np.testing.assert_array_equal(dg.rand(7, 5, device="cuda").numpy(), r)
    assert 400 < int((drop == 0).sum()) < 600
    # whatever path the GPU takes (kernel or array code), its words are the NumPy reference's
    g = Philox(2**40 + 3, xp=cp)
    g.counter = 2**32 - 3
    np.testing.assert_array_equal(cp.asnumpy(g.words(4 * 1000 + 2)), philox_blocks(np, 2**32 - 3, 1001, 2**40 + 3)
                                  .reshape(-1)[:4002])
    ref = Philox(2**40 + 3)
    ref.counter = g.counter
    np.testing.assert_array_equal(cp.asnumpy(g.random((37, 3), np.float32)), ref.random((37, 3), np.float32))
    assert g.counter == ref.counter


_DRIVER = r"""
extern "C" void words(unsigned long long c, unsigned long long n, unsigned int k0, unsigned int k1, unsigned int* o) {
    GRID(n, deepgrad_philox(c, n, k0, k1, o))
}
extern "C" void uniform32(unsigned long long c, unsigned long long n, unsigned int k0, unsigned int k1, float* o,
                          unsigned long long count) {
    GRID(n, deepgrad_philox_uniform32(c, n, k0, k1, o, count))
}
"""


def test_the_cuda_kernels_compute_the_reference_words(tmp_path):
    """kernels/philox.py's CUDA source, compiled for the host with a few shims (no GPU here) and run
    thread by thread, gives the array code's words and uniforms bit for bit."""
    import ctypes

    from deepgrad.kernels.philox import _CODE
    from tests.cuda_host import build, ptr

    so = build(tmp_path, _CODE + _DRIVER)
    key, counter = 2**40 + 3, 2**32 - 3  # the counter carries into its high word
    u64, u32 = ctypes.c_ulonglong, ctypes.c_uint
    out = np.zeros(4 * 1001, np.uint32)
    so.words(u64(counter), u64(1001), u32(key & 0xFFFFFFFF), u32(key >> 32), ptr(out))
    np.testing.assert_array_equal(out, philox_blocks(np, counter, 1001, key).reshape(-1))
    f = np.zeros(4002, np.float32)
    so.uniform32(u64(counter), u64(1001), u32(key & 0xFFFFFFFF), u32(key >> 32), ptr(f), u64(4002))
    ref = Philox(key)
    ref.counter = counter
    np.testing.assert_array_equal(f, ref.random(4002, np.float32))
