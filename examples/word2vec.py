"""word2vec on the Brown corpus (lecture row 25, seed 002): skip-gram or CBOW, negative sampling or
hierarchical softmax, then the benchmarks: analogy accuracy (Mikolov's questions-words.txt),
WordSim-353 and SimLex-999 Spearman correlations, nearest neighbours, and king - man + woman.

    python examples/word2vec.py                       # skip-gram, 5 negatives, 5 epochs (~3 min CPU)
    python examples/word2vec.py --cbow --hs
    python examples/word2vec.py --limit 200000        # first 200k tokens only, for a quick look

The defaults are gensim's (alpha 0.025 falling to 0.0001, 5 epochs, window 5, sample 1e-3,
min_count 5): the batch loss is summed, so each pair gets gensim's per-pair step.  Brown has only
1.16M tokens (word2vec's results used billions), so expect modest figures: the analogy questions
are mostly about capitals and currencies that Brown barely mentions.  One run (2 CPU cores,
178 s of training): analogies 0.031 on the 6304 answerable questions, WordSim-353 Spearman 0.28,
SimLex-999 0.13, 'queen' 8th of 14218 for king - man + woman (seed 2: 0.038, 0.26, 0.14, 19th).
gensim 4.4.0 (workers=1) on the same tokens cut into 10000-word sentences, seeds 1-3: analogies
0.031-0.038, WordSim-353 0.25-0.27, SimLex-999 0.15, 'queen' 5th-18th, in about 20 s.
"""
from __future__ import annotations

import argparse
import time

from deepgrad.data import load_analogies, load_brown, load_simlex999, load_wordsim353
from deepgrad.text import Word2Vec


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--cbow", action="store_true", help="CBOW instead of skip-gram")
    p.add_argument("--hs", action="store_true", help="hierarchical softmax instead of negative sampling")
    p.add_argument("--negative", type=int, default=5)
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--size", type=int, default=100, help="vector size")
    p.add_argument("--window", type=int, default=5)
    p.add_argument("--min-count", type=int, default=5)
    p.add_argument("--alpha", type=float, default=0.025, help="initial SGD rate, per example (as gensim)")
    p.add_argument("--batch-size", type=int, default=1024)
    p.add_argument("--limit", type=int, default=None, help="use only the first LIMIT tokens")
    p.add_argument("--restrict-vocab", type=int, default=30000, help="analogies among the N most frequent words")
    p.add_argument("--device", default="cpu")
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args(argv)

    tokens = load_brown(lower=True)[:a.limit]
    t = time.perf_counter()
    model = Word2Vec(tokens, sg=0 if a.cbow else 1, hs=int(a.hs), negative=0 if a.hs else a.negative,
                     vector_size=a.size, window=a.window, min_count=a.min_count, alpha=a.alpha, epochs=a.epochs,
                     batch_size=a.batch_size, seed=a.seed, device=a.device, verbose=True)
    print(f"{'CBOW' if a.cbow else 'skip-gram'} + {'hierarchical softmax' if a.hs else f'{a.negative} negatives'}"
          f": {len(tokens)} tokens, {len(model.vocab)} words, {time.perf_counter() - t:.1f} s")

    score, sections = model.evaluate_analogies(load_analogies(), restrict_vocab=a.restrict_vocab)
    total = sections[-1]
    n = len(total["correct"]) + len(total["incorrect"])
    print(f"analogies: {score:.3f} accuracy on the {n} of 19544 questions whose words are all known")
    for s in sections[:-1]:
        k = len(s["correct"]) + len(s["incorrect"])
        if k:
            print(f"  {s['section']:28s} {len(s['correct']) / k:.3f} of {k}")
    for name, pairs in (("WordSim-353", load_wordsim353()), ("SimLex-999", load_simlex999())):
        _, rho, oov = model.evaluate_word_pairs(pairs)
        print(f"{name}: Spearman {rho:.3f} ({oov:.1f}% of pairs out of vocabulary)")
    for w in ("money", "president", "church", "three", "said"):
        if w in model.wv:
            print(f"most_similar({w!r}):", ", ".join(f"{x} {s:.2f}" for x, s in model.most_similar(w, topn=6)))
    if not all(w in model.wv for w in ("king", "man", "woman", "queen")):
        print("king - man + woman: not all four words are in the vocabulary")
        return model
    best = model.most_similar(positive=["king", "woman"], negative=["man"], topn=10)
    print("king - man + woman:", ", ".join(f"{x} {s:.2f}" for x, s in best))
    sims = model.most_similar(positive=["king", "woman"], negative=["man"], topn=None)
    order = [i for i in (-sims).argsort().tolist() if model.wv.index_to_key[i] not in ("king", "man", "woman")]
    rank = order.index(model.wv.get_index("queen")) + 1
    print(f"'queen' is ranked {rank} of {len(order)} for king - man + woman")
    return model


if __name__ == "__main__":
    main()
