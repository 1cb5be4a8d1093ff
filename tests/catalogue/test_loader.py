from __future__ import annotations

import pytest

from bot.catalogue.csvfile import MAX_PROBLEMS
from bot.catalogue.loader import load_catalogue, load_catalogue_checked, load_events
from bot.core.errors import ContentError

from .conftest import COURSE_HEADER, GOOD_ROW, write


def _catalogue_error(content_dir, text: str, encoding: str = "utf-8") -> ContentError:
    write(content_dir / "catalogue.csv", text, encoding)
    with pytest.raises(ContentError) as info:
        load_catalogue(content_dir)
    return info.value


def test_shipped_content_is_valid(content_dir):
    catalogue, warnings = load_catalogue_checked(content_dir)
    assert len(catalogue.courses) == 38
    assert warnings == []


def test_utf8_bom_and_semicolons_from_spreadsheets_are_accepted(content_dir):
    text = "\ufeff" + (COURSE_HEADER + GOOD_ROW).replace(",", ";")
    write(content_dir / "catalogue.csv", text)
    catalogue = load_catalogue(content_dir)
    assert catalogue.courses[0].id == "BIG-X-01"
    assert catalogue.courses[0].formation == "Pose de panneaux"


def test_latin1_is_refused_with_line_and_reason(content_dir):
    error = _catalogue_error(content_dir, COURSE_HEADER + GOOD_ROW.replace("Pose", "Pos\u00e9"), "latin-1")
    assert error.file == "catalogue.csv"
    assert error.line == 2
    assert "UTF-8" in error.reason


def test_empty_file(content_dir):
    error = _catalogue_error(content_dir, "")
    assert "vide" in error.reason


def test_header_without_rows(content_dir):
    error = _catalogue_error(content_dir, COURSE_HEADER)
    assert "aucune ligne" in error.reason


def test_unknown_and_missing_columns_are_all_listed(content_dir):
    header = COURSE_HEADER.replace("formation", "intitule").replace(",source", "")
    error = _catalogue_error(content_dir, header + GOOD_ROW)
    reasons = [p.reason for p in error.problems]
    assert "colonne inconnue « intitule »" in reasons
    assert "colonne manquante « formation »" in reasons
    assert "colonne manquante « source »" in reasons
    assert error.line == 1


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (GOOD_ROW.replace("CFP de Test", ""), "champ obligatoire « centre » vide"),
        (GOOD_ROW.replace("Pose de panneaux", ""), "champ obligatoire « formation » vide"),
        (GOOD_ROW.replace(",Bignona,", ",,"), "champ obligatoire « commune » vide"),
        (GOOD_ROW.replace("solaire", "astronautique"), "filière inconnue « astronautique »"),
        (GOOD_ROW.replace("bignona", "dakar"), "territoire inconnu « dakar »"),
        (GOOD_ROW.replace("6 mois,", "6 mois,x,"), "valeurs au lieu de"),
    ],
)
def test_bad_row_is_located(content_dir, row, expected):
    error = _catalogue_error(content_dir, COURSE_HEADER + GOOD_ROW.replace("X-01", "X-00") + row)
    assert error.file == "catalogue.csv"
    assert error.line == 3
    assert expected in error.reason


def test_duplicate_id(content_dir):
    error = _catalogue_error(content_dir, COURSE_HEADER + GOOD_ROW + GOOD_ROW)
    assert error.line == 3
    assert "BIG-X-01" in error.reason and "double" in error.reason


def test_all_problems_collected_up_to_the_cap(content_dir):
    rows = "".join(GOOD_ROW.replace("X-01", f"X-{i:02}").replace("solaire", "zzz") for i in range(30))
    error = _catalogue_error(content_dir, COURSE_HEADER + rows)
    assert len(error.problems) == MAX_PROBLEMS
    assert [p.line for p in error.problems[:3]] == [2, 3, 4]
    assert str(error).startswith("catalogue.csv, ligne 2 :")


