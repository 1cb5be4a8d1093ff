from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.catalogue.loader import load_catalogue
from bot.catalogue.search import CatalogueSearch
from bot.nlu.vocabulary import load_synonyms
from bot.settings import PROJECT_ROOT

CONTENT = PROJECT_ROOT / "content"
NLU_DATA = PROJECT_ROOT / "nlu_data"
QUERIES = PROJECT_ROOT / "tests" / "data" / "search_queries.yml"

COURSE_HEADER = "id,territoire,centre,commune,bassin,filiere,formation,duree,acces,cout,certification,contact,source\n"
GOOD_ROW = "BIG-X-01,bignona,CFP de Test,Bignona,Bignona-Kalounayes,solaire,Pose de panneaux,6 mois,,,,,exemple\n"


@pytest.fixture
def content_dir(tmp_path: Path) -> Path:
    """A private copy of content/ that a test may break or replace."""
    target = tmp_path / "content"
    target.mkdir()
    for name in ("catalogue.csv", "events.csv", "filieres.csv", "places.csv"):
        shutil.copy(CONTENT / name, target / name)
    return target


@pytest.fixture(scope="session")
def catalogue():
    return load_catalogue(CONTENT)


@pytest.fixture(scope="session")
def synonyms() -> dict[str, str]:
    return load_synonyms(NLU_DATA)


@pytest.fixture(scope="session")
def engine(catalogue, synonyms) -> CatalogueSearch:
    return CatalogueSearch(catalogue, synonyms)


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path
