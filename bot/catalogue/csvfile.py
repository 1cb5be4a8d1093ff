"""Reading a content CSV as a coordinator's spreadsheet produces it, with every problem located.

Spreadsheets add a UTF-8 BOM and French Excel writes ';' separators: both are
accepted. Latin-1 bytes are refused with a reason a coordinator can act on.
"""
from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from bot.core.errors import ContentError

MAX_PROBLEMS = 20
MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20_000
# Text direction overrides and isolates can make a cell display differently from what
# it contains (a phone number or a link shown reversed): never in the catalogue.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# A cell starting with one of these is run as a formula by spreadsheets.
FORMULA_STARTS = ("=", "+", "-", "@")
_PLAIN_NUMBER = re.compile(r"^[+-]?\d+(?:[.,]\d+)?$")


def forbidden_character(cell: str) -> str | None:
    """A description of the first control or bidi-override character in ``cell``, if any."""
    for ch in cell:
        if ch in _BIDI_CONTROLS:
            return f"caractère de sens d'écriture caché (U+{ord(ch):04X})"
        if unicodedata.category(ch) == "Cc":
            return "caractère nul" if ch == "\x00" else f"caractère de contrôle (U+{ord(ch):04X})"
    return None


def neutralise_formula(cell: str) -> str:
    """What the project writes into a CSV: a cell a spreadsheet would run gets a leading quote.

    Plain numbers (a longitude like -16.27) are left as they are: a spreadsheet reads them as numbers.
    """
    if cell.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.match(cell):
        return "'" + cell
    return cell


def _restore_formula(cell: str) -> str:
    """The inverse of neutralise_formula, when reading a file the project wrote."""
    if len(cell) > 1 and cell[0] == "'" and cell[1] in FORMULA_STARTS:
        return cell[1:]
    return cell


class ContentProblems(ContentError):
    """Several problems in content files; reads as the first one, lists them all in ``problems``."""

    def __init__(self, problems: list[ContentError]) -> None:
        first = problems[0]
        super().__init__(first.file, first.line, first.reason)
        self.problems = list(problems)


class TooManyProblems(Exception):
    """Internal: stop reading once MAX_PROBLEMS are collected."""


@dataclass
class Problems:
    """Collects validation problems so a coordinator fixes a file in one go."""

    items: list[ContentError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def add(self, file: str, line: int | None, reason: str) -> None:
        self.items.append(ContentError(file, line, reason))
        if len(self.items) >= MAX_PROBLEMS:
            raise TooManyProblems

    def warn(self, file: str, line: int | None, reason: str) -> None:
        where = f"{file}, ligne {line}" if line else file
        self.warnings.append(f"{where} : {reason}")

    def raise_if_any(self) -> None:
        if self.items:
            raise ContentProblems(self.items)


@dataclass(frozen=True)
class Row:
    line: int
    values: dict[str, str]


def decode(data: bytes, name: str) -> str:
    if not data.strip():
        raise ContentProblems([ContentError(name, None, "le fichier est vide")])
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        reason = (
            "encodage invalide : le fichier n'est pas en UTF-8 (sans doute Latin-1/Windows). "
            "Dans le tableur, enregistrez-le en « CSV UTF-8 »"
        )
        raise ContentProblems([ContentError(name, line, reason)]) from None


def read_rows(
    path: Path,
    *,
    required: tuple[str, ...],
    optional: tuple[str, ...] = (),
    problems: Problems,
    name: str | None = None,
) -> Iterator[Row]:
    """Yields stripped rows; header problems stop the file, row problems are the caller's."""
    name = name or path.name
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise ContentProblems([ContentError(
                name, None, f"fichier trop gros (plus de {MAX_FILE_BYTES // (1024 * 1024)} Mo) : est-ce bien le bon ?"
            )])
        data = path.read_bytes()
    except FileNotFoundError:
        raise ContentProblems([ContentError(name, None, "fichier introuvable")]) from None
    text = decode(data, name)
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = [h.strip().lstrip("\ufeff").lower() for h in next(reader)]
    except StopIteration:
        raise ContentProblems([ContentError(name, None, "le fichier est vide")]) from None
    except csv.Error as exc:
        raise ContentProblems([ContentError(name, 1, f"en-tête illisible ({exc})")]) from None
    known = set(required) | set(optional)
    header_problems = [f"colonne inconnue « {h} »" for h in header if h not in known]
    header_problems += [f"colonne manquante « {c} »" for c in required if c not in header]
    duplicates = {h for h in header if header.count(h) > 1}
    header_problems += [f"colonne en double « {h} »" for h in sorted(duplicates)]
    if header_problems:
        raise ContentProblems([ContentError(name, 1, reason) for reason in header_problems])
    seen_rows = 0
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            problems.add(name, reader.line_num, f"ligne CSV illisible ({exc})")
            continue
        if not any(cell.strip() for cell in cells):
            continue  # blank lines left by spreadsheets
        seen_rows += 1
        if seen_rows > MAX_ROWS:
            problems.add(name, reader.line_num, f"plus de {MAX_ROWS} lignes : fichier refusé")
            raise TooManyProblems
        bad = [(column, forbidden_character(cell)) for column, cell in zip(header, cells)]
        bad = [(column, reason) for column, reason in bad if reason]
        if bad:
            column, reason = bad[0]
            problems.add(name, reader.line_num, f"colonne « {column} » : {reason}, à retirer")
            continue
        if len(cells) != len(header):
            problems.add(
                name,
                reader.line_num,
                f"{len(cells)} valeurs au lieu de {len(header)} (virgule en trop ou guillemets manquants ?)",
            )
            continue
        values = {column: _restore_formula(cell.strip()) for column, cell in zip(header, cells)}
        for column in optional:
            values.setdefault(column, "")
        yield Row(reader.line_num, values)
    if not seen_rows:
        problems.add(name, None, "le fichier ne contient aucune ligne de données")


def check_required(row: Row, fields: tuple[str, ...], name: str, problems: Problems) -> bool:
    ok = True
    for column in fields:
        if not row.values.get(column):
            problems.add(name, row.line, f"champ obligatoire « {column} » vide")
            ok = False
    return ok