def test_unknown_commune_is_a_warning_not_an_error(content_dir):
    write(content_dir / "catalogue.csv", COURSE_HEADER + GOOD_ROW.replace(",Bignona,", ",Ziguinchor,"))
    catalogue, warnings = load_catalogue_checked(content_dir)
    assert len(catalogue.courses) == 1
    assert len(warnings) == 1 and "Ziguinchor" in warnings[0] and "places.csv" in warnings[0]


def test_missing_bassin_is_taken_from_places(content_dir):
    write(content_dir / "catalogue.csv", COURSE_HEADER + GOOD_ROW.replace("Bignona-Kalounayes", ""))
    assert load_catalogue(content_dir).courses[0].bassin == "Bignona-Kalounayes"


def test_bad_filieres_file(content_dir):
    write(content_dir / "filieres.csv", "code,label\nsolaire,Un libellé beaucoup trop long pour un bouton\n")
    with pytest.raises(ContentError) as info:
        load_catalogue(content_dir)
    assert info.value.file == "filieres.csv" and "trop long" in info.value.reason


def test_bad_places_file(content_dir):
    write(content_dir / "places.csv", "commune,aliases,bassin,territoire,latitude,longitude\nBignona,,B,bignona,nord,ouest\n")
    with pytest.raises(ContentError) as info:
        load_catalogue(content_dir)
    assert info.value.file == "places.csv" and info.value.line == 2


EVENT_HEADER = "id,territoire,titre,centre,date,heure,lieu,description,source\n"


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        ("E1,bignona,Portes ouvertes,,12/12/2026,09:00,Bignona,,exemple\n", "date invalide « 12/12/2026 »"),
        ("E1,bignona,Portes ouvertes,,2026-02-30,09:00,Bignona,,exemple\n", "date invalide"),
        ("E1,bignona,Portes ouvertes,,2026-12-12,9h,Bignona,,exemple\n", "heure invalide « 9h »"),
        ("E1,bignona,Portes ouvertes,,2026-12-12,25:00,Bignona,,exemple\n", "heure invalide"),
        ("E1,savoi,Portes ouvertes,,2026-12-12,09:00,Bignona,,exemple\n", "territoire inconnu"),
        ("E1,bignona,,,2026-12-12,09:00,Bignona,,exemple\n", "champ obligatoire « titre » vide"),
    ],
)
def test_bad_event_is_located(content_dir, row, expected):
    write(content_dir / "events.csv", EVENT_HEADER + row)
    with pytest.raises(ContentError) as info:
        load_events(content_dir)
    assert (info.value.file, info.value.line) == ("events.csv", 2)
    assert expected in info.value.reason


def test_duplicate_event_id(content_dir):
    row = "E1,bignona,Portes ouvertes,,2026-12-12,09:00,Bignona,,exemple\n"
    write(content_dir / "events.csv", EVENT_HEADER + row + row)
    with pytest.raises(ContentError) as info:
        load_events(content_dir)
    assert info.value.line == 3


def test_debouches_are_loaded_per_filiere(content_dir):
    write(content_dir / "catalogue.csv", COURSE_HEADER + GOOD_ROW)
    write(content_dir / "filieres.csv", "code,label,debouches\nsolaire,Solaire,installateur·rice solaire|technicien·ne de maintenance\n")
    filiere = load_catalogue(content_dir).filiere_by_code["solaire"]
    assert filiere.debouches == ("installateur·rice solaire", "technicien·ne de maintenance")


@pytest.mark.parametrize("debouches", ["installateur (150 000 FCFA par mois)", "technicien avec un bon salaire", "soudeur 1800 €"])
def test_debouches_never_quote_pay(content_dir, debouches):
    write(content_dir / "filieres.csv", f"code,label,debouches\nsolaire,Solaire,{debouches}\n")
    with pytest.raises(ContentError) as info:
        load_catalogue(content_dir)
    assert info.value.file == "filieres.csv" and "salaire" in info.value.reason


def test_every_filiere_of_the_shipped_catalogue_has_debouches(content_dir):
    catalogue = load_catalogue(content_dir)
    assert all(f.debouches for f in catalogue.filieres_in_use())
