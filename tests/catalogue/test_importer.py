from __future__ import annotations

import os
from datetime import date

import pytest

from bot.catalogue.importer import import_catalogue, import_events
from bot.catalogue.loader import load_catalogue, load_events
from bot.core.errors import ContentError

from .conftest import COURSE_HEADER, GOOD_ROW, write


def _leftovers(directory):
    return [p.name for p in directory.iterdir() if p.name.endswith(".tmp")]


def test_import_replaces_catalogue_in_canonical_form(content_dir, tmp_path):
    source = write(tmp_path / "new.csv", "\ufeff" + (COURSE_HEADER + GOOD_ROW).replace(",", ";"))
    report = import_catalogue(source, content_dir)
    assert (report.rows, report.centres, report.filieres) == (1, 1, 1)
    assert report.warnings == []
    data = (content_dir / "catalogue.csv").read_bytes()
    assert not data.startswith(b"\xef\xbb\xbf") and data.startswith(b"id,territoire,")
    assert [c.id for c in load_catalogue(content_dir).courses] == ["BIG-X-01"]
    assert "1 formation(s)" in report.summary()
    assert _leftovers(content_dir) == []


def test_import_warns_about_unknown_commune(content_dir, tmp_path):
    source = write(tmp_path / "new.csv", COURSE_HEADER + GOOD_ROW.replace(",Bignona,", ",Ziguinchor,"))
    report = import_catalogue(source, content_dir)
    assert len(report.warnings) == 1 and "Ziguinchor" in report.warnings[0]


@pytest.mark.parametrize(
    "text",
    [
        "",
        COURSE_HEADER,
        COURSE_HEADER + GOOD_ROW.replace("solaire", "inconnue"),
        COURSE_HEADER + GOOD_ROW + GOOD_ROW,
        (COURSE_HEADER + GOOD_ROW.replace("Pose", "Posé")).encode("utf-8").decode("utf-8"),
    ],
)
def test_bad_file_changes_nothing(content_dir, tmp_path, text):
    before = (content_dir / "catalogue.csv").read_bytes()
    source = write(tmp_path / "new.csv", text, "latin-1" if "Posé" in text else "utf-8")
    with pytest.raises(ContentError):
        import_catalogue(source, content_dir)
    assert (content_dir / "catalogue.csv").read_bytes() == before
    assert _leftovers(content_dir) == []


def test_failure_during_swap_leaves_old_file_intact(content_dir, tmp_path, monkeypatch):
    before = (content_dir / "catalogue.csv").read_bytes()
    source = write(tmp_path / "new.csv", COURSE_HEADER + GOOD_ROW)

    def broken_replace(src, dst):
        raise OSError("disque plein")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError):
        import_catalogue(source, content_dir)
    assert (content_dir / "catalogue.csv").read_bytes() == before
    assert _leftovers(content_dir) == []


def test_import_events(content_dir, tmp_path):
    source = write(
        tmp_path / "ev.csv",
        "id,territoire,titre,centre,date,heure,lieu,description,source\n"
        "E1,bignona,Portes ouvertes,CFP de Baïla,2027-05-02,10:00,Baïla,Visite,exemple\n"
        "E2,bignona,Ancien forum,,2026-01-02,,Bignona,,exemple\n",
    )
    report = import_events(source, content_dir, today=date(2026, 11, 26))
    assert report.rows == 2
    assert any("E2" in w and "passée" in w for w in report.warnings)
    assert [e.id for e in load_events(content_dir)] == ["E1", "E2"]
    assert load_events(content_dir)[0].bassin == "Fogny"


def test_bad_events_file_changes_nothing(content_dir, tmp_path):
    before = (content_dir / "events.csv").read_bytes()
    source = write(
        tmp_path / "ev.csv",
        "id,territoire,titre,centre,date,heure,lieu,description,source\nE1,bignona,PO,,demain,10:00,Baïla,,exemple\n",
    )
    with pytest.raises(ContentError) as info:
        import_events(source, content_dir)
    assert info.value.line == 2
    assert (content_dir / "events.csv").read_bytes() == before


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        (GOOD_ROW.replace("Pose de", "Pose\x00de"), "caractère nul"),
        (GOOD_ROW.replace("Pose de", "Pose\x1b[2Jde"), "caractère de contrôle (U+001B)"),
        (GOOD_ROW.replace("exemple", "exemple\u202eelpmexe"), "sens d'écriture caché (U+202E)"),
        (GOOD_ROW.replace("Pose de", "Pose\u2066de"), "sens d'écriture caché (U+2066)"),
        (GOOD_ROW.replace("BIG-X-01", "big-x-01"), "seulement A-Z, 0-9"),
        (GOOD_ROW.replace("BIG-X-01", "BIG X 01"), "seulement A-Z, 0-9"),
        (GOOD_ROW.replace("BIG-X-01", "=HYPERLINK(1)"), "seulement A-Z, 0-9"),
    ],
)
def test_import_refuses_hidden_characters_and_odd_ids(content_dir, tmp_path, row, reason):
    before = (content_dir / "catalogue.csv").read_bytes()
    source = write(tmp_path / "new.csv", COURSE_HEADER + row)
    with pytest.raises(ContentError) as info:
        import_catalogue(source, content_dir)
    assert reason in str(info.value) and info.value.line == 2
    assert (content_dir / "catalogue.csv").read_bytes() == before


def test_import_refuses_a_file_over_5_mb(content_dir, tmp_path):
    source = write(tmp_path / "big.csv", COURSE_HEADER + GOOD_ROW + "#" * (5 * 1024 * 1024))
    with pytest.raises(ContentError, match="trop gros"):
        import_catalogue(source, content_dir)


def test_import_refuses_more_than_20000_rows(content_dir, tmp_path):
    rows = "".join(GOOD_ROW.replace("BIG-X-01", f"BIG-X-{n}") for n in range(20_001))
    source = write(tmp_path / "many.csv", COURSE_HEADER + rows)
    with pytest.raises(ContentError, match="plus de 20000 lignes"):
        import_catalogue(source, content_dir)


def test_written_csv_neutralises_formulas_and_reads_back_the_same(content_dir, tmp_path):
    row = GOOD_ROW.replace("6 mois,,,,,", "6 mois,-5%,=1+1,@SUM(A1),+221 33 991 12 34,")
    source = write(tmp_path / "new.csv", COURSE_HEADER + row)
    import_catalogue(source, content_dir)
    written = (content_dir / "catalogue.csv").read_text(encoding="utf-8")
    assert ",'-5%,'=1+1,'@SUM(A1),'+221 33 991 12 34," in written
    [course] = load_catalogue(content_dir).courses
    assert (course.acces, course.cout, course.certification, course.contact) == (
        "-5%", "=1+1", "@SUM(A1)", "+221 33 991 12 34"
    )
