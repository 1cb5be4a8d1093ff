"""`terrapro` command line: one entry point, one sub-command per feature.

Each command asks the one ``App`` (bot/app.py) for the parts it uses, and the
``App`` builds only those: `broadcast list` never loads the NLU model, `db`
never even checks the schema version.
"""
from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING

from bot.core.errors import TerraProError
from bot.core.terminal import TerminalSafeStream
from bot.settings import Settings

if TYPE_CHECKING:
    from bot.app import App


def main(argv: list[str] | None = None) -> int:
    settings = cache(Settings)
    app = cache(lambda: _app(settings()))
    args = build_parser(settings, app).parse_args(argv)
    configure_logging(settings().log_level)
    # Messages, names and catalogue cells end up on a terminal: none may carry escape sequences.
    streams = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = TerminalSafeStream(sys.stdout), TerminalSafeStream(sys.stderr)
    try:
        result = args.run(args)
    except TerraProError as exc:
        print(f"erreur : {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    finally:
        sys.stdout, sys.stderr = streams
    return int(result or 0)


def build_parser(settings: Callable[[], Settings], app: Callable[[], App]) -> argparse.ArgumentParser:
    """Every command; nothing is built until a command's ``run`` calls ``app()``."""
    parser = argparse.ArgumentParser(prog="terrapro", description="Assistant d'orientation TerraPro")
    sub = parser.add_subparsers(dest="command", required=True)

    chat = sub.add_parser("chat", help="discuter avec le bot dans le terminal")
    chat.add_argument("--user", default="local", help="identifiant de la personne (la conversation continue)")
    chat.set_defaults(run=lambda args: _chat(app(), args.user))

    questions = sub.add_parser("questions", help="questions auxquelles le bot n'a pas su répondre")
    questions.add_argument("--limit", type=int, default=50)
    questions.set_defaults(run=lambda args: _questions(app(), args.limit))

    stats = sub.add_parser("stats", help="chiffres pour les coordinateurs")
    stats_sub = stats.add_subparsers(dest="stats_command", required=True)
    delivery = stats_sub.add_parser("envois", help="statuts et erreurs des messages envoyés (WhatsApp, Telegram)")
    delivery.add_argument("--channel", default="whatsapp", choices=["whatsapp", "telegram"])
    delivery.set_defaults(run=lambda args: _delivery_stats(app(), args.channel))

    safety = sub.add_parser("safety", help="repérage des messages de détresse")
    safety_sub = safety.add_subparsers(dest="safety_command", required=True)
    safety_eval = safety_sub.add_parser("eval", help="précision et rappel sur un jeu de messages étiquetés")
    safety_eval.add_argument("fichier", nargs="?", default=None, help="par défaut tests/data/distress.yml")
    safety_eval.set_defaults(run=lambda args: _safety_eval(settings(), args.fichier))

    from bot.broadcast.cli import register as register_broadcast
    from bot.catalogue.cli import register as register_catalogue
    from bot.handoff.cli import register as register_handoff
    from bot.nlu.cli import register as register_nlu
    from bot.storage.cli import register as register_db
    from bot.storage.retention_cli import register as register_privacy
    from bot.web.console.cli import register as register_console

    register_broadcast(sub, lambda: app().admin_broadcast(), lambda: app().sending_broadcast())
    register_nlu(sub, lambda: app().nlu)
    register_handoff(sub, lambda: app().storage, stats_sub)
    register_catalogue(sub, settings)
    register_db(sub, lambda: _database(settings()))
    register_privacy(sub, lambda: app().storage, settings)
    register_console(sub, lambda: app().storage, settings)
    _register_servers(sub, app)
    return parser


def configure_logging(level: str) -> None:
    from bot.logging_privacy import install_privacy_filter

    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    install_privacy_filter()


def _app(settings: Settings) -> App:
    from bot.app import App

    return App(settings)


def _database(settings: Settings):
    from bot.storage.database import Database

    return Database.from_url(settings.effective_database_url)


def _chat(app: App, user: str) -> int:
    from bot.app import nlu_model_ready
    from bot.channels.cli_chat import CHANNEL, chat

    if not nlu_model_ready(app.settings):
        # First start: the language model trains for several seconds; say so instead of staying silent.
        print(app.texts.get("chat_getting_ready"), file=sys.stderr, flush=True)
    conversation = app.conversation
    asyncio.run(chat(conversation, user, resume=conversation.last_buttons(CHANNEL, user)))
    return 0


def _safety_eval(settings: Settings, path: str | None) -> int:
    from pathlib import Path

    from bot.core.distress_eval import evaluate, render
    from bot.core.safety import SafetyContent
    from bot.settings import PROJECT_ROOT

    content = SafetyContent.load(settings.content_dir)
    print(render(evaluate(content.check, Path(path) if path else PROJECT_ROOT / "tests" / "data" / "distress.yml")))
    return 0


def _questions(app: App, limit: int) -> int:
    rows = app.unanswered.recent(limit)
    if not rows:
        print("Aucune question sans réponse.")
        return 0
    for row in rows:
        print(f"{row.created_at:%Y-%m-%d %H:%M}  [{row.intent} {row.confidence:.2f}]  {row.text}")
    return 0


def _delivery_stats(app: App, channel: str) -> int:
    from bot.storage.delivery_status import DeliveryStatusRepository

    repo = DeliveryStatusRepository(app.db)
    statuses, errors = repo.status_counts(channel), repo.error_counts(channel)
    print(f"Messages {channel} par statut : " + (", ".join(f"{k} {v}" for k, v in sorted(statuses.items())) or "aucun"))
    print("Erreurs de l'API par code : " + (", ".join(f"{k} ×{v}" for k, v in sorted(errors.items())) or "aucune"))
    return 0


def _register_servers(sub, app) -> None:
    from bot.action_server import register as register_action_server
    from bot.web.cli import register as register_web

    telegram = sub.add_parser(
        "telegram", help="Lance le bot Telegram (long polling)",
        description="Lance le bot Telegram en long polling (TERRAPRO_TELEGRAM_TOKEN requis).",
    )
    telegram.set_defaults(run=lambda args: _telegram(app))
    register_web(sub, lambda host: _web_app(app(), host))
    register_action_server(sub, app)


def _telegram(make_app) -> int:
    # python-telegram-bot is imported only by this command and `serve`.
    from bot.channels.telegram.cli import run

    return run(make_app)


def _web_app(app: App, host: str):
    from bot.web.compose import build_web_app

    return build_web_app(app, host)
