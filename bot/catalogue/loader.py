"""Loading and validating content/ (catalogue, filières, places, events)."""
from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from bot.catalogue.csvfile import ContentProblems, Problems, Row, TooManyProblems, check_required, read_rows
from bot.catalogue.model import TERRITORIES, Catalogue, Course, Event, Filiere, Place

CATALOGUE_FILE = "catalogue.csv"
EVENTS_FILE = "events.csv"
FILIERES_FILE = "filieres.csv"
PLACES_FILE = "places.csv"

COURSE_COLUMNS = (
    "id", "territoire", "centre", "commune", "bassin", "filiere", "formation",
    "duree", "acces", "cout", "certification", "contact", "source",
)
COURSE_REQUIRED = ("id", "territoire", "centre", "commune", "filiere", "formation")
EVENT_COLUMNS = ("id", "territoire", "titre", "centre", "date", "heure", "lieu", "description", "source")
EVENT_REQUIRED = ("id", "territoire", "titre", "date", "lieu")
PLACE_COLUMNS = ("commune", "aliases", "bassin", "territoire", "latitude", "longitude")
FILIERE_COLUMNS = ("code", "label")
LABEL_MAX = 20

_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# Débouchés name jobs, never pay: an amount or a salary word is refused.
_PAY = re.compile(r"\d|€|\b(fcfa|cfa|euros?|francs?|salaires?|smic|paye|payé|gagner|gagne)\b", re.IGNORECASE)


def load_catalogue(content_dir: Path) -> Catalogue:
    """The validated catalogue; raises ContentProblems (a ContentError) listing what is wrong."""
    catalogue, _warnings = load_catalogue_checked(content_dir)
    return catalogue


def load_catalogue_checked(
    content_dir: Path, catalogue_file: Path | None = None
) -> tuple[Catalogue, list[str]]:
    """Like load_catalogue, also returning warnings; ``catalogue_file`` replaces content/catalogue.csv."""
    content_dir = Path(content_dir)
    filieres = read_filieres(content_dir / FILIERES_FILE)
    places = read_places(content_dir / PLACES_FILE)
    courses, warnings = read_courses(catalogue_file or content_dir / CATALOGUE_FILE, filieres, places)
    return Catalogue(courses=courses, filieres=filieres, places=places), warnings


def load_events(content_dir: Path, events_file: Path | None = None) -> list[Event]:
    events, _warnings = load_events_checked(content_dir, events_file)
    return events


def load_events_checked(content_dir: Path, events_file: Path | None = None) -> tuple[list[Event], list[str]]:
    content_dir = Path(content_dir)
    places_path = content_dir / PLACES_FILE
    places = read_places(places_path) if places_path.exists() else ()
    return read_events(events_file or content_dir / EVENTS_FILE, places)


def upcoming_events(
    events: list[Event],
    today: date,
    territoire: str | None = None,
    bassin: str | None = None,
) -> list[Event]:
    """Events on or after ``today`` (never past ones), soonest first, optionally for one territory/bassin."""
    chosen = [
        e
        for e in events
        if e.date >= today
        and (territoire is None or e.territoire == territoire)
        and (bassin is None or e.bassin == bassin)
    ]
    return sorted(chosen, key=lambda e: (e.date, e.heure, e.id))


def read_filieres(path: Path) -> tuple[Filiere, ...]:
    problems = Problems()
    result: list[Filiere] = []
    seen: set[str] = set()
    try:
        for row in read_rows(path, required=FILIERE_COLUMNS, optional=("description", "debouches", "mots_cles"), problems=problems):
            v = row.values
            if not check_required(row, FILIERE_COLUMNS, path.name, problems):
                continue
            if v["code"] in seen:
                problems.add(path.name, row.line, f"code de filière en double « {v['code']} »")
                continue
            if not re.fullmatch(r"[a-z0-9_]+", v["code"]):
                problems.add(path.name, row.line, f"code de filière « {v['code']} » : minuscules, chiffres et _ seulement")
                continue
            if len(v["label"]) > LABEL_MAX:
                problems.add(path.name, row.line, f"libellé « {v['label']} » trop long pour un bouton (max {LABEL_MAX} caractères)")
                continue
            if _PAY.search(v["debouches"]):
                problems.add(path.name, row.line, f"débouchés de « {v['code']} » : des métiers seulement, jamais de salaire ni de montant")
                continue
            seen.add(v["code"])
            keywords = tuple(k.strip() for k in v["mots_cles"].split("|") if k.strip())
            debouches = tuple(d.strip() for d in v["debouches"].split("|") if d.strip())
            result.append(Filiere(v["code"], v["label"], v["description"], keywords, debouches))
    except TooManyProblems:
        pass
    problems.raise_if_any()
    return tuple(result)


