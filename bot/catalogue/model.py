"""The training catalogue as immutable values: courses, events, places, filières."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

# Only rows restating the TerraPro document are facts; everything else is a sample
# the bot must present as unconfirmed.
CONFIRMED_SOURCE = "document TerraPro"

TERRITORIES = ("bignona", "savoie")


@dataclass(frozen=True)
class Course:
    id: str
    territoire: str
    centre: str
    commune: str
    bassin: str
    filiere: str
    formation: str
    duree: str
    acces: str
    cout: str
    certification: str
    contact: str
    source: str

    @property
    def confirmed(self) -> bool:
        return self.source == CONFIRMED_SOURCE


@dataclass(frozen=True)
class Event:
    id: str
    territoire: str
    titre: str
    centre: str
    date: dt.date
    heure: str
    lieu: str
    description: str
    source: str
    # Derived from places.csv when the lieu is a known commune; lets announcements
    # target a bassin de vie.
    bassin: str = ""

    @property
    def confirmed(self) -> bool:
        return self.source == CONFIRMED_SOURCE


@dataclass(frozen=True)
class Place:
    commune: str
    aliases: tuple[str, ...]
    bassin: str
    territoire: str
    latitude: float
    longitude: float


@dataclass(frozen=True)
class Filiere:
    code: str
    label: str  # fits on a button (≤ 20 characters)
    description: str = ""
    # Extra words (French, Wolof, SMS) that point to this filière in a search.
    keywords: tuple[str, ...] = ()


@dataclass(frozen=True)
class Catalogue:
    courses: tuple[Course, ...]
    filieres: tuple[Filiere, ...]
    places: tuple[Place, ...]
    by_id: dict[str, Course] = field(init=False, repr=False, compare=False)
    filiere_by_code: dict[str, Filiere] = field(init=False, repr=False, compare=False)
    centres: tuple[str, ...] = field(init=False, repr=False, compare=False)
    bassins: tuple[str, ...] = field(init=False, repr=False, compare=False)
    territories: tuple[str, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Derived indexes, computed once; object.__setattr__ because the class is frozen.
        put = object.__setattr__
        put(self, "by_id", {c.id: c for c in self.courses})
        put(self, "filiere_by_code", {f.code: f for f in self.filieres})
        put(self, "centres", _distinct(c.centre for c in self.courses))
        put(self, "bassins", _distinct([p.bassin for p in self.places] + [c.bassin for c in self.courses if c.bassin]))
        put(self, "territories", _distinct([c.territoire for c in self.courses] + [p.territoire for p in self.places]))

    def courses_of_centre(self, name: str) -> list[Course]:
        wanted = name.strip().casefold()
        return [c for c in self.courses if c.centre.casefold() == wanted]

    def filieres_in_use(self) -> tuple[Filiere, ...]:
        used = {c.filiere for c in self.courses}
        return tuple(f for f in self.filieres if f.code in used)

    def filiere_label(self, code: str) -> str:
        found = self.filiere_by_code.get(code)
        return found.label if found else code

    def place_of(self, commune: str) -> Place | None:
        wanted = commune.strip().casefold()
        for place in self.places:
            if place.commune.casefold() == wanted:
                return place
        return None


def _distinct(values) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v for v in values if v))
