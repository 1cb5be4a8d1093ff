"""Replacing content/catalogue.csv or events.csv with a coordinator's new file, all or nothing."""
from __future__ import annotations

import csv
import io
import os
import tempfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from bot.catalogue.loader import (
    CATALOGUE_FILE,
    COURSE_COLUMNS,
    EVENT_COLUMNS,
    EVENTS_FILE,
    load_catalogue_checked,
    load_events_checked,
)


@dataclass(frozen=True)
class ImportReport:
    target: Path
    rows: int
    centres: int = 0
    filieres: int = 0
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> str:
        if self.target.name == EVENTS_FILE:
            text = f"{self.rows} événement(s) importé(s)."
        else:
            text = f"{self.rows} formation(s), {self.centres} centre(s), {self.filieres} filière(s) importés."
        if self.warnings:
            text += f" {len(self.warnings)} avertissement(s)."
        return text


def import_catalogue(source_csv: Path, content_dir: Path) -> ImportReport:
    """Validates ``source_csv`` against the current filières/places, then swaps it in atomically.

    Raises ContentProblems (a ContentError) and leaves content/ untouched when the file is bad.
    """
    content_dir = Path(content_dir)
    catalogue, warnings = load_catalogue_checked(content_dir, Path(source_csv))
    rows = [[getattr(course, column) for column in COURSE_COLUMNS] for course in catalogue.courses]
    target = content_dir / CATALOGUE_FILE
    _atomic_write_csv(target, COURSE_COLUMNS, rows)
    return ImportReport(
        target=target,
        rows=len(catalogue.courses),
        centres=len(catalogue.centres),
        filieres=len({c.filiere for c in catalogue.courses}),
        warnings=warnings,
    )


def import_events(source_csv: Path, content_dir: Path, today: date | None = None) -> ImportReport:
    """Same contract as import_catalogue for events.csv; ``today`` adds a warning per past event."""
    content_dir = Path(content_dir)
    events, warnings = load_events_checked(content_dir, Path(source_csv))
    if today is not None:
        warnings += [f"{e.id} : date passée ({e.date.isoformat()}), il ne sera pas annoncé" for e in events if e.date < today]
    rows = [
        [e.date.isoformat() if column == "date" else getattr(e, column) for column in EVENT_COLUMNS] for e in events
    ]
    target = content_dir / EVENTS_FILE
    _atomic_write_csv(target, EVENT_COLUMNS, rows)
    return ImportReport(target=target, rows=len(events), warnings=warnings)


def _atomic_write_csv(target: Path, header: tuple[str, ...], rows: list[list[str]]) -> None:
    # Re-written in canonical form (UTF-8 without BOM, ',' separator) so the rest of
    # the code base only ever sees one dialect.
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    data = buffer.getvalue().encode("utf-8")
    descriptor, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if target.exists():
            os.chmod(temp_name, target.stat().st_mode & 0o777)
        else:
            os.chmod(temp_name, 0o644)
        os.replace(temp_name, target)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
    _fsync_dir(target.parent)


def _fsync_dir(directory: Path) -> None:
    # Makes the rename itself durable; not possible on every platform, harmless to skip.
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
