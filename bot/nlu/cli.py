"""`terrapro nlu parse|test|crossval`: the composition root registers these subcommands."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Callable, TextIO

if TYPE_CHECKING:  # numpy and the engine load only when an nlu command runs
    from bot.nlu.engine import NluEngine

EngineFactory = Callable[[], "NluEngine"]


def register(subparsers: argparse._SubParsersAction, make_engine: EngineFactory) -> None:
    """Add the ``nlu`` command group; ``make_engine`` returns a ready engine."""
    nlu = subparsers.add_parser("nlu", help="comprendre les messages (NLU embarqué)")
    commands = nlu.add_subparsers(dest="nlu_command", required=True)

    parse = commands.add_parser("parse", help="analyser un message (ou un message par ligne sur stdin)")
    parse.add_argument("text", nargs="?", help="le message ; sans lui, lit stdin")
    parse.set_defaults(run=lambda args: run_parse(make_engine(), args.text))

    test = commands.add_parser("test", help="évaluer sur un fichier de test au format Rasa")
    test.add_argument("file", type=Path)
    test.set_defaults(run=lambda args: run_test(make_engine(), args.file))

    crossval = commands.add_parser("crossval", help="validation croisée sur les données d'entraînement")
    crossval.add_argument("--folds", type=int, default=5)
    crossval.set_defaults(run=lambda args: run_crossval(make_engine(), args.folds))


def run_parse(engine: NluEngine, text: str | None, stdin: TextIO | None = None, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    if text is not None:
        print(json.dumps(engine.parse(text), ensure_ascii=False), file=out)
        return 0
    for line in stdin or sys.stdin:
        print(json.dumps(engine.parse(line.rstrip("\r\n")), ensure_ascii=False), file=out, flush=True)
    return 0


def run_test(engine: NluEngine, path: Path, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    try:
        from bot.nlu.evaluation import evaluate_file

        report = evaluate_file(engine, path)
    except (OSError, ValueError) as exc:
        print(f"Fichier de test illisible : {exc}", file=sys.stderr)
        return 2
    print(report.as_text(), file=out)
    return 0


def run_crossval(engine: NluEngine, folds: int, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    if folds < 2:
        print("Il faut au moins 2 plis.", file=sys.stderr)
        return 2
    data_dir = engine.nlu_data_dir
    from bot.nlu.dataset import load_examples
    from bot.nlu.engine import NluEngine
    from bot.nlu.evaluation import cross_validate

    examples = load_examples(data_dir)
    report = cross_validate(lambda part: NluEngine.train(data_dir, examples=part), examples, folds)
    print(f"{folds}-fold cross-validation", file=out)
    print(report.as_text(), file=out)
    return 0
