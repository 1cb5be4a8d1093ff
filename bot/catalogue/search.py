"""Fuzzy catalogue search: "jveu aprendre le solair vers kafountine" -> the right courses, nearest first.

A query is read in three passes over its normalised tokens: places (commune,
alias, bassin, territory), then exact phrases (filière synonyms, centre names),
then typo-tolerant single words. Everything matchable is precomputed at build
time, so a search is a few dictionary look-ups and rapidfuzz calls.
"""
from __future__ import annotations

import threading
from collections import defaultdict
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

from bot.catalogue.model import TERRITORIES, Catalogue, Course, Place
from bot.catalogue.places import haversine_km
from bot.catalogue.places import nearest_place as _nearest_place
from bot.catalogue.stopwords import STOP_WORDS
from bot.nlu.text import tokens

MAX_PHRASE = 6  # longest synonym/place phrase looked up, in tokens
FUZZY_CUTOFF = 80.0
PLACE_FUZZY_CUTOFF = 88.0
STOP_FUZZY_CUTOFF = 86.0
MIN_SCORE = 30.0
_ALL_KINDS = frozenset({"filiere", "centre", "place", "bassin", "territoire"})

# Proximity tiers, nearest first.
COMMUNE, BASSIN, TERRITOIRE, AILLEURS = 0, 1, 2, 3
PROXIMITY_NAMES = ("commune", "bassin", "territoire", "ailleurs")

# Words that name a territory without naming a commune.
TERRITORY_WORDS = {
    "savoie": "savoie", "france": "savoie", "chambe": "savoie",
    "casamance": "bignona", "senegal": "bignona", "sunugal": "bignona", "ziguinchor": "bignona",
    "departement de bignona": "bignona",
}

# Generic words in centre names that do not identify a centre.
_CENTRE_GENERIC = STOP_WORDS | {"professionnelle", "formation", "centre", "cfp", "de", "la", "le", "du", "73"}


@dataclass(frozen=True)
class SearchResult:
    course: Course
    score: float  # relevance 0-100 (location changes the order, not the score)
    reason: str = ""
    proximity: str = ""  # "commune", "bassin", "territoire", "ailleurs" or "" when no place is known


@dataclass(frozen=True)
class QueryAnalysis:
    """What a query was understood to ask; also useful to the dialogue (slots)."""

    filieres: dict[str, float] = field(default_factory=dict)  # code -> confidence 0-100
    centres: dict[str, float] = field(default_factory=dict)  # centre name -> confidence
    place: Place | None = None
    bassin: str | None = None
    territoire: str | None = None
    words: tuple[str, ...] = ()  # content words left for free-text matching

    @property
    def topical(self) -> bool:
        return bool(self.filieres or self.centres or self.words)


@dataclass
class _Where:
    place: Place | None = None
    bassin: str | None = None
    territoire: str | None = None


