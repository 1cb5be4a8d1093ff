from __future__ import annotations

import argparse
import io
import json
import sys

import pytest

from bot.catalogue.cli import register
from bot.settings import Settings

from .conftest import COURSE_HEADER, GOOD_ROW, NLU_DATA, write


def run(argv, content_dir, stdin=""):
    """Runs a command through argparse as `terrapro` would; returns (exit code, stdout, stderr)."""
    settings = Settings(content_dir=content_dir, nlu_data_dir=NLU_DATA)
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers(dest="command", required=True), lambda: settings)
    args = parser.parse_args(argv)
    out, err = io.StringIO(), io.StringIO()

    old = sys.stdout, sys.stderr, sys.stdin
    sys.stdout, sys.stderr, sys.stdin = out, err, io.StringIO(stdin)
    try:
        code = args.run(args)
    finally:
        sys.stdout, sys.stderr, sys.stdin = old
    return code, out.getvalue(), err.getvalue()


def test_check_ok_prints_french_summary(content_dir):
    code, out, err = run(["catalogue", "check"], content_dir)
    assert code == 0, err
    assert "38 formations, 15 centres, 20 filières, 6 événements" in out


def test_check_reports_file_line_reason(content_dir):
    write(content_dir / "catalogue.csv", COURSE_HEADER + GOOD_ROW + GOOD_ROW.replace("solaire", "zzz"))
    write(content_dir / "events.csv", "id,territoire,titre,centre,date,heure,lieu,description,source\nE1,bignona,PO,,2026-13-01,,Baïla,,x\n")
    code, out, err = run(["catalogue", "check"], content_dir)
    assert code == 1
    assert "catalogue.csv, ligne 3, filière inconnue « zzz »" in err
    assert "events.csv, ligne 2, date invalide" in err


def test_import_command(content_dir, tmp_path):
    source = write(tmp_path / "new.csv", COURSE_HEADER + GOOD_ROW)
    code, out, _ = run(["catalogue", "import", str(source)], content_dir)
    assert code == 0 and "1 formation(s)" in out
    bad = write(tmp_path / "bad.csv", COURSE_HEADER + GOOD_ROW.replace("bignona", "paris"))
    code, _, err = run(["catalogue", "import", str(bad)], content_dir)
    assert code == 1 and "ligne 2" in err and "aucun fichier n'a été modifié" in err
    code, _, err = run(["catalogue", "import", str(tmp_path / "absent.csv")], content_dir)
    assert code == 1


def test_search_json(content_dir):
    code, out, _ = run(["search", "solair a baila", "--json", "--limit", "2"], content_dir)
    assert code == 0
    results = json.loads(out)
    assert len(results) == 2
    assert results[0]["id"] == "BIG-BAI-04"
    assert set(results[0]) == {"id", "centre", "formation", "filiere", "commune", "bassin", "territoire", "score"}


def test_search_reads_stdin_one_json_array_per_line(content_dir):
    code, out, _ = run(["search", "--json", "--territoire", "savoie"], content_dir, stdin="couture\nastronaute\nsolaire\n")
    lines = out.splitlines()
    assert code == 0 and len(lines) == 3
    assert json.loads(lines[1]) == []
    assert json.loads(lines[2])[0]["territoire"] == "savoie"


@pytest.mark.parametrize("query", ["aldabar", "astronaute"])
def test_search_human_output(content_dir, query):
    code, out, _ = run(["search", query], content_dir)
    assert code == 0
    assert ("CFP d'Aldabar" in out) if query == "aldabar" else ("Aucune formation trouvée." in out)
