from pathlib import Path

import pytest

from bot.nlu.engine import NluEngine

REPO = Path(__file__).resolve().parents[2]
NLU_DATA = REPO / "nlu_data"
HELDOUT = REPO / "tests" / "data" / "nlu_heldout.yml"


def build_engine(cache_dir: Path, extra_values=None) -> NluEngine:
    """The engine trained from the repo's nlu_data, cached in ``cache_dir``."""
    return NluEngine.load_or_train(NLU_DATA, cache_dir, extra_values=extra_values)


@pytest.fixture(scope="session")
def nlu_cache_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("nlu-cache")


@pytest.fixture(scope="session")
def engine(nlu_cache_dir) -> NluEngine:
    return build_engine(nlu_cache_dir)
