"""A coordinator's CSV upload, through the same validation and atomic swap as `terrapro catalogue import`.

A coordinator of one territory uploads only their territory's rows; the other
territories' current rows are kept as they are.
"""
from __future__ import annotations

import csv
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bot.catalogue.importer import ImportReport, import_catalogue, import_events
from bot.catalogue.loader import (
    COURSE_COLUMNS,
    EVENT_COLUMNS,
    load_catalogue,
    load_catalogue_checked,
    load_events,
    load_events_checked,
)
from bot.core.errors import ContentError
from bot.reports.csvsafe import to_csv


@dataclass(frozen=True)
class Kind:
    columns: tuple[str, ...]
    label: str


KINDS = {"formations": Kind(COURSE_COLUMNS, "formations"), "evenements": Kind(EVENT_COLUMNS, "événements")}


def _cell(item, column: str) -> str:
    value = getattr(item, column)
    return value.isoformat() if column == "date" else str(value)


def current_items(kind: str, content_dir: Path) -> list:
    return list(load_catalogue(content_dir).courses) if kind == "formations" else list(load_events(content_dir))


def rows_of(kind: str, items) -> list[list[str]]:
    return [[_cell(item, column) for column in KINDS[kind].columns] for item in items]


def export_csv(kind: str, content_dir: Path, territoire: str | None) -> str:
    items = [i for i in current_items(kind, content_dir) if territoire is None or i.territoire == territoire]
    return to_csv(KINDS[kind].columns, rows_of(kind, items))


class OtherTerritory(ContentError):
    pass


def upload(kind: str, data: bytes, content_dir: Path, territoire: str | None, refusal: str) -> ImportReport:
    """Validate then swap in; raises ContentError (with .problems) and changes nothing on a bad file.

    ``refusal`` is the French reason for a row of another territory ({territoire}, {own}).
    """
    with tempfile.TemporaryDirectory(prefix="terrapro-upload-") as folder:
        source = Path(folder) / f"{kind}.csv"
        source.write_bytes(data)
        if territoire is None:
            return _import(kind, source, content_dir)
        items = _validated(kind, content_dir, source)
        strangers = [
            OtherTerritory(source.name, index + 2, refusal.format(territoire=item.territoire, own=territoire))
            for index, item in enumerate(items) if item.territoire != territoire
        ]
        if strangers:
            from bot.catalogue.csvfile import ContentProblems

            raise ContentProblems(strangers)
        others = [i for i in current_items(kind, content_dir) if i.territoire != territoire]
        merged = Path(folder) / f"{kind}-fusion.csv"
        with merged.open("w", encoding="utf-8", newline="") as handle:
            # Plain CSV here: this file is read back by the importer, not by a spreadsheet.
            writer = csv.writer(handle)
            writer.writerow(KINDS[kind].columns)
            writer.writerows(rows_of(kind, items + others))
        return _import(kind, merged, content_dir)


def _validated(kind: str, content_dir: Path, source: Path) -> list:
    if kind == "formations":
        return list(load_catalogue_checked(content_dir, source)[0].courses)
    return list(load_events_checked(content_dir, source)[0])


def _import(kind: str, source: Path, content_dir: Path) -> ImportReport:
    return import_catalogue(source, content_dir) if kind == "formations" else import_events(source, content_dir)
