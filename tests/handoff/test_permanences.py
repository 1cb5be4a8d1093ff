from __future__ import annotations

from datetime import datetime, timezone

import pytest

from bot.handoff.permanences import PermanenceError, Permanences
from bot.settings import PROJECT_ROOT

UTC = timezone.utc


@pytest.fixture
def hours(tmp_path):
    (tmp_path / "permanences.csv").write_text(
        "bassin,jours,heure_debut,heure_fin,fuseau\n"
        "Fogny,lun-ven,09:00,17:00,Africa/Dakar\n"
        "Fogny,sam,09:00,12:00,Africa/Dakar\n"
        'Chambéry,"lun,mer",14:00,18:00,Europe/Paris\n',
        encoding="utf-8",
    )
    return Permanences.load(tmp_path)


def test_open_and_closed(hours):
    wednesday_10 = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
    assert hours.is_open("Fogny", wednesday_10)
    assert hours.when_text("Fogny", wednesday_10) is None
    assert hours.when_text("Fogny", wednesday_10.replace(hour=18)) == "demain à 9h00"
    assert hours.when_text("Fogny", wednesday_10.replace(hour=7)) == "aujourd'hui à 9h00"
    saturday_13 = datetime(2026, 11, 28, 13, 0, tzinfo=UTC)
    assert hours.when_text("Fogny", saturday_13) == "lundi à 9h00"
    # Paris is UTC+1 in November: 13:30 UTC is 14:30 there.
    assert hours.is_open("Chambéry", datetime(2026, 11, 25, 13, 30, tzinfo=UTC))
    assert hours.when_text("Chambéry", datetime(2026, 11, 26, 13, 30, tzinfo=UTC)) == "lundi à 14h00"
    # No row, no default: never claim a closure we do not know.
    assert hours.is_open("Tarentaise", saturday_13)


def test_project_file_covers_every_bassin_and_a_default():
    hours = Permanences.load(PROJECT_ROOT / "content")
    sunday = datetime(2026, 11, 29, 11, 0, tzinfo=UTC)
    for bassin in ("Bignona-Kalounayes", "Fogny", "Chambéry", "Maurienne", None, "Ailleurs"):
        assert not hours.is_open(bassin, sunday)
        assert hours.when_text(bassin, sunday) == "demain à 9h00"


@pytest.mark.parametrize("row", ["Fogny,lun-xyz,09:00,17:00,Africa/Dakar", "Fogny,lun,9h,17:00,Africa/Dakar",
                                 "Fogny,lun,17:00,09:00,Africa/Dakar", "Fogny,lun,09:00,17:00,Mars/Olympus"])
def test_bad_rows_are_reported_with_their_line(tmp_path, row):
    (tmp_path / "permanences.csv").write_text("bassin,jours,heure_debut,heure_fin,fuseau\n" + row + "\n")
    with pytest.raises(PermanenceError, match="ligne 2"):
        Permanences.load(tmp_path)


def test_described_in_words_for_the_young_person(hours):
    assert hours.describe("Fogny") == "du lundi au vendredi de 9h00 à 17h00, le samedi de 9h00 à 12h00"
    assert hours.describe("Chambéry") == "les lundi, mercredi de 14h00 à 18h00"
    assert hours.describe("Maurienne") is None  # no row, no "*": always open, nothing to say
