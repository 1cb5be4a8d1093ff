"""Fixtures of the tests that run real `terrapro` processes."""
from __future__ import annotations

from pathlib import Path

import pytest

from bot.app import build_nlu
from bot.settings import Settings


@pytest.fixture(scope="session")
def trained_nlu(tmp_path_factory) -> Path:
    """An NLU cache trained once for the session: each process started on it loads in about a second."""
    cache = tmp_path_factory.mktemp("nlu-cache")
    build_nlu(Settings(data_dir=tmp_path_factory.mktemp("data"), nlu_cache_dir=cache))
    return cache
