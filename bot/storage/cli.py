"""`terrapro db upgrade|current|revision`: the schema's migrations (French output)."""
from __future__ import annotations

import argparse
from collections.abc import Callable

from bot.storage import schema
from bot.storage.database import Database


def register(subparsers: argparse._SubParsersAction, make_database: Callable[[], Database]) -> None:
    parser = subparsers.add_parser("db", help="version du schéma de la base (migrations)")
    commands = parser.add_subparsers(dest="db_command", required=True)
    commands.add_parser("upgrade", help="mettre la base à la version du code").set_defaults(
        run=lambda args: _upgrade(make_database()))
    commands.add_parser("current", help="version de la base et version attendue par le code").set_defaults(
        run=lambda args: _current(make_database()))
    revision = commands.add_parser("revision", help="(développeurs) écrire la migration suivante d'après les modèles")
    revision.add_argument("-m", "--message", required=True, help="ce que change la migration, en quelques mots")
    revision.set_defaults(run=lambda args: _revision(args.message))


def _upgrade(db: Database) -> int:
    before = schema.status(db)
    after = schema.upgrade(db)
    if before.current == after.current:
        print(f"Base déjà à jour : {after.current}")
    else:
        print(f"Base mise à jour : {_describe(before)} → {after.current}")
    return 0


def _current(db: Database) -> int:
    found = schema.status(db)
    print(f"Base : {_describe(found)}")
    print(f"Code : {found.head}")
    if found.up_to_date:
        print("À jour.")
        return 0
    print("En retard : terrapro db upgrade")
    return 1


def _revision(message: str) -> int:
    path = schema.new_revision(message)
    print(f"Migration écrite : {path}")
    print("Relis-la (types, index partiels, données à reprendre), puis : terrapro db upgrade")
    return 0


def _describe(found: schema.SchemaStatus) -> str:
    if found.current:
        return found.current
    return "créée par la version 0.1.0 (sans numéro)" if found.legacy else "vide"
