"""`terrapro catalogue import|check` and `terrapro search`: the coordinators' and developers' tools."""
from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from bot.catalogue.csvfile import ContentProblems
from bot.catalogue.importer import import_catalogue, import_events
from bot.catalogue.loader import load_catalogue, load_catalogue_checked, load_events_checked
from bot.catalogue.search import CatalogueSearch, SearchResult
from bot.core.errors import ContentError

MAX_QUERY_CHARS = 5000


def register(subparsers: argparse._SubParsersAction, make_settings: Callable[[], object]) -> None:
    """Adds the `catalogue` and `search` commands; each sets ``run(args) -> int`` (exit code)."""
    catalogue = subparsers.add_parser("catalogue", help="Importer ou vérifier le catalogue des formations")
    actions = catalogue.add_subparsers(dest="catalogue_command", required=True)

    imp = actions.add_parser("import", help="Remplacer content/catalogue.csv (ou events.csv) par un nouveau fichier")
    imp.add_argument("file", type=Path, metavar="FICHIER.csv")
    imp.add_argument("--events", action="store_true", help="le fichier est la liste des événements")
    imp.set_defaults(run=lambda args: cmd_import(args, make_settings()))

    chk = actions.add_parser("check", help="Vérifier les fichiers de content/ sans rien modifier")
    chk.set_defaults(run=lambda args: cmd_check(args, make_settings()))

    search = subparsers.add_parser("search", help="Chercher une formation comme le ferait le bot")
    search.add_argument("query", nargs="?", help="la question ; sans elle, une question par ligne sur l'entrée standard")
    search.add_argument("--json", action="store_true", help="résultats en JSON")
    search.add_argument("--territoire", choices=("bignona", "savoie"))
    search.add_argument("--lieu", help="commune ou bassin connus de la conversation")
    search.add_argument("--limit", type=int, default=10)
    search.set_defaults(run=lambda args: cmd_search(args, make_settings()))


def cmd_import(args: argparse.Namespace, settings, out: TextIO | None = None, err: TextIO | None = None) -> int:
    out, err = out or sys.stdout, err or sys.stderr
    if not args.file.is_file():
        print(f"{args.file} : fichier introuvable", file=err)
        return 1
    try:
        if args.events:
            report = import_events(args.file, settings.content_dir)
        else:
            report = import_catalogue(args.file, settings.content_dir)
    except ContentError as exc:
        _print_problems(exc, err)
        print("Import refusé : aucun fichier n'a été modifié.", file=err)
        return 1
    print(report.summary(), file=out)
    for warning in report.warnings:
        print(f"attention : {warning}", file=out)
    return 0


def cmd_check(args: argparse.Namespace, settings, out: TextIO | None = None, err: TextIO | None = None) -> int:
    out, err = out or sys.stdout, err or sys.stderr
    problems: list[ContentError] = []
    warnings: list[str] = []
    catalogue = None
    events = []
    try:
        catalogue, warnings = load_catalogue_checked(settings.content_dir)
    except ContentError as exc:
        problems += getattr(exc, "problems", [exc])
    try:
        events, event_warnings = load_events_checked(settings.content_dir)
        warnings += event_warnings
    except ContentError as exc:
        problems += getattr(exc, "problems", [exc])
    if problems:
        for problem in problems:
            print(_problem_line(problem), file=err)
        print(f"{len(problems)} erreur(s) : corrigez les fichiers puis relancez la vérification.", file=err)
        return 1
    assert catalogue is not None
    print(
        f"{len(catalogue.courses)} formations, {len(catalogue.centres)} centres, "
        f"{len(catalogue.filieres_in_use())} filières, {len(events)} événements. "
        f"{sum(1 for c in catalogue.courses if not c.confirmed)} formations à confirmer (exemples).",
        file=out,
    )
    for warning in warnings:
        print(f"attention : {warning}", file=out)
    return 0


def cmd_search(
    args: argparse.Namespace, settings, out: TextIO | None = None, err: TextIO | None = None, stdin: TextIO | None = None
) -> int:
    out, err, stdin = out or sys.stdout, err or sys.stderr, stdin or sys.stdin
    try:
        engine = CatalogueSearch(load_catalogue(settings.content_dir), _synonyms(settings.nlu_data_dir))
    except ContentError as exc:
        _print_problems(exc, err)
        return 1
    limit = max(0, min(args.limit, 100))
    queries = [args.query] if args.query is not None else (line.rstrip("\n") for line in stdin)
    for query in queries:
        results = engine.search(query[:MAX_QUERY_CHARS], lieu=args.lieu, territoire=args.territoire, limit=limit)
        if args.json:
            print(json.dumps([_as_json(r) for r in results], ensure_ascii=False), file=out, flush=True)
        else:
            _print_human(query, results, out)
    return 0


def _synonyms(nlu_data_dir: Path) -> dict[str, str]:
    from bot.nlu.vocabulary import load_synonyms

    return load_synonyms(nlu_data_dir) if Path(nlu_data_dir).is_dir() else {}


def _as_json(result: SearchResult) -> dict:
    c = result.course
    return {
        "id": c.id, "centre": c.centre, "formation": c.formation, "filiere": c.filiere,
        "commune": c.commune, "bassin": c.bassin, "territoire": c.territoire, "score": result.score,
    }


def _print_human(query: str, results: list[SearchResult], out: TextIO) -> None:
    if not results:
        print("Aucune formation trouvée.", file=out)
        return
    for r in results:
        c = r.course
        note = "" if c.confirmed else " (à confirmer)"
        print(f"{r.score:5.1f}  {c.formation} — {c.centre}, {c.commune}{note}", file=out)


def _problem_line(problem: ContentError) -> str:
    return f"{problem.file}, ligne {problem.line or '-'}, {problem.reason}"


def _print_problems(exc: ContentError, err: TextIO) -> None:
    for problem in getattr(exc, "problems", [exc]):
        print(_problem_line(problem), file=err)


__all__ = ["register", "cmd_check", "cmd_import", "cmd_search", "ContentProblems"]
