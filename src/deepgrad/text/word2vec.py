"""``Word2Vec``: skip-gram and CBOW (Mikolov et al. 2013) trained with deepgrad autodiff.

    from deepgrad.data import load_brown
    from deepgrad.text import Word2Vec
    model = Word2Vec(load_brown(lower=True), sg=1, negative=5, window=5, vector_size=100, epochs=5)
    model.most_similar(positive=["king", "woman"], negative=["man"])

Input vectors ``W_in`` (``nn.Embedding``, word2vec's syn0) and output vectors (syn1neg for
negative sampling, one per word; syn1 for hierarchical softmax, one per Huffman inner node) are
trained by plain SGD on the summed loss of mini-batches, the learning rate falling linearly from
``alpha`` to ``min_alpha`` as in word2vec.  Summed, not averaged: each example moves the vectors by
``alpha`` times its own gradient, as gensim's one-example-at-a-time SGD does, so gensim's ``alpha``
carries over (at gensim's settings the Brown benchmarks agree with gensim 4.4.0's, see
examples/word2vec.py).  The steps of a frequent word add up within a batch, so a large
``batch_size`` with a large ``alpha`` can diverge (4096 with alpha 0.1 does on Brown).
Skip-gram predicts each context word from the center; CBOW predicts the center from the mean
of its context vectors.  Arguments follow gensim.
"""
from __future__ import annotations

import time

import numpy as np

from deepgrad import nn
from deepgrad.backend import get_array_module
from deepgrad.nn.parameter import Parameter
from deepgrad.ops.activation import logsigmoid
from deepgrad.optim import SGD
from deepgrad.tensor import Tensor
from deepgrad.text.huffman import HuffmanTree
from deepgrad.text.keyed_vectors import KeyedVectors
from deepgrad.text.losses import hierarchical_softmax_loss
from deepgrad.text.pairs import cbow_windows, skipgram_pairs, subsample
from deepgrad.text.vocab import Vocab

__all__ = ["Word2Vec"]


def _as_sentences(corpus):
    corpus = corpus if isinstance(corpus, (list, tuple)) else list(corpus)
    if corpus and isinstance(corpus[0], str):
        return [corpus]
    return [list(s) for s in corpus]