def read_places(path: Path) -> tuple[Place, ...]:
    problems = Problems()
    result: list[Place] = []
    seen: set[str] = set()
    try:
        for row in read_rows(path, required=PLACE_COLUMNS, optional=("source",), problems=problems):
            v = row.values
            if not check_required(row, ("commune", "bassin", "territoire", "latitude", "longitude"), path.name, problems):
                continue
            if v["territoire"] not in TERRITORIES:
                problems.add(path.name, row.line, _bad_territory(v["territoire"]))
                continue
            if v["commune"].casefold() in seen:
                problems.add(path.name, row.line, f"commune en double « {v['commune']} »")
                continue
            try:
                latitude, longitude = float(v["latitude"]), float(v["longitude"])
            except ValueError:
                problems.add(path.name, row.line, "latitude/longitude invalides (nombres avec un point, ex. 12.81)")
                continue
            if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
                problems.add(path.name, row.line, "latitude/longitude hors limites")
                continue
            seen.add(v["commune"].casefold())
            aliases = tuple(a.strip() for a in v["aliases"].split("|") if a.strip())
            result.append(Place(v["commune"], aliases, v["bassin"], v["territoire"], latitude, longitude))
    except TooManyProblems:
        pass
    problems.raise_if_any()
    return tuple(result)


def read_courses(
    path: Path, filieres: tuple[Filiere, ...], places: tuple[Place, ...]
) -> tuple[tuple[Course, ...], list[str]]:
    name = path.name
    problems = Problems()
    codes = {f.code for f in filieres}
    place_by_commune = {p.commune.casefold(): p for p in places}
    result: list[Course] = []
    seen: dict[str, int] = {}
    try:
        for row in read_rows(path, required=COURSE_COLUMNS, problems=problems):
            v = dict(row.values)
            if not check_required(row, COURSE_REQUIRED, name, problems):
                continue
            ok = _check_identity(row, v, seen, name, problems)
            if v["filiere"] not in codes:
                problems.add(
                    name, row.line,
                    f"filière inconnue « {v['filiere']} » (ajoutez-la d'abord dans {FILIERES_FILE})",
                )
                ok = False
            if not ok:
                continue
            seen[v["id"]] = row.line
            place = place_by_commune.get(v["commune"].casefold())
            if place is None:
                problems.warn(
                    name, row.line,
                    f"commune « {v['commune']} » absente de {PLACES_FILE} : la recherche par lieu ne la trouvera pas",
                )
            else:
                if not v["bassin"]:
                    v["bassin"] = place.bassin
                elif v["bassin"] != place.bassin:
                    problems.warn(
                        name, row.line,
                        f"bassin « {v['bassin']} » différent de celui de {place.commune} dans {PLACES_FILE} (« {place.bassin} »)",
                    )
                if place.territoire != v["territoire"]:
                    problems.warn(name, row.line, f"{place.commune} est rattachée au territoire « {place.territoire} »")
            result.append(Course(**{column: v[column] for column in COURSE_COLUMNS}))
    except TooManyProblems:
        pass
    problems.raise_if_any()
    return tuple(result), problems.warnings


def read_events(path: Path, places: tuple[Place, ...]) -> tuple[list[Event], list[str]]:
    name = path.name
    problems = Problems()
    place_by_name = {}
    for place in places:
        for alias in (place.commune, *place.aliases):
            place_by_name.setdefault(alias.casefold(), place)
    result: list[Event] = []
    seen: dict[str, int] = {}
    try:
        for row in read_rows(path, required=EVENT_COLUMNS, problems=problems):
            v = row.values
            if not check_required(row, EVENT_REQUIRED, name, problems):
                continue
            ok = _check_identity(row, v, seen, name, problems)
            when = _parse_date(v["date"])
            if when is None:
                problems.add(name, row.line, f"date invalide « {v['date']} » (format AAAA-MM-JJ, ex. 2027-01-16)")
                ok = False
            if v["heure"] and not _TIME.match(v["heure"]):
                problems.add(name, row.line, f"heure invalide « {v['heure']} » (format HH:MM, ex. 09:30)")
                ok = False
            if not ok:
                continue
            seen[v["id"]] = row.line
            place = place_by_name.get(v["lieu"].casefold())
            if place is None and places:
                problems.warn(name, row.line, f"lieu « {v['lieu']} » absent de {PLACES_FILE}")
            result.append(
                Event(
                    id=v["id"], territoire=v["territoire"], titre=v["titre"], centre=v["centre"],
                    date=when, heure=v["heure"], lieu=v["lieu"], description=v["description"],
                    source=v["source"], bassin=place.bassin if place else "",
                )
            )
    except TooManyProblems:
        pass
    problems.raise_if_any()
    return result, problems.warnings


def _check_identity(row: Row, v: dict[str, str], seen: dict[str, int], name: str, problems: Problems) -> bool:
    """Rows of every content file: a unique id and a known territory."""
    ok = True
    if v["id"] in seen:
        problems.add(name, row.line, f"identifiant « {v['id']} » en double (déjà ligne {seen[v['id']]})")
        ok = False
    if v["territoire"] not in TERRITORIES:
        problems.add(name, row.line, _bad_territory(v["territoire"]))
        ok = False
    return ok


def _parse_date(text: str) -> date | None:
    if not _DATE.match(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _bad_territory(value: str) -> str:
    return f"territoire inconnu « {value} » (attendu : {' ou '.join(TERRITORIES)})"


__all__ = [
    "ContentProblems", "load_catalogue", "load_catalogue_checked", "load_events", "load_events_checked",
    "upcoming_events", "read_courses", "read_events", "read_filieres", "read_places",
]
