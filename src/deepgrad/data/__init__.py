"""deepgrad.data: datasets, the DataLoader, batch transforms, and downloadable data sets.

    from deepgrad.data import DataLoader, TensorDataset
    from deepgrad.data.datasets import load_mnist
    x_train, y_train, x_test, y_test = load_mnist()
    loader = DataLoader(TensorDataset(x_train, y_train), batch_size=100, shuffle=True, num_workers=2)
    for x, y in loader:  # x: uint8 Tensor (100, 28, 28), y: int64 Tensor (100,)
        ...
"""
from deepgrad.data import datasets, transforms
from deepgrad.data.collate import default_collate, default_convert
from deepgrad.data.dataloader import DataLoader, get_worker_info
from deepgrad.data.dataset import (
    ChainDataset,
    ConcatDataset,
    Dataset,
    IterableDataset,
    Subset,
    TensorDataset,
    random_split,
)
from deepgrad.data.datasets import (
    MNIST,
    DownloadError,
    FashionMNIST,
    circles,
    data_home,
    load_analogies,
    load_brown,
    load_digits,
    load_fashion_mnist,
    load_mnist,
    load_simlex999,
    load_wordsim353,
    two_spirals,
    universality,
    universality_2d,
    xor,
)
from deepgrad.data.sampler import (
    BatchSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
)

__all__ = ["Dataset", "IterableDataset", "ChainDataset",
           "TensorDataset", "Subset", "ConcatDataset", "random_split", "DataLoader", "default_collate",
           "default_convert", "get_worker_info", "Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler",
           "WeightedRandomSampler", "BatchSampler",
           "datasets", "transforms", "MNIST", "FashionMNIST", "DownloadError", "data_home", "load_mnist",
           "load_fashion_mnist", "load_digits", "load_brown", "xor", "two_spirals", "circles", "universality",
           "universality_2d", "load_analogies", "load_wordsim353", "load_simlex999"]
