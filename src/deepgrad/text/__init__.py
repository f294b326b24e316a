"""deepgrad.text: word vectors (seed 002, lecture row 25): word2vec skip-gram / CBOW with
hierarchical softmax or negative sampling, and gensim-style similarity queries and benchmarks."""
from deepgrad.text.huffman import HuffmanTree, huffman_codes
from deepgrad.text.keyed_vectors import KeyedVectors
from deepgrad.text.losses import hierarchical_softmax_loss, hs_log_prob, negative_sampling_loss
from deepgrad.text.stats import pearson, rankdata, spearman
from deepgrad.text.vocab import Vocab, keep_probabilities, noise_distribution
from deepgrad.text.word2vec import Word2Vec

__all__ = ["Word2Vec", "KeyedVectors", "Vocab", "keep_probabilities", "noise_distribution", "HuffmanTree",
           "huffman_codes", "negative_sampling_loss", "hierarchical_softmax_loss", "hs_log_prob", "rankdata",
           "pearson", "spearman"]
