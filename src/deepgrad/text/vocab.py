"""``Vocab``: words counted once, with Mikolov's subsampling and the unigram^0.75 noise table.

Words seen fewer than ``min_count`` times are dropped; the rest get ids in order of
decreasing count (ties: first appearance), so id 0 is the most frequent word, as in
word2vec and gensim.
"""
from __future__ import annotations

from collections import Counter

import numpy as np

__all__ = ["Vocab", "keep_probabilities", "noise_distribution"]


def keep_probabilities(counts, sample=1e-3):
    """Probability of keeping each occurrence of a word (word2vec.c / gensim's formula).

    With ``f = count / total`` and threshold ``t = sample``: ``p = (sqrt(f / t) + 1) * t / f``,
    capped at 1 (the paper's ``1 - sqrt(t / f)`` is the discard probability of a variant).
    ``sample=0`` keeps everything.
    """
    counts = np.asarray(counts, dtype=np.float64)
    if sample <= 0:
        return np.ones_like(counts)
    f = counts / counts.sum()
    return np.minimum((np.sqrt(f / sample) + 1.0) * sample / f, 1.0)


def noise_distribution(counts, power=0.75):
    """Negative-sampling noise: ``P(w) = count(w)**power / sum(count**power)``."""
    w = np.asarray(counts, dtype=np.float64) ** power
    return w / w.sum()


class Vocab:
    """Word <-> id maps and counts built from a token stream.

    ``Vocab(tokens_or_sentences, min_count=5, max_size=None)``: a flat list of words or a list
    of sentences (lists of words).  ``vocab[word]`` is its id, ``vocab.words[i]`` its word.
    """

    def __init__(self, corpus, min_count=5, max_size=None):
        if min_count < 1:
            raise ValueError(f"Vocab: min_count must be >= 1, got {min_count}")
        counter = Counter()
        corpus = corpus if isinstance(corpus, (list, tuple)) else list(corpus)
        if corpus and not isinstance(corpus[0], str):
            for sent in corpus:
                counter.update(sent)
        else:
            counter.update(corpus)
        items = [(w, c) for w, c in counter.most_common() if c >= min_count]  # stable: ties keep first seen
        if max_size is not None:
            items = items[:max_size]
        if not items:
            raise ValueError(f"Vocab: no word occurs at least min_count={min_count} times "
                             f"({len(counter)} distinct words seen)")
        self.words = [w for w, _ in items]
        self.counts = np.array([c for _, c in items], dtype=np.int64)
        self.index = {w: i for i, w in enumerate(self.words)}
        self.min_count = min_count

    def __len__(self):
        return len(self.words)

    def __contains__(self, word):
        return word in self.index

    def __getitem__(self, word):
        try:
            return self.index[word]
        except KeyError:
            raise KeyError(f"Vocab: word {word!r} is not in the vocabulary ({len(self)} words, "
                           f"min_count={self.min_count})") from None

    def encode(self, tokens):
        """int64 ids of ``tokens``, words outside the vocabulary dropped."""
        get = self.index.get
        ids = [get(w, -1) for w in tokens]
        arr = np.array(ids, dtype=np.int64)
        return arr[arr >= 0]

    def keep_probabilities(self, sample=1e-3):
        return keep_probabilities(self.counts, sample)

    def noise_distribution(self, power=0.75):
        return noise_distribution(self.counts, power)

    def noise_table(self, power=0.75):
        """The cumulative noise distribution: ``searchsorted(table, uniform)`` draws noise ids."""
        cum = np.cumsum(self.noise_distribution(power))
        cum[-1] = 1.0
        return cum
