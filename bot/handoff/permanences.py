"""When referents answer, per bassin (content/permanences.csv).

Columns: bassin, jours ("lun-ven", "sam", "lun,mer"), heure_debut, heure_fin (HH:MM, local),
fuseau (IANA zone). Several rows per bassin add up; bassin "*" covers bassins without rows.
No file or no matching row means "always open": the bot never claims a closure it does not know.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.core.errors import BadInput

DAYS = ("lun", "mar", "mer", "jeu", "ven", "sam", "dim")
DAY_NAMES = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
ANY_BASSIN = "*"
FILE_NAME = "permanences.csv"


class PermanenceError(BadInput, ValueError):
    pass


@dataclass(frozen=True)
class Slot:
    days: frozenset[int]  # 0 = Monday
    start: time
    end: time
    zone: ZoneInfo

    def contains(self, moment: datetime) -> bool:
        local = moment.astimezone(self.zone)
        return local.weekday() in self.days and self.start <= local.time() < self.end


def _days(text: str) -> frozenset[int]:
    found: set[int] = set()
    for part in text.replace(" ", "").lower().split(","):
        first, _, last = part.partition("-")
        if first not in DAYS or (last and last not in DAYS):
            raise PermanenceError(f"jours invalides : {text!r} (ex. lun-ven, sam, lun,mer)")
        a, b = DAYS.index(first), DAYS.index(last or first)
        found.update(range(a, b + 1) if a <= b else [*range(a, 7), *range(0, b + 1)])
    return frozenset(found)


def _time(text: str) -> time:
    try:
        return time.fromisoformat(text.strip())
    except ValueError as exc:
        raise PermanenceError(f"heure invalide : {text!r} (HH:MM)") from exc


def _clock(moment: time) -> str:
    return f"{moment.hour}h{moment.minute:02d}"


def _day_words(days: frozenset[int]) -> str:
    ordered = sorted(days)
    if len(ordered) == 1:
        return f"le {DAY_NAMES[ordered[0]]}"
    if ordered == list(range(ordered[0], ordered[-1] + 1)):
        return f"du {DAY_NAMES[ordered[0]]} au {DAY_NAMES[ordered[-1]]}"
    return "les " + ", ".join(DAY_NAMES[d] for d in ordered)


class Permanences:
    def __init__(self, slots: dict[str, list[Slot]]) -> None:
        self._slots = slots

    @classmethod
    def load(cls, content_dir: Path) -> Permanences:
        path = Path(content_dir) / FILE_NAME
        if not path.exists():
            return cls({})
        slots: dict[str, list[Slot]] = {}
        with path.open(encoding="utf-8", newline="") as handle:
            for number, row in enumerate(csv.DictReader(handle), start=2):
                try:
                    zone = ZoneInfo((row.get("fuseau") or "Africa/Dakar").strip())
                    slot = Slot(_days(row["jours"]), _time(row["heure_debut"]), _time(row["heure_fin"]), zone)
                except (KeyError, TypeError, ValueError, ZoneInfoNotFoundError) as exc:
                    raise PermanenceError(f"{path.name} ligne {number} : {exc}") from exc
                if slot.end <= slot.start:
                    raise PermanenceError(f"{path.name} ligne {number} : la fin doit suivre le début")
                slots.setdefault((row.get("bassin") or ANY_BASSIN).strip(), []).append(slot)
        return cls(slots)

    def _for(self, bassin: str | None) -> list[Slot]:
        return self._slots.get(bassin or "", []) or self._slots.get(ANY_BASSIN, [])

    def is_open(self, bassin: str | None, moment: datetime) -> bool:
        slots = self._for(bassin)
        return not slots or any(s.contains(moment) for s in slots)

    def next_opening(self, bassin: str | None, moment: datetime) -> datetime | None:
        """The next local start of a permanence after ``moment`` (None if always open)."""
        best: datetime | None = None
        for slot in self._for(bassin):
            local = moment.astimezone(slot.zone)
            for offset in range(8):
                day = local.date() + timedelta(days=offset)
                start = datetime.combine(day, slot.start, tzinfo=slot.zone)
                if day.weekday() in slot.days and start > local:
                    if best is None or start < best:
                        best = start
                    break
        return best

    def describe(self, bassin: str | None) -> str | None:
        """'du lundi au vendredi de 9h00 à 17h00, le samedi de 9h00 à 12h00'; None when always open."""
        return ", ".join(
            f"{_day_words(slot.days)} de {_clock(slot.start)} à {_clock(slot.end)}" for slot in self._for(bassin)
        ) or None

    def when_text(self, bassin: str | None, moment: datetime) -> str | None:
        """'demain à 9h00', 'lundi à 9h00'... or None when open now or always open."""
        if self.is_open(bassin, moment):
            return None
        opening = self.next_opening(bassin, moment)
        if opening is None:
            return None
        today = moment.astimezone(opening.tzinfo).date()
        delta = (opening.date() - today).days
        day = "aujourd'hui" if delta == 0 else "demain" if delta == 1 else DAY_NAMES[opening.weekday()]
        return f"{day} à {opening.hour}h{opening.minute:02d}"