class CatalogueSearch:
    def __init__(self, catalogue: Catalogue, synonyms: dict[str, str] | None = None) -> None:
        self.catalogue = catalogue
        self._courses = catalogue.courses
        # The last query analysed in this thread: a turn analyses its message twice (where
        # the person is, then the search itself). One entry per thread, nothing older kept.
        self._last = threading.local()
        codes = set(catalogue.filiere_by_code)
        centres = set(catalogue.centres)
        communes = {p.commune: p for p in catalogue.places}
        bassins = set(catalogue.bassins)

        # phrase (tuple of tokens) -> ("filiere"|"centre"|"place"|"bassin"|"territoire", value)
        phrases: dict[tuple[str, ...], tuple[str, object]] = {}

        def add(surface: str, kind: str, value: object) -> None:
            key = tuple(tokens(surface))
            if key and not all(t in STOP_WORDS for t in key):
                phrases.setdefault(key, (kind, value))

        # Places first: a commune's name is never read as anything else.
        for place in catalogue.places:
            for surface in (place.commune, *place.aliases):
                add(surface, "place", place)
        for bassin in bassins:
            if bassin not in communes:
                add(bassin, "bassin", bassin)
        for word, territoire in TERRITORY_WORDS.items():
            add(word, "territoire", territoire)
        for surface, value in (synonyms or {}).items():
            if value in codes:
                add(surface, "filiere", value)
            elif value in centres:
                add(surface, "centre", value)
            elif value in communes:
                add(surface, "place", communes[value])
            elif value in bassins:
                add(surface, "bassin", value)
        for filiere in catalogue.filieres:
            for surface in (filiere.code.replace("_", " "), filiere.label, *filiere.keywords):
                add(surface, "filiere", filiere.code)
        for centre in centres:
            add(centre, "centre", centre)
        self._phrases = phrases

        # Single distinctive words of centre names ("aldabar", "afpa", "e2c").
        centre_words: dict[str, set[str]] = defaultdict(set)
        for centre in centres:
            for word in tokens(centre):
                if word not in _CENTRE_GENERIC and len(word) >= 3 and (word,) not in phrases:
                    centre_words[word].add(centre)
        for word, owners in centre_words.items():
            if len(owners) == 1:
                phrases.setdefault((word,), ("centre", next(iter(owners))))

        # Single-token phrases are the fuzzy vocabulary; places get a stricter cutoff.
        self._fuzzy_words = [k[0] for k, (kind, _) in phrases.items() if len(k) == 1 and len(k[0]) >= 4 and kind != "place" and kind != "territoire"]
        self._fuzzy_places = [k[0] for k, (kind, _) in phrases.items() if len(k) == 1 and len(k[0]) >= 5 and kind == "place"]

        # Free-text index over course titles: word -> course positions.
        self._word_courses: dict[str, set[int]] = defaultdict(set)
        for index, course in enumerate(self._courses):
            for word in tokens(course.formation):
                if word not in STOP_WORDS and len(word) >= 3:
                    self._word_courses[word].add(index)
        self._title_words = list(self._word_courses)
        self._place_by_commune = communes
        self._known_words = {w for key in phrases for w in key} | set(self._word_courses)
        self._long_stops = [w for w in STOP_WORDS if len(w) >= 6]

    # -- locating -------------------------------------------------------------

    def locate(self, text: str) -> Place | None:
        """The commune named in ``text`` (name, alias or typo), if any."""
        return self._where(tokens(text or ""))[0].place

    def locate_bassin(self, text: str) -> str | None:
        """The bassin de vie named or implied (through a commune) by ``text``."""
        where = self._where(tokens(text or ""))[0]
        return where.bassin

    def nearest_place(self, latitude: float, longitude: float) -> Place:
        """Nearest known commune to a shared GPS location (haversine); ValueError if invalid."""
        return _nearest_place(self.catalogue.places, latitude, longitude)

    def _where(self, words: list[str]) -> tuple[_Where, set[int]]:
        where = _Where()
        used: set[int] = set()
        for start, length, (kind, value) in self._phrase_hits(words, {"place", "bassin", "territoire"}):
            if any(i in used for i in range(start, start + length)):
                continue
            if kind == "place" and where.place is None:
                where.place = value  # type: ignore[assignment]
            elif kind == "bassin" and where.bassin is None:
                where.bassin = value  # type: ignore[assignment]
            elif kind == "territoire" and where.territoire is None:
                where.territoire = value  # type: ignore[assignment]
            else:
                continue
            used.update(range(start, start + length))
        if where.place is None:
            found = self._fuzzy_place(words, used, where)
            if found is not None:
                used.add(found)
        self._complete(where)
        return where, used

    def _fuzzy_place(self, words: list[str], skip: set[int], where: _Where) -> int | None:
        """Sets where.place from a mistyped commune ("kafountinne"); returns the word's index."""
        for index, word in enumerate(words):
            if index in skip or word in STOP_WORDS or len(word) < 5 or (word,) in self._phrases:
                continue
            hit = process.extractOne(word, self._fuzzy_places, scorer=fuzz.ratio, score_cutoff=PLACE_FUZZY_CUTOFF)
            if hit:
                where.place = self._phrases[(hit[0],)][1]  # type: ignore[assignment]
                return index
        return None

    def _complete(self, where: _Where) -> None:
        if where.place is not None:
            where.bassin = where.place.bassin
            where.territoire = where.place.territoire
        elif where.bassin is not None and where.territoire is None:
            where.territoire = next((p.territoire for p in self.catalogue.places if p.bassin == where.bassin), None)

    def _phrase_hits(self, words: list[str], kinds: set[str]):
        """(start, length, entry) for every known phrase of the wanted kinds, longest first."""
        hits = []
        count = len(words)
        for length in range(min(MAX_PHRASE, count), 0, -1):
            for start in range(count - length + 1):
                entry = self._phrases.get(tuple(words[start : start + length]))
                if entry is not None and entry[0] in kinds:
                    hits.append((start, length, entry))
        return hits

    # -- understanding ---------------------------------------------------------

    def analyse(self, query: str) -> QueryAnalysis:
        last = getattr(self._last, "analysis", None)
        if last is not None and last[0] == query:
            return last[1]  # type: ignore[no-any-return]
        analysis = self._analyse(query)
        self._last.analysis = (query, analysis)
        return analysis

    def _analyse(self, query: str) -> QueryAnalysis:
        words = tokens(query or "")
        stop = [self._is_stop(w) for w in words]
        # One longest-first pass over every kind: "cfp abene" is the centre, "abene" alone the commune.
        where = _Where()
        used: set[int] = set()
        filieres: dict[str, float] = {}
        centres: dict[str, float] = {}
        place_used: set[int] = set()
        for start, length, (kind, value) in self._phrase_hits(words, _ALL_KINDS):
            span = range(start, start + length)
            if any(i in used for i in span):
                continue
            if kind == "filiere":
                filieres[value] = 100.0  # type: ignore[index]
            elif kind == "centre":
                centres[value] = 100.0  # type: ignore[index]
            elif kind == "place" and where.place is None:
                where.place = value  # type: ignore[assignment]
            elif kind == "bassin" and where.bassin is None:
                where.bassin = value  # type: ignore[assignment]
            elif kind == "territoire" and where.territoire is None:
                where.territoire = value  # type: ignore[assignment]
            else:
                continue
            used.update(span)
            if kind in ("place", "bassin", "territoire"):
                place_used.update(span)
        if where.place is None:
            found = self._fuzzy_place(words, used | {i for i, s in enumerate(stop) if s}, where)
            if found is not None:
                used.add(found)
                place_used.add(found)
        self._complete(where)
        free = tuple(
            w for i, w in enumerate(words) if not stop[i] and not w.isdigit() and i not in place_used
        )
        for index, word in enumerate(words):
            if index in used or stop[index] or len(word) < 4 or word.isdigit():
                continue
            hit = process.extractOne(word, self._fuzzy_words, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF)
            confidence = hit[1] if hit else 0.0
            if hit is None:
                # Phone users cut words short: "info", "plomb", "mecan".
                prefixed = [w for w in self._fuzzy_words if w.startswith(word)]
                if prefixed:
                    hit = (min(prefixed, key=len), 0.0, None)
                    confidence = 80.0 if len(word) >= 5 else 75.0
            if hit is None:
                continue
            kind, value = self._phrases[(hit[0],)]
            target = filieres if kind == "filiere" else centres
            target[value] = max(target.get(value, 0.0), float(confidence))  # type: ignore[index]
        return QueryAnalysis(filieres, centres, where.place, where.bassin, where.territoire, free)

    def _is_stop(self, word: str) -> bool:
        if word in STOP_WORDS:
            return True
        if len(word) < 6 or word in self._known_words:
            return False
        # "aprendre", "formatoin": a mistyped stop word is still a stop word.
        return process.extractOne(word, self._long_stops, scorer=fuzz.ratio, score_cutoff=STOP_FUZZY_CUTOFF) is not None

    # -- searching --------------------------------------------------------------

    def search(
        self,
        query: str,
        *,
        lieu: str | None = None,
        territoire: str | None = None,
        filiere: str | None = None,
        limit: int = 10,
    ) -> list[SearchResult]:
        """Matching courses, nearest and most relevant first; [] when nothing matches.

        ``lieu`` (commune or bassin from the conversation) and ``territoire`` only
        order results; a place named in the query itself wins over both.
        """
        if limit <= 0:
            return []
        analysis = self.analyse(query if isinstance(query, str) else "")
        filieres = dict(analysis.filieres)
        if filiere:
            filieres[filiere] = max(filieres.get(filiere, 0.0), 100.0)
        where = self._context_where(analysis, lieu, territoire)
        scores = self._relevance(filieres, analysis.centres, analysis.words)
        if not scores:
            if filiere or analysis.topical or (where.place is None and where.bassin is None and where.territoire is None):
                return []
            scores = self._place_only(where)
        results = []
        for index, (score, reason) in scores.items():
            course = self._courses[index]
            tier = self._tier(course, where)
            results.append((tier, -score, self._distance(course, where), index, score, reason))
        results.sort()
        located = where.place is not None or where.bassin is not None or where.territoire is not None
        return [
            SearchResult(self._courses[i], round(score, 1), reason, PROXIMITY_NAMES[tier] if located else "")
            for tier, _neg, _dist, i, score, reason in results[:limit]
        ]

    def _context_where(self, analysis: QueryAnalysis, lieu: str | None, territoire: str | None) -> _Where:
        if analysis.place or analysis.bassin:
            return _Where(analysis.place, analysis.bassin, analysis.territoire)
        if lieu:
            where, _ = self._where(tokens(lieu))
            if where.place or where.bassin:
                return where
        if len(analysis.centres) == 1 and not analysis.territoire:
            # "solaire à Aldabar": the named centre's commune orders the rest.
            courses = self.catalogue.courses_of_centre(next(iter(analysis.centres)))
            place = self._place_by_commune.get(courses[0].commune) if courses else None
            if place is not None:
                return _Where(place, place.bassin, place.territoire)
        chosen = analysis.territoire or (territoire if territoire in TERRITORIES else None)
        return _Where(territoire=chosen)

    def _relevance(
        self, filieres: dict[str, float], centres: dict[str, float], words: tuple[str, ...]
    ) -> dict[int, tuple[float, str]]:
        text_hits = self._title_hits(words)
        result: dict[int, tuple[float, str]] = {}
        for index, course in enumerate(self._courses):
            f = filieres.get(course.filiere, 0.0)
            c = centres.get(course.centre, 0.0)
            t = text_hits.get(index, 0.0)
            if not (f or c or t):
                continue
            if filieres and centres:
                # "solaire à Aldabar": both must hold for a top score.
                primary = 0.55 * f + 0.45 * c if (f and c) else 0.8 * max(f, c)
            else:
                primary = 0.85 * max(f, c)
            # A title word refines a filière/centre match; alone it is a weaker hint.
            score = primary + 0.15 * t if primary else 0.75 * t
            if score < MIN_SCORE:
                continue
            reasons = [r for r, v in (("filière", f), ("centre", c), ("intitulé", t)) if v]
            result[index] = (min(100.0, score), " + ".join(reasons))
        return result

    def _title_hits(self, words: tuple[str, ...]) -> dict[int, float]:
        """Course index -> share of the free words found in its title (typo-tolerant), 0-100."""
        if not words:
            return {}
        totals: dict[int, float] = defaultdict(float)
        for word in words:
            best: dict[int, float] = {}
            if word in self._word_courses:
                for index in self._word_courses[word]:
                    best[index] = 100.0
            elif len(word) >= 4:
                for hit, score, _ in process.extract(
                    word, self._title_words, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF, limit=5
                ):
                    for index in self._word_courses[hit]:
                        best[index] = max(best.get(index, 0.0), score)
            for index, score in best.items():
                totals[index] += score
        return {index: total / len(words) for index, total in totals.items()}

    def _place_only(self, where: _Where) -> dict[int, tuple[float, str]]:
        """A place and nothing else ("a baila"): what is taught there and around."""
        result = {}
        for index, course in enumerate(self._courses):
            tier = self._tier(course, where)
            if tier <= TERRITOIRE:
                result[index] = ((70.0, 60.0, 50.0)[tier], "lieu")
        return result

    @staticmethod
    def _tier(course: Course, where: _Where) -> int:
        if where.place is not None and course.commune == where.place.commune:
            return COMMUNE
        if where.bassin is not None and course.bassin == where.bassin:
            return BASSIN
        if where.territoire is not None and course.territoire == where.territoire:
            return TERRITOIRE
        return AILLEURS

    def _distance(self, course: Course, where: _Where) -> float:
        if where.place is None:
            return 0.0
        return self.distance_km(where.place, course.commune)

    def distance_km(self, place: Place, commune: str) -> float:
        """As the crow flies from ``place`` to ``commune``; very far when the commune is unknown."""
        other = self._place_by_commune.get(commune)
        if other is None:
            return 1e6
        return haversine_km(place.latitude, place.longitude, other.latitude, other.longitude)


__all__ = ["CatalogueSearch", "QueryAnalysis", "SearchResult"]
