"""`terrapro` command line: one entry point, one sub-command per feature."""
from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from functools import cache

from bot.core.errors import TerraProError
from bot.settings import Settings


def main(argv: list[str] | None = None) -> int:
    settings_factory = cache(Settings)
    services_factory = cache(lambda: _build_services(settings_factory()))

    parser = argparse.ArgumentParser(prog="terrapro", description="Assistant d'orientation TerraPro")
    sub = parser.add_subparsers(dest="command", required=True)

    chat = sub.add_parser("chat", help="discuter avec le bot dans le terminal")
    chat.add_argument("--user", default="local", help="identifiant de la personne (la conversation continue)")
    chat.set_defaults(run=lambda args: _chat(services_factory(), args.user))

    questions = sub.add_parser("questions", help="questions auxquelles le bot n'a pas su répondre")
    questions.add_argument("--limit", type=int, default=50)
    questions.set_defaults(run=lambda args: _questions(services_factory(), args.limit))

    stats = sub.add_parser("stats", help="chiffres pour les coordinateurs")
    stats_sub = stats.add_subparsers(dest="stats_command", required=True)
    delivery = stats_sub.add_parser("envois", help="statuts et erreurs des messages envoyés (WhatsApp, Telegram)")
    delivery.add_argument("--channel", default="whatsapp", choices=["whatsapp", "telegram"])
    delivery.set_defaults(run=lambda args: _delivery_stats(services_factory(), args.channel))

    from bot.catalogue.cli import register as register_catalogue
    from bot.nlu.cli import register as register_nlu

    from bot.handoff.cli import register as register_handoff

    from bot.broadcast.cli import register as register_broadcast

    register_broadcast(sub, services_factory, lambda: _sending_broadcast(services_factory()))
    register_nlu(sub, lambda: _nlu_engine(settings_factory()))
    register_handoff(sub, lambda: _storage(settings_factory()), stats_sub)
    register_catalogue(sub, settings_factory)
    from bot.web.console.cli import register as register_console

    register_console(sub, lambda: _storage(settings_factory()), settings_factory)
    _register_channels(sub, services_factory)

    args = parser.parse_args(argv)
    logging.basicConfig(level=settings_factory().log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        result = args.run(args)
    except TerraProError as exc:
        print(f"erreur : {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return int(result or 0)


def _build_services(settings: Settings):
    from bot.app import build_services

    return build_services(settings)


def _sending_broadcast(services):
    from bot.channels.outbound import build_sending_broadcast

    return build_sending_broadcast(services)


def _storage(settings: Settings):
    from bot.app import build_storage

    return build_storage(settings)


def _nlu_engine(settings: Settings):
    from bot.app import build_nlu

    return build_nlu(settings)


def _chat(services, user: str) -> int:
    from bot.channels.cli_chat import chat

    asyncio.run(chat(services.conversation, user))
    return 0


def _questions(services, limit: int) -> int:
    rows = services.unanswered.recent(limit)
    if not rows:
        print("Aucune question sans réponse.")
        return 0
    for row in rows:
        print(f"{row.created_at:%Y-%m-%d %H:%M}  [{row.intent} {row.confidence:.2f}]  {row.text}")
    return 0


def _delivery_stats(services, channel: str) -> int:
    from bot.storage.delivery_status import DeliveryStatusRepository

    repo = DeliveryStatusRepository(services.db)
    statuses, errors = repo.status_counts(channel), repo.error_counts(channel)
    print(f"Messages {channel} par statut : " + (", ".join(f"{k} {v}" for k, v in sorted(statuses.items())) or "aucun"))
    print("Erreurs de l'API par code : " + (", ".join(f"{k} ×{v}" for k, v in sorted(errors.items())) or "aucune"))
    return 0


def _register_channels(sub, services_factory) -> None:
    from bot.channels.telegram.cli import register as register_telegram
    from bot.web.cli import register as register_web

    register_telegram(sub, services_factory)
    register_web(sub, lambda: _web_app(services_factory()))


def _web_app(services):
    from bot.web.compose import build_web_app

    return build_web_app(services)
