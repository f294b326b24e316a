"""Word2Vec end to end on a corpus with a planted analogy structure, plus the query semantics."""
from __future__ import annotations

import itertools

import numpy as np
import pytest

from deepgrad.text import KeyedVectors, Word2Vec, spearman
from deepgrad.text.pairs import cbow_windows, skipgram_pairs

ROLES = ["king", "duke", "farmer", "doctor", "actor"]


def planted_corpus(n=2000, seed=0):
    """Sentences of a word ``<role>_<m|f>`` with two gender words and two role words: its vector
    should become role + gender, so ``king_f - king_m + duke_m ~ duke_f``."""
    rng = np.random.default_rng(seed)
    gender = {"m": ["he", "him", "his"], "f": ["she", "her", "hers"]}
    sents = []
    for _ in range(n):
        r, s = ROLES[rng.integers(5)], "mf"[rng.integers(2)]
        toks = [f"{r}_{s}"] + [str(w) for w in rng.choice(gender[s], 2)] + [f"{r}_c{i}" for i in rng.integers(0, 3, 2)]
        rng.shuffle(toks)
        sents.append(toks)
    questions = [(f"{a}_m", f"{a}_f", f"{b}_m", f"{b}_f") for a, b in itertools.permutations(ROLES, 2)]
    return sents, {"planted": questions}


@pytest.mark.parametrize("mode", [dict(sg=1, negative=5), dict(sg=0, negative=5), dict(sg=1, hs=1, negative=0),
                                  dict(sg=0, hs=1, negative=0), dict(sg=0, hs=1, negative=2)],
                         ids=["sg-ns", "cbow-ns", "sg-hs", "cbow-hs", "cbow-hs+ns"])
def test_planted_analogies_are_recovered(mode):
    sents, questions = planted_corpus()
    m = Word2Vec(sents, vector_size=20, window=4, min_count=1, sample=0, epochs=10, batch_size=256, seed=0, **mode)
    assert m.losses[-1] < m.losses[0]
    score, sections = m.evaluate_analogies(questions)
    assert score == 1.0 and len(sections[0]["correct"]) == 20 and sections[-1]["section"] == "Total accuracy"
    assert m.most_similar(positive=["king_f", "duke_m"], negative=["king_m"], topn=1)[0][0] == "duke_f"
    assert m.similarity("king_m", "duke_m") > m.similarity("king_m", "she")


def test_generator_input_cbow_sum_and_gensim_arguments():
    sents, questions = planted_corpus(n=1500)
    m = Word2Vec((s for s in sents), vector_size=20, window=4, min_count=1, sample=0, epochs=8, batch_size=256,
                 cbow_mean=0, alpha=0.01, workers=4)
    assert len(m.losses) == 8 and len(m.vocab) == 31  # the generator fed both the vocabulary and training
    assert m.evaluate_analogies(questions)[0] >= 0.9


def test_most_similar_is_3cosadd_excluding_queries():
    rng = np.random.default_rng(0)
    vecs = rng.normal(size=(30, 6))
    words = [f"w{i}" for i in range(30)]
    kv = KeyedVectors(words, vecs)
    unit = vecs / np.linalg.norm(vecs, axis=1, keepdims=True)
    mean = (unit[1] + unit[2] - unit[0]) / 3
    sims = unit @ (mean / np.linalg.norm(mean))
    sims[[0, 1, 2]] = -np.inf
    top = np.argsort(-sims)[:4]
    got = kv.most_similar(positive=["w1", "w2"], negative="w0", topn=4)
    assert [w for w, _ in got] == [words[i] for i in top]
    np.testing.assert_allclose([s for _, s in got], sims[top], rtol=1e-12)
    assert kv.similarity("w3", "w4") == pytest.approx(unit[3] @ unit[4])
    assert kv.most_similar("w5", topn=None).shape == (30,)
    assert all(w != "w5" for w, _ in kv.most_similar("w5", topn=29))
    assert [w for w, _ in kv.most_similar("w5", topn=3, restrict_vocab=10)] == \
        [words[i] for i in np.argsort(-(unit[:10] @ unit[5]))[1:4]]
    with pytest.raises(KeyError, match="'nope' not in vocabulary"):
        kv.most_similar("nope")
    with pytest.raises(ValueError, match="at least one word"):
        kv.most_similar()


def test_evaluate_analogies_restricts_vocab_and_skips_unknown_words():
    # 2-D vectors where b - a + c lands exactly on d
    words = ["a", "b", "c", "d", "e", "rare"]
    vecs = np.array([[1, 0], [1, 1], [2, 0.2], [2, 1.2], [-1, -1], [0.1, 5]], dtype=float)
    kv = KeyedVectors(words, vecs)
    score, sections = kv.evaluate_analogies({"s1": [("A", "B", "C", "D"), ("a", "b", "c", "x")],
                                             "s2": [("a", "b", "c", "rare")]})
    assert [s["section"] for s in sections] == ["s1", "s2", "Total accuracy"]
    assert sections[0]["correct"] == [("A", "B", "C", "D")]  # case-insensitive; the 'x' question skipped
    assert sections[1]["incorrect"] == [("a", "b", "c", "rare")] and score == 0.5
    score, sections = kv.evaluate_analogies({"s2": [("a", "b", "c", "rare")]}, restrict_vocab=5)
    assert score == 0.0 and sections[-1]["correct"] == sections[-1]["incorrect"] == []
    assert kv.evaluate_analogies({"s1": [("A", "B", "C", "D")]}, case_insensitive=False)[1][0]["correct"] == []


