"""Data sets: MNIST, Fashion-MNIST, scikit-learn digits, the Brown corpus, word-vector
benchmarks (analogies, WordSim-353, SimLex-999), and toy sets.

Downloads go once into ``$DEEPGRAD_DATA`` (default ``~/.cache/deepgrad``), checked by sha256.
"""
from deepgrad.data.datasets._download import DownloadError, data_home
from deepgrad.data.datasets.brown import load_brown
from deepgrad.data.datasets.digits import load_digits
from deepgrad.data.datasets.fashion_mnist import FashionMNIST, load_fashion_mnist
from deepgrad.data.datasets.idx import IDXError, read_idx, write_idx
from deepgrad.data.datasets.mnist import MNIST, load_mnist
from deepgrad.data.datasets.toy import circles, two_spirals, universality, universality_2d, xor
from deepgrad.data.datasets.word_benchmarks import load_analogies, load_simlex999, load_wordsim353

__all__ = ["DownloadError", "data_home", "load_brown", "load_digits", "FashionMNIST", "load_fashion_mnist",
           "IDXError", "read_idx", "write_idx", "MNIST", "load_mnist", "circles", "two_spirals", "universality",
           "universality_2d", "xor", "load_analogies", "load_wordsim353", "load_simlex999"]
