"""``KeyedVectors``: words and their vectors, with gensim's similarity queries and benchmarks.

``most_similar`` is 3CosAdd: the mean of the unit vectors of ``positive`` (+1) and ``negative``
(-1), normalized, scored by cosine against every word, the query words excluded.
Rows are in order of decreasing frequency, so ``restrict_vocab=N`` keeps the N most frequent.
Arrays stay on their device (numpy or cupy); only the answers come back as Python values.
"""
from __future__ import annotations

import numpy as np

from deepgrad.backend import get_array_module
from deepgrad.text.stats import pearson, spearman

__all__ = ["KeyedVectors"]


def _to_host(a):
    return a.get() if hasattr(a, "get") and not isinstance(a, np.ndarray) else np.asarray(a)


class KeyedVectors:
    """``KeyedVectors(words, vectors)``: ``vectors`` (V, D) array, row i for ``words[i]``."""

    def __init__(self, words, vectors):
        if len(words) != vectors.shape[0]:
            raise ValueError(f"KeyedVectors: {len(words)} words but vectors has {vectors.shape[0]} rows")
        self.index_to_key = list(words)
        self.key_to_index = {w: i for i, w in enumerate(self.index_to_key)}
        self.vectors = vectors
        xp = get_array_module(vectors)
        norms = xp.sqrt((vectors * vectors).sum(axis=1, keepdims=True))
        self._unit = vectors / xp.maximum(norms, 1e-12)

    def __len__(self):
        return len(self.index_to_key)

    def __contains__(self, word):
        return word in self.key_to_index

    def get_index(self, word):
        try:
            return self.key_to_index[word]
        except KeyError:
            raise KeyError(f"KeyedVectors: word {word!r} not in vocabulary ({len(self)} words)") from None

    def __getitem__(self, word):
        return self.vectors[self.get_index(word)]

    def get_vector(self, word, norm=False):
        return (self._unit if norm else self.vectors)[self.get_index(word)]

    def similarity(self, w1, w2):
        """Cosine similarity of two words."""
        return float((self._unit[self.get_index(w1)] * self._unit[self.get_index(w2)]).sum())

    def _query(self, positive, negative):
        positive = [positive] if isinstance(positive, str) else list(positive or [])
        negative = [negative] if isinstance(negative, str) else list(negative or [])
        if not positive and not negative:
            raise ValueError("most_similar: give at least one word in positive or negative")
        ids = [self.get_index(w) for w in positive + negative]
        xp = get_array_module(self._unit)
        weights = xp.asarray([1.0] * len(positive) + [-1.0] * len(negative), dtype=self._unit.dtype)
        mean = (self._unit[xp.asarray(ids)] * weights[:, None]).mean(axis=0)
        return mean / xp.maximum(xp.sqrt((mean * mean).sum()), 1e-12), ids

    def most_similar(self, positive=None, negative=None, topn=10, restrict_vocab=None):
        """``[(word, cosine), ...]`` best first (3CosAdd), the query words left out.

        ``topn=None``: the cosine with every word (an array, query words not removed).
        """
        mean, ids = self._query(positive, negative)
        unit = self._unit if restrict_vocab is None else self._unit[:restrict_vocab]
        sims = unit @ mean
        if topn is None:
            return sims
        sims = _to_host(sims).astype(np.float64)
        order = np.argsort(-sims, kind="stable")[:topn + len(ids)]
        skip = set(ids)
        return [(self.index_to_key[i], float(sims[i])) for i in order if i not in skip][:topn]

    def _restricted(self, restrict_vocab, case_insensitive):
        """word -> id over the ``restrict_vocab`` most frequent words (lower-cased: most frequent wins)."""
        words = self.index_to_key[:restrict_vocab]
        if not case_insensitive:
            return {w: i for i, w in enumerate(words)}
        out = {}
        for i, w in enumerate(words):
            out.setdefault(w.lower(), i)
        return out

    def evaluate_analogies(self, analogies, restrict_vocab=300000, case_insensitive=True, chunk=2048):
        """Accuracy on ``{section: [(a, b, c, d), ...]}`` (e.g. ``load_analogies()``), as gensim's
        ``evaluate_word_analogies``: the answer is the best word for b - a + c among the
        ``restrict_vocab`` most frequent, a/b/c excluded; questions with a word outside them are skipped.

        Returns ``(score, sections)``: ``sections`` is a list of dicts ``{'section', 'correct',
        'incorrect'}`` (lists of 4-tuples, spelled as given; gensim upper-cases them) ending with
        ``'Total accuracy'``; ``score`` = its accuracy.
        """
        items = analogies.items() if isinstance(analogies, dict) else analogies
        vocab = self._restricted(restrict_vocab, case_insensitive)
        unit = self._unit[:restrict_vocab]
        xp = get_array_module(unit)
        norm = (lambda w: w.lower()) if case_insensitive else (lambda w: w)
        sections, all_ok, all_bad = [], [], []
        for name, quads in items:
            kept = [q for q in quads if all(norm(w) in vocab for w in q)]
            ids = np.array([[vocab[norm(w)] for w in q] for q in kept], dtype=np.int64).reshape(-1, 4)
            hit = np.zeros(len(kept), dtype=bool)
            for s in range(0, len(kept), chunk):
                block = xp.asarray(ids[s:s + chunk])
                q = unit[block[:, 1]] - unit[block[:, 0]] + unit[block[:, 2]]
                sims = q @ unit.T
                rows = xp.arange(block.shape[0])
                for j in range(3):
                    sims[rows, block[:, j]] = -xp.inf
                hit[s:s + chunk] = _to_host(sims.argmax(axis=1) == block[:, 3])
            ok = [q for q, h in zip(kept, hit) if h]
            bad = [q for q, h in zip(kept, hit) if not h]
            sections.append({"section": name, "correct": ok, "incorrect": bad})
            all_ok += ok
            all_bad += bad
        sections.append({"section": "Total accuracy", "correct": all_ok, "incorrect": all_bad})
        total = len(all_ok) + len(all_bad)
        return (len(all_ok) / total if total else 0.0), sections

    def evaluate_word_pairs(self, pairs, restrict_vocab=300000, case_insensitive=True):
        """Correlation of cosine similarities with human scores on ``[(w1, w2, score), ...]``.

        Returns ``(pearson_r, spearman_rho, oov_ratio)`` as gensim (which adds p-values), with
        ``oov_ratio`` the percentage of pairs skipped because a word is outside the vocabulary.
        """
        vocab = self._restricted(restrict_vocab, case_insensitive)
        norm = (lambda w: w.lower()) if case_insensitive else (lambda w: w)
        gold, ours, oov = [], [], 0
        for a, b, score in pairs:
            a, b = norm(a), norm(b)
            if a not in vocab or b not in vocab:
                oov += 1
                continue
            gold.append(float(score))
            ours.append(float((self._unit[vocab[a]] * self._unit[vocab[b]]).sum()))
        ratio = 100.0 * oov / max(len(pairs), 1)
        if len(gold) < 2:
            return float("nan"), float("nan"), ratio
        return pearson(gold, ours), spearman(gold, ours), ratio
