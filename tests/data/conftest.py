"""Shared fixtures: the real data sets, loaded once per session from the normal cache.

A test that needs a download is skipped only when the registry cannot be reached (a
DownloadError of kind 'network'); any other failure (missing tool, bad checksum) fails.
"""
from __future__ import annotations

import pytest

from tests.realdata import load_or_skip


@pytest.fixture(scope="session")
def mnist():
    from deepgrad.data.datasets import load_mnist

    return load_or_skip(load_mnist)


@pytest.fixture(scope="session")
def fashion_mnist():
    from deepgrad.data.datasets import load_fashion_mnist

    return load_or_skip(load_fashion_mnist)


@pytest.fixture(scope="session")
def brown():
    from deepgrad.data.datasets import load_brown

    return load_or_skip(load_brown)
