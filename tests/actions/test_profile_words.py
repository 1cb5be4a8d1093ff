"""Reading what a young person says about themself, with the words of content/profile.yml."""
from __future__ import annotations

import pytest
import yaml

from actions.profile_words import ProfileFacts, ProfileReader
from bot.settings import PROJECT_ROOT


@pytest.fixture(scope="module")
def reader() -> ProfileReader:
    return ProfileReader(yaml.safe_load((PROJECT_ROOT / "content" / "profile.yml").read_text(encoding="utf-8")))


@pytest.mark.parametrize("text,field,value", [
    ("j'ai arrêté l'école en CM2", "level", "cm2"),
    ("jai arrete lecole en cm2", "level", "cm2"),
    ("j ai quitte l ecole en 4eme", "level", "5e"),
    ("je suis jamais allé à l'école", "level", "aucun"),
    ("j'ai pas de diplôme", "left_school", True),
    ("j'ai pas le brevet", "no_brevet", True),
    ("jai 15ans", "age", 15),
    ("mon fils a 14 ans", "age", 14),
    ("dama am 15 at", "age", 15),
    ("je suis en fauteuil", "wheelchair", True),
    ("j'ai pas de papiers", "no_papers", True),
    ("c pour mon fils", "for_whom", "ton fils"),
])
def test_reads(reader, text, field, value):
    assert getattr(reader.read(text), field) == value


@pytest.mark.parametrize("text", ["une formation de 2 ans", "ça dure 12 ans", "formation couture a bignona", "je cherche du travail"])
def test_ordinary_messages_say_nothing_about_the_person(reader, text):
    assert reader.read(text) == ProfileFacts()


def test_papers_are_answered_but_never_remembered(reader):
    assert reader.read("j'ai 17 ans et pas de papiers").remembered(None) == {"age": 17}


@pytest.mark.parametrize("acces,profile,open_", [
    ("Niveau 5e", {"niveau": "cm2"}, False),
    ("Niveau CM2 minimum", {"niveau": "cm2"}, True),
    ("Aucun diplôme exigé", {"niveau": "aucun"}, True),
    ("Après la 3e", {"niveau": "5e"}, False),
    ("Demandeurs d'emploi", {"age": 15}, False),
    ("16-25 ans sans diplôme ni qualification", {"age": 15}, False),
    ("16-25 ans sans diplôme ni qualification", {"age": 17, "niveau": "aucun"}, True),
    ("Niveau 3e", {}, True),
])
def test_courses_open_to_the_person(reader, acces, profile, open_):
    assert reader.open_to(acces, profile) is open_