def test_evaluate_word_pairs_is_spearman_of_cosines():
    rng = np.random.default_rng(1)
    words = [f"w{i}" for i in range(12)]
    kv = KeyedVectors(words, rng.normal(size=(12, 5)))
    pairs = [(f"W{i}", f"w{i + 1}", float(rng.integers(0, 4))) for i in range(11)] + [("w0", "zzz", 1.0)]
    pear, rho, oov = kv.evaluate_word_pairs(pairs)
    cos = [kv.similarity(f"w{i}", f"w{i + 1}") for i in range(11)]
    assert rho == pytest.approx(spearman([p[2] for p in pairs[:11]], cos))
    assert pear == pytest.approx(np.corrcoef([p[2] for p in pairs[:11]], cos)[0, 1])
    assert oov == pytest.approx(100 / 12)


def test_skipgram_pairs_respect_window_and_sentences():
    rng = np.random.default_rng(0)
    ids = np.arange(100)
    sent = np.repeat(np.arange(10), 10)
    c, x = skipgram_pairs(ids, sent, 3, rng)
    assert np.all(np.abs(c - x) <= 3) and np.all(c != x) and np.all(sent[c] == sent[x])
    full_c, _ = skipgram_pairs(ids, sent, 1, rng)  # window 1: every neighbour inside the sentence
    assert len(full_c) == 10 * 2 * 9
    # the reduced window keeps distance d with probability (window - d + 1) / window
    c, x = skipgram_pairs(np.arange(20000), np.zeros(20000, np.int64), 4, rng)
    frac = np.bincount(np.abs(c - x), minlength=5)[1:] / (2 * 20000)
    np.testing.assert_allclose(frac, [1, 0.75, 0.5, 0.25], atol=0.02)
    t, ctx, mask = cbow_windows(ids, sent, 2, rng)
    assert ctx.shape == (100, 4) and mask.dtype == np.float32
    rows = np.arange(100)[:, None]
    off = np.array([-2, -1, 1, 2])
    assert np.all((ctx == rows + off)[mask > 0]) and np.all(mask[:, 1] == (rows[:, 0] % 10 != 0))


def test_word2vec_argument_errors():
    with pytest.raises(ValueError, match="hs=1 or negative > 0"):
        Word2Vec(hs=0, negative=0)
    with pytest.raises(ValueError, match="sg, hs and cbow_mean must be 0 or 1"):
        Word2Vec(sg=2)
    with pytest.raises(ValueError, match="window must be >= 1"):
        Word2Vec(window=0)
    with pytest.raises(RuntimeError, match="build_vocab"):
        Word2Vec().train([["a", "b"]])
    with pytest.raises(ValueError, match="min_count=5"):
        Word2Vec([["a", "b"]])


def test_negative_sampling_batch_loss_and_grads_follow_the_definition():
    """The fused (target + noise) lookup in Word2Vec._loss equals negative_sampling_loss, noise words
    equal to the target dropped, gradients included."""
    from deepgrad import Tensor
    from deepgrad.text import negative_sampling_loss

    sents, _ = planted_corpus(n=100)
    m = Word2Vec(vector_size=6, min_count=1, sg=1, negative=4, seed=0)
    m.build_vocab(sents)
    rng = np.random.default_rng(1)
    m.out_embed.weight.data[...] = rng.normal(size=m.out_embed.weight.shape)
    centers, contexts = rng.integers(0, len(m.vocab), 300), rng.integers(0, 3, 300)  # frequent targets: clashes
    state = m.rng.bit_generator.state
    m.optimizer.zero_grad()
    got = m._loss((centers, contexts))
    got.backward()
    g_in, g_out = m.in_embed.weight.grad.numpy().copy(), m.out_embed.weight.grad.numpy().copy()
    m.rng.bit_generator.state = state
    noise = np.searchsorted(m._noise_cdf, m.rng.random((300, 4)))
    keep = (noise != contexts[:, None]).astype(np.float32)
    assert 0 < keep.sum() < keep.size
    m.optimizer.zero_grad()
    want = negative_sampling_loss(m.in_embed(centers), m.out_embed(contexts), m.out_embed(noise), Tensor(keep))
    want.backward()
    np.testing.assert_allclose(got.item(), want.item(), rtol=1e-5)
    np.testing.assert_allclose(g_in, m.in_embed.weight.grad.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(g_out, m.out_embed.weight.grad.numpy(), rtol=1e-5, atol=1e-6)
