"""Fashion-MNIST: 70 000 28x28 grey images of clothes in 10 classes, shaped exactly like MNIST.

The official IDX ``.gz`` files come from the Debian package ``dataset-fashion-mnist``
(fetched with ``apt-get download``, unpacked with Python: no root install, no dpkg); they are
kept uncompressed in ``$DEEPGRAD_DATA/fashion-mnist/``.
"""
from __future__ import annotations

import gzip
from pathlib import Path

from deepgrad.data.datasets._download import (
    DownloadError,
    apt_download,
    atomic_write_bytes,
    data_home,
    fetch_dir,
    read_deb_members,
)
from deepgrad.data.datasets.mnist import MNIST, _load_four

__all__ = ["load_fashion_mnist", "FashionMNIST", "FASHION_MNIST_FILES", "FASHION_MNIST_GZ_SHA256"]

DEB_PACKAGE = "dataset-fashion-mnist"
_DEB_DIR = "usr/share/datasets/fashion-mnist"

# sha256 and size of each uncompressed IDX file (what the cache holds) ...
FASHION_MNIST_FILES = {
    "train-images-idx3-ubyte": ("c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888", 47040016),
    "train-labels-idx1-ubyte": ("bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9", 60008),
    "t10k-images-idx3-ubyte": ("5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b", 7840016),
    "t10k-labels-idx1-ubyte": ("0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34", 10008),
}
# ... and of the official .gz files inside the Debian package (Zalando's release).
FASHION_MNIST_GZ_SHA256 = {
    "train-images-idx3-ubyte.gz": "b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7",
    "train-labels-idx1-ubyte.gz": "0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056",
    "t10k-images-idx3-ubyte.gz": "cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa",
    "t10k-labels-idx1-ubyte.gz": "8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05",
}


def _fetch_fashion(folder: Path):
    import hashlib

    fix = ("apt-get comes with Debian/Ubuntu; on other systems download the four .gz files of "
           "https://github.com/zalandoresearch/fashion-mnist by hand.")
    with fetch_dir(folder) as tmp:
        deb = apt_download(DEB_PACKAGE, tmp, "Fashion-MNIST", fix)
        members = read_deb_members(deb, {f"{_DEB_DIR}/{g}" for g in FASHION_MNIST_GZ_SHA256})
        for gz_name, sha in FASHION_MNIST_GZ_SHA256.items():
            blob = members[f"{_DEB_DIR}/{gz_name}"]
            got = hashlib.sha256(blob).hexdigest()
            if got != sha:
                raise DownloadError(f"Fashion-MNIST: {gz_name} in {deb.name} has sha256 {got}, expected {sha}",
                                    kind="checksum")
            atomic_write_bytes(folder / gz_name[:-3], gzip.decompress(blob))


def load_fashion_mnist(root=None, download=True):
    """Fashion-MNIST as numpy arrays, shaped like ``load_mnist``: ``x_train`` uint8 (60000, 28, 28),
    ``y_train`` uint8 (60000,), ``x_test`` (10000, 28, 28), ``y_test`` (10000,)."""
    folder = data_home(root) / "fashion-mnist"
    how = (f"run `apt-get download {DEB_PACKAGE}` (after `sudo apt-get update` if apt does not know it) and "
           f"`dpkg -x {DEB_PACKAGE}_*.deb out`, then copy out/{_DEB_DIR}/*.gz into {folder}")
    return _load_four(folder, FASHION_MNIST_FILES, _fetch_fashion, "Fashion-MNIST", how, download=download)


class FashionMNIST(MNIST):
    """Fashion-MNIST as a Dataset of ``(image uint8 (28, 28), label int)``; batch transforms as in MNIST."""

    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
               "Ankle boot"]
    _loader = staticmethod(load_fashion_mnist)
