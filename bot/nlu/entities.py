"""Dictionary + fuzzy entity extraction (filière, lieu, centre) with Rasa-shaped output.

Surfaces come from the lookup tables and synonyms of nlu_data/ plus whatever the
composition root passes at run time (current catalogue centres, places). Matching
runs on normalised tokens, so accents, elisions and SMS spelling do not matter;
spans are reported on the original text.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from bot.nlu.text import Token, normalize, normalized_tokens
from bot.nlu.vocabulary import load_lookups, load_synonyms

EXTRACTOR = "TerraProEntityExtractor"
ENTITY_TYPES = ("filiere", "lieu", "centre")
# Same span claimed by two types: the more specific one is listed first.
_PRIORITY = {"centre": 0, "lieu": 1, "filiere": 2}
_FUZZY_CACHE_SIZE = 4096

# Everyday words that look like a place or trade to an edit distance but never are one.
_STOPWORDS = frozenset(
    """
    le la les un une des du de au aux et ou en dans pour par sur avec sans chez qui que quoi quel quelle
    est sont suis es etre avoir ai as a ont faire fait veux veut peux peut dois doit faut sais sait
    je tu il elle on nous vous ils elles moi toi lui mon ma mes ton ta tes son sa ses notre votre leur
    ce cet cette ces ca cela ici la bas pas plus moins tres trop bien mal oui non merci bonjour salut
    quelles quels quand comment combien pourquoi formation formations centre centres metier metiers apprendre
    travail boulot stage info infos aide veux voudrais cherche chercher trouver mois annee ans prix cout
    coute niveau diplome adresse numero contact horaires ouvert ouverte ouvertes porte portes jour
    jours demain semaine aujourd hui cours code mode mais donc sera serai dire dit parle parler
    autre autres tout tous toute toutes rien chose choses besoin envie faire peu beaucoup encore
    deja jamais toujours souvent genre vrai vraiment juste aussi alors apres avant depuis pendant
    """.split()
)


# Phrases that contain a trade word but do not name a trade ("je suis au courant").
_NOT_ENTITIES = ("au courant", "en mode", "a la mode", "mode d emploi", "auto ecole", "pas de courant")
_BLOCK = "_none"


@dataclass(frozen=True)
class _Surface:
    tokens: tuple[str, ...]
    entity: str
    value: str


def _max_distance(length: int) -> int:
    if length < 4:
        return 0
    if length <= 6:
        return 1
    if length <= 10:
        return 2
    return 3


def _plausible(typed: str, surface: str) -> bool:
    """Word-by-word check of a fuzzy match: short words exact, a changed first letter costs extra."""
    typed_words, surface_words = typed.split(), surface.split()
    if len(typed_words) != len(surface_words):
        return False
    for a, b in zip(typed_words, surface_words):
        if a == b:
            continue
        if min(len(a), len(b)) < 4:
            return False
        distance = Levenshtein.distance(a, b)
        limit = _max_distance(max(len(a), len(b))) + (1 if len(typed_words) > 1 else 0)
        if a[0] != b[0]:
            limit -= 1
        if distance > limit:
            return False
    return True


def build_dictionaries(
    nlu_data_dir: Path, extra_values: Mapping[str, Mapping[str, str]] | None = None
) -> dict[str, dict[str, str]]:
    """entity -> {normalised surface: canonical value} from lookups, synonyms and extras."""
    synonyms = load_synonyms(nlu_data_dir)
    lookups = load_lookups(nlu_data_dir)
    result: dict[str, dict[str, str]] = {}
    for entity, values in lookups.items():
        # A lookup value is canonical when no synonym sends it elsewhere.
        canonical = {v for v in values if synonyms.get(normalize(v), v) == v}
        canonical_tokens = {c: set(normalize(c).split()) for c in canonical}
        surfaces: dict[str, str] = {}
        for value in values:
            key = normalize(value)
            if not key:
                continue
            target = synonyms.get(key, value)
            if target not in canonical:
                # e.g. "abene" is a place alias, but also names the CFP d'Abéné.
                words = set(key.split())
                owners = [c for c, toks in canonical_tokens.items() if words <= toks]
                if len(owners) != 1:
                    continue
                target = owners[0]
            surfaces.setdefault(key, target)
        for key, target in synonyms.items():
            if target in canonical:
                surfaces.setdefault(key, target)
        for value in canonical:
            surfaces.setdefault(normalize(value), value)
        result[entity] = surfaces
    for entity, mapping in (extra_values or {}).items():
        bucket = result.setdefault(entity, {})
        for surface, value in mapping.items():
            key = normalize(surface)
            if key:
                bucket[key] = value
        for value in set(mapping.values()):
            key = normalize(value)
            if key:
                bucket.setdefault(key, value)
    return result


class EntityExtractor:
    """Finds filière, place and centre mentions; tolerant of typos through edit distance."""

    def __init__(
        self,
        dictionaries: Mapping[str, Mapping[str, str]],
        known_words: Iterable[str] = (),
    ) -> None:
        by_first: dict[str, list[_Surface]] = {}
        dictionaries = {**dictionaries, _BLOCK: {p: "" for p in _NOT_ENTITIES}}
        single: dict[str, list[tuple[str, str]]] = {}
        # Multi-word surfaces by word count (2..4), for fuzzy matching of typed phrases.
        multi: dict[int, dict[str, list[tuple[str, str]]]] = {2: {}, 3: {}, 4: {}}
        for entity, mapping in dictionaries.items():
            for surface, value in mapping.items():
                toks = tuple(surface.split())
                if not toks:
                    continue
                by_first.setdefault(toks[0], []).append(_Surface(toks, entity, value))
                # Multi-word names typed glued ("thionckessyl") match as one token.
                single.setdefault("".join(toks), []).append((entity, value))
                if len(toks) in multi:
                    multi[len(toks)].setdefault(surface, []).append((entity, value))
        for candidates in by_first.values():
            candidates.sort(key=lambda s: -len(s.tokens))
        self._by_first = by_first
        self._single = single
        self._single_keys = [k for k in single if len(k) >= 4]
        self._multi = multi
        self._multi_keys = {n: list(m) for n, m in multi.items()}
        # Words known from the training data are never typos of a place or trade,
        # unless they name one on their own.
        surface_words = {s.tokens[0] for group in by_first.values() for s in group if len(s.tokens) == 1}
        self._skip_fuzzy = (frozenset(known_words) | _STOPWORDS) - surface_words
        self._fuzzy_cache: dict[str, tuple[str, float] | None] = {}
        self._pair_cache: dict[str, tuple[str, float] | None] = {}

    @classmethod
    def from_nlu_data(
        cls,
        nlu_data_dir: Path,
        extra_values: Mapping[str, Mapping[str, str]] | None = None,
        known_words: Iterable[str] = (),
    ) -> EntityExtractor:
        return cls(build_dictionaries(nlu_data_dir, extra_values), known_words)

    def _fuzzy_one(self, word: str) -> tuple[str, float] | None:
        cached = self._fuzzy_cache.get(word, False)
        if cached is not False:
            return cached  # type: ignore[return-value]
        limit = _max_distance(len(word))
        found = None
        if limit:
            match = process.extractOne(
                word, self._single_keys, scorer=Levenshtein.distance, score_cutoff=limit
            )
            if match is not None and _plausible(word, match[0]):
                key, distance = match[0], match[1]
                found = (key, round(1.0 - distance / max(len(word), len(key)), 3))
        if len(self._fuzzy_cache) >= _FUZZY_CACHE_SIZE:
            self._fuzzy_cache.clear()
        self._fuzzy_cache[word] = found
        return found

    def _fuzzy_phrase(self, phrase: str, n: int) -> tuple[str, float] | None:
        cached = self._pair_cache.get(phrase, False)
        if cached is not False:
            return cached  # type: ignore[return-value]
        limit = _max_distance(len(phrase.replace(" ", "")))
        found = None
        if limit and phrase not in self._multi[n] and self._multi_keys[n]:
            match = process.extractOne(
                phrase, self._multi_keys[n], scorer=Levenshtein.distance, score_cutoff=limit
            )
            if match is not None and _plausible(phrase, match[0]):
                found = (match[0], round(1.0 - match[1] / max(len(phrase), len(match[0])), 3))
        if len(self._pair_cache) >= _FUZZY_CACHE_SIZE:
            self._pair_cache.clear()
        self._pair_cache[phrase] = found
        return found

    def _candidates(self, toks: list[Token]) -> list[tuple[int, int, str, str, float]]:
        words = [t.text for t in toks]
        found: list[tuple[int, int, str, str, float]] = []
        covered = [False] * len(words)
        for i, word in enumerate(words):
            best_len = 0
            for surface in self._by_first.get(word, ()):
                n = len(surface.tokens)
                if n < best_len:
                    break
                if tuple(words[i : i + n]) == surface.tokens:
                    best_len = n
                    found.append((i, i + n, surface.entity, surface.value, 1.0))
            for k in range(i, i + best_len):
                covered[k] = True
        for i, word in enumerate(words):
            if word in self._skip_fuzzy or word.isdigit():
                continue
            # A pair may fix a name whose first word is already exact ("thionk esil").
            for n in (2, 3, 4):
                if i + n > len(words) or words[i + n - 1] in self._skip_fuzzy:
                    continue
                phrase = self._fuzzy_phrase(" ".join(words[i : i + n]), n)
                if phrase is not None:
                    for entity, value in self._multi[n][phrase[0]]:
                        found.append((i, i + n, entity, value, phrase[1]))
            if covered[i]:
                continue
            one = self._fuzzy_one(word)
            if one is not None:
                for entity, value in self._single[one[0]]:
                    found.append((i, i + 1, entity, value, one[1]))
        return found

    def extract(self, text: str, toks: list[Token] | None = None) -> list[dict]:
        """Rasa-shaped entities with offsets in ``text``."""
        if toks is None:
            toks = normalized_tokens(text)
        if not toks:
            return []
        candidates = self._candidates(toks)
        candidates.sort(key=lambda c: (-(c[1] - c[0]), -c[4], _PRIORITY.get(c[2], 9)))
        kept: list[tuple[int, int, str, str, float]] = []
        for cand in candidates:
            start, end, entity, value, _ = cand
            clash = False
            for other in kept:
                if start < other[1] and other[0] < end:
                    same_span = (start, end) == (other[0], other[1])
                    if not same_span or entity == other[2]:
                        clash = True
                        break
            if not clash:
                kept.append(cand)
        kept = [c for c in kept if c[2] != _BLOCK]
        kept.sort(key=lambda c: (c[0], _PRIORITY.get(c[2], 9)))
        # Two tokens can come from one typed word ("jveu"): offsets are the word's.
        return [
            {
                "entity": entity,
                "start": toks[start].start,
                "end": toks[end - 1].end,
                "value": value,
                "confidence_entity": confidence,
                "extractor": EXTRACTOR,
            }
            for start, end, entity, value, confidence in kept
        ]
