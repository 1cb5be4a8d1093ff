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