class Word2Vec:
    """word2vec: ``sg=1`` skip-gram or ``sg=0`` CBOW; ``hs=1`` hierarchical softmax and/or
    ``negative=k`` noise words per example (``ns_exponent`` 0.75); ``sample`` subsampling threshold.

    ``sentences``: a flat list of tokens or a list of sentences; given, the vocabulary is built and
    the model trained at once.  ``batch_size`` examples (pairs or CBOW windows) per SGD step.
    ``cbow_mean=0`` sums the context vectors instead of averaging; ``workers`` is accepted for
    gensim compatibility and ignored (the batch is vectorized instead).
    """

    def __init__(self, sentences=None, vector_size=100, window=5, min_count=5, sg=0, hs=0, negative=5,
                 ns_exponent=0.75, sample=1e-3, alpha=0.025, min_alpha=0.0001, epochs=5, batch_size=1024,
                 max_vocab_size=None, seed=1, device="cpu", verbose=False, cbow_mean=1, workers=None):
        if sg not in (0, 1) or hs not in (0, 1) or cbow_mean not in (0, 1):
            raise ValueError(f"Word2Vec: sg, hs and cbow_mean must be 0 or 1, got sg={sg}, hs={hs}, "
                             f"cbow_mean={cbow_mean}")
        if not hs and negative <= 0:
            raise ValueError(f"Word2Vec: use hs=1 or negative > 0 (got hs={hs}, negative={negative}): "
                             "with neither there is no output layer to train")
        for name, v in (("vector_size", vector_size), ("window", window), ("epochs", epochs),
                        ("batch_size", batch_size)):
            if int(v) < 1:
                raise ValueError(f"Word2Vec: {name} must be >= 1, got {v}")
        self.vector_size, self.window, self.min_count = int(vector_size), int(window), int(min_count)
        self.sg, self.hs, self.negative, self.ns_exponent = sg, hs, int(negative), ns_exponent
        self.sample, self.alpha, self.min_alpha, self.epochs = sample, alpha, min_alpha, int(epochs)
        self.batch_size, self.max_vocab_size, self.seed = int(batch_size), max_vocab_size, seed
        self.device, self.verbose, self.cbow_mean = device, verbose, cbow_mean
        self.rng = np.random.default_rng(seed)
        self.vocab = None
        self.losses = []  # mean loss per example, one entry per epoch
        if sentences is not None:
            sentences = _as_sentences(sentences)  # a generator is read once
            self.build_vocab(sentences)
            self.train(sentences)

    # --- setup -------------------------------------------------------------------------------
    def build_vocab(self, sentences):
        """Count words, build the Huffman tree / noise table and fresh weights."""
        self.vocab = Vocab(_as_sentences(sentences), self.min_count, self.max_vocab_size)
        v, d = len(self.vocab), self.vector_size
        init = ((self.rng.random((v, d)) - 0.5) / d).astype(np.float32)  # word2vec's U(-0.5/d, 0.5/d)
        self.in_embed = nn.Embedding(v, d, _weight=Parameter(init)).to(self.device)
        params = list(self.in_embed.parameters())
        if self.negative:
            self.out_embed = nn.Embedding(v, d, _weight=Parameter(np.zeros((v, d), np.float32))).to(self.device)
            self._noise_cdf = self.vocab.noise_table(self.ns_exponent)
            params += list(self.out_embed.parameters())
        if self.hs:
            self.tree = HuffmanTree(self.vocab.counts)
            n = self.tree.num_inner
            self.node_embed = nn.Embedding(n, d, _weight=Parameter(np.zeros((n, d), np.float32))).to(self.device)
            params += list(self.node_embed.parameters())
        self.optimizer = SGD(params, lr=self.alpha)
        self._wv = None
        return self

    def _corpus_ids(self, sentences):
        ids, sent = [], []
        for k, s in enumerate(_as_sentences(sentences)):
            e = self.vocab.encode(s)
            ids.append(e)
            sent.append(np.full(len(e), k, dtype=np.int64))
        return np.concatenate(ids), np.concatenate(sent)

    def _examples(self, ids, sent):
        ids, sent = subsample(ids, sent, self._keep, self.rng)
        if self.sg:
            return skipgram_pairs(ids, sent, self.window, self.rng)
        return cbow_windows(ids, sent, self.window, self.rng)

    # --- training -----------------------------------------------------------------------------
    def _device_array(self, a):
        return get_array_module(self.in_embed.weight.data).asarray(a)

    def _loss(self, batch):
        """Summed loss of one batch: skip-gram (center, context) or CBOW (target, context, mask)."""
        if self.sg:
            inputs, targets = batch
            h = self.in_embed(inputs)
        else:
            targets, ctx, mask = batch
            m = Tensor(self._device_array(mask))
            h = (self.in_embed(ctx) * m.unsqueeze(2)).sum(1)
            if self.cbow_mean:
                h = h / m.sum(1, keepdim=True)
        loss = 0.0
        if self.negative:  # fresh noise words per example; a noise word equal to the target is skipped
            noise = np.searchsorted(self._noise_cdf, self.rng.random((len(targets), self.negative)))
            words = np.concatenate([targets[:, None], noise], axis=1)  # one lookup: (B, 1 + K) output rows
            sign = np.ones(words.shape, np.float32)
            sign[:, 1:] = -1.0
            keep = (words != targets[:, None]).astype(np.float32)
            keep[:, 0] = 1.0
            scores = (self.out_embed(words) @ h.unsqueeze(2)).squeeze(2)  # log s(u.v) + sum_k log s(-u.n_k)
            terms = logsigmoid(scores * Tensor(self._device_array(sign))) * Tensor(self._device_array(keep))
            loss = loss - terms.sum()
        if self.hs:
            t = self.tree
            codes = Tensor(self._device_array(t.codes[targets].astype(np.float32)))
            mask = Tensor(self._device_array(t.mask[targets].astype(np.float32)))
            loss = loss + hierarchical_softmax_loss(h, self.node_embed(t.points[targets]), codes, mask)
        return loss

    def train(self, sentences, epochs=None):
        """Train for ``epochs`` (default: the constructor's) passes; returns the per-epoch mean losses."""
        if self.vocab is None:
            raise RuntimeError("Word2Vec.train: call build_vocab(sentences) first (or pass sentences "
                               "to the constructor)")
        epochs = self.epochs if epochs is None else int(epochs)
        ids, sent = self._corpus_ids(sentences)
        if len(ids) < 2:
            raise ValueError(f"Word2Vec.train: only {len(ids)} in-vocabulary tokens; nothing to train on")
        self._keep = self.vocab.keep_probabilities(self.sample)
        total, done = None, 0
        for epoch in range(epochs):
            start = time.perf_counter()
            batch_all = self._examples(ids, sent)
            n = len(batch_all[0])
            if total is None:
                total = max(n * epochs, 1)
            order = self.rng.permutation(n)
            loss_sum = 0.0
            for s in range(0, n, self.batch_size):
                idx = order[s:s + self.batch_size]
                lr = max(self.alpha - (self.alpha - self.min_alpha) * done / total, self.min_alpha)
                for group in self.optimizer.param_groups:
                    group["lr"] = lr
                self.optimizer.zero_grad()
                loss = self._loss(tuple(a[idx] for a in batch_all))
                loss.backward()
                self.optimizer.step()
                loss_sum += float(loss.item())
                done += len(idx)
            self.losses.append(loss_sum / max(n, 1))
            if self.verbose:
                print(f"epoch {epoch + 1}/{epochs}: {n} examples, loss {self.losses[-1]:.4f}, "
                      f"lr {lr:.5f}, {time.perf_counter() - start:.1f} s", flush=True)
        self._wv = None
        return self.losses

    # --- queries (see KeyedVectors) ------------------------------------------------------------
    @property
    def wv(self) -> KeyedVectors:
        """The trained input vectors as ``KeyedVectors`` (rows in order of decreasing frequency)."""
        if self.vocab is None:
            raise RuntimeError("Word2Vec: no vocabulary yet; build_vocab/train first")
        if self._wv is None:
            self._wv = KeyedVectors(self.vocab.words, self.in_embed.weight.data.copy())
        return self._wv

    def most_similar(self, positive=None, negative=None, topn=10, restrict_vocab=None):
        return self.wv.most_similar(positive, negative, topn, restrict_vocab)

    def similarity(self, w1, w2):
        return self.wv.similarity(w1, w2)

    def evaluate_analogies(self, analogies, restrict_vocab=300000, case_insensitive=True):
        return self.wv.evaluate_analogies(analogies, restrict_vocab, case_insensitive)

    def evaluate_word_pairs(self, pairs, restrict_vocab=300000, case_insensitive=True):
        return self.wv.evaluate_word_pairs(pairs, restrict_vocab, case_insensitive)
