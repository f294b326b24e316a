"""Word2Vec and KeyedVectors on a CUDA GPU (or the CuPy stand-in): same results as on the CPU."""
from __future__ import annotations

import numpy as np
import pytest

from deepgrad.backend import cupy_module
from deepgrad.text import KeyedVectors, Word2Vec
from tests.text.test_word2vec import planted_corpus

pytestmark = pytest.mark.gpu
cp = cupy_module()
if cp is None:
    pytest.skip("needs CuPy and a CUDA GPU", allow_module_level=True)


@pytest.mark.parametrize("mode", [dict(sg=1, negative=3), dict(sg=0, hs=1, negative=0)], ids=["sg-ns", "cbow-hs"])
def test_word2vec_on_the_gpu_follows_the_cpu(mode):
    sents, questions = planted_corpus(n=600)
    kw = dict(vector_size=8, window=3, min_count=1, sample=1e-2, epochs=2, batch_size=128, seed=3, **mode)
    cpu, gpu = Word2Vec(sents, **kw), Word2Vec(sents, device="cuda", **kw)
    assert isinstance(gpu.in_embed.weight.data, cp.ndarray)
    np.testing.assert_allclose(cp.asnumpy(gpu.wv.vectors), cpu.wv.vectors, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(gpu.losses, cpu.losses, rtol=1e-5)
    assert gpu.evaluate_analogies(questions)[0] == cpu.evaluate_analogies(questions)[0]
    a, b = gpu.most_similar("king_m", topn=3), cpu.most_similar("king_m", topn=3)
    assert [w for w, _ in a] == [w for w, _ in b]
    assert gpu.similarity("king_m", "duke_m") == pytest.approx(cpu.similarity("king_m", "duke_m"), rel=1e-4)


def test_keyed_vectors_queries_on_device_arrays():
    rng = np.random.default_rng(0)
    vecs = rng.normal(size=(20, 4))
    words = [f"w{i}" for i in range(20)]
    host, dev = KeyedVectors(words, vecs), KeyedVectors(words, cp.asarray(vecs))
    a, b = dev.most_similar(["w1", "w2"], ["w0"], topn=5), host.most_similar(["w1", "w2"], ["w0"], topn=5)
    assert [w for w, _ in a] == [w for w, _ in b] and [s for _, s in a] == pytest.approx([s for _, s in b])
    pairs = [(f"w{i}", f"w{i + 2}", float(i % 5)) for i in range(18)]
    assert dev.evaluate_word_pairs(pairs) == pytest.approx(host.evaluate_word_pairs(pairs))
    qs = {"s": [(f"w{i}", f"w{i + 1}", f"w{i + 2}", f"w{i + 3}") for i in range(16)]}
    assert dev.evaluate_analogies(qs)[0] == host.evaluate_analogies(qs)[0]
