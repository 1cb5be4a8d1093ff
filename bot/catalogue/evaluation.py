"""Scoring the search against a labelled query set (tests/data/search_queries.yml).

Shared by the quality-gate test and bench/search_bench.py so both measure the same thing.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from bot.catalogue.search import CatalogueSearch, SearchResult


@dataclass(frozen=True)
class LabelledQuery:
    q: str
    filiere: str | None = None
    first_centre: str | None = None
    first_commune: str | None = None
    first_bassin: str | None = None
    lieu: str | None = None
    territoire: str | None = None
    empty: bool = False

    @property
    def names_place_or_centre(self) -> bool:
        return bool(self.first_centre or self.first_commune or self.first_bassin)


@dataclass
class Evaluation:
    total: int = 0
    filiere_total: int = 0
    filiere_top3: int = 0
    first_total: int = 0
    first_ok: int = 0
    empty_total: int = 0
    empty_ok: int = 0
    failures: list[str] = field(default_factory=list)

    @property
    def filiere_rate(self) -> float:
        return self.filiere_top3 / self.filiere_total if self.filiere_total else 1.0


def load_queries(path: Path) -> list[LabelledQuery]:
    with open(path, encoding="utf-8") as handle:
        document = yaml.safe_load(handle)
    return [LabelledQuery(**{k: (str(v) if k == "q" else v) for k, v in item.items()}) for item in document["queries"]]


def run(engine: CatalogueSearch, query: LabelledQuery, limit: int = 10) -> list[SearchResult]:
    return engine.search(query.q, lieu=query.lieu, territoire=query.territoire, limit=limit)


def evaluate(engine: CatalogueSearch, queries: list[LabelledQuery]) -> Evaluation:
    result = Evaluation()
    for query in queries:
        result.total += 1
        found = run(engine, query)
        if query.empty:
            result.empty_total += 1
            if not found:
                result.empty_ok += 1
            else:
                result.failures.append(f"{query.q!r}: attendu aucun résultat, obtenu {found[0].course.id}")
            continue
        if query.filiere:
            result.filiere_total += 1
            if query.filiere in [r.course.filiere for r in found[:3]]:
                result.filiere_top3 += 1
            else:
                got = [r.course.filiere for r in found[:3]]
                result.failures.append(f"{query.q!r}: filière {query.filiere} absente du top 3 {got}")
        if query.names_place_or_centre:
            result.first_total += 1
            first = found[0].course if found else None
            ok = first is not None and (
                (not query.first_centre or first.centre == query.first_centre)
                and (not query.first_commune or first.commune == query.first_commune)
                and (not query.first_bassin or first.bassin == query.first_bassin)
            )
            if ok:
                result.first_ok += 1
            else:
                got = f"{first.centre} ({first.commune})" if first else "rien"
                result.failures.append(f"{query.q!r}: premier résultat {got}")
    return result
