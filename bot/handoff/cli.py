"""`terrapro referent …` and `terrapro stats handoff`."""
from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from bot.handoff.stats import render
from bot.storage.base import utcnow
from bot.storage.referents import ROLES, NoticeRepository, ReferentRepository


def register(
    subparsers: argparse._SubParsersAction,
    make_services: Callable[[], Any],
    stats_commands: argparse._SubParsersAction | None = None,
) -> None:
    """Adds `referent …` and `stats handoff` (under the shared `stats` command when given)."""
    referent = subparsers.add_parser("referent", help="référents qui prennent les demandes (Telegram)")
    commands = referent.add_subparsers(dest="referent_command", required=True)
    add = commands.add_parser("add", help="enregistrer un référent")
    add.add_argument("--name", required=True, help="prénom (seul le prénom est gardé)")
    add.add_argument("--telegram-id", required=True, help="identifiant Telegram numérique")
    add.add_argument("--bassin", default=None, help="bassin de vie suivi (sinon : tous)")
    add.add_argument("--role", choices=ROLES, default="referent")
    add.set_defaults(run=lambda args: _add(make_services(), args))
    commands.add_parser("list", help="lister les référents").set_defaults(run=lambda args: _list(make_services()))
    remove = commands.add_parser("remove", help="retirer un référent (sa conversation repart dans la file)")
    remove.add_argument("id", type=int)
    remove.set_defaults(run=lambda args: _remove(make_services(), args.id))

    if stats_commands is None:
        stats = subparsers.add_parser("stats", help="chiffres")
        stats_commands = stats.add_subparsers(dest="stats_command", required=True)
    stats_commands.add_parser("handoff", help="file des référents : attente, durée, notes, par bassin").set_defaults(
        run=lambda args: _stats(make_services()))


def _add(services: Any, args: argparse.Namespace) -> int:
    added = ReferentRepository(services.db).add(args.name, args.telegram_id, args.bassin, args.role)
    print(f"Référent n°{added.id} enregistré : {added.name} ({added.bassin or 'tous bassins'}, {added.role}).")
    return 0


def _list(services: Any) -> int:
    rows = ReferentRepository(services.db).all()
    if not rows:
        print("Aucun référent. Ajoute-en un : terrapro referent add --name PRÉNOM --telegram-id ID")
        return 0
    for r in rows:
        state = "présent" if r.present else "absent"
        print(f"{r.id:>4}  {r.name:<15} telegram {r.telegram_id:<14} {r.bassin or 'tous bassins':<22} {r.role:<9} {state}")
    return 0


def _remove(services: Any, referent_id: int) -> int:
    referents = ReferentRepository(services.db)
    if referents.get(referent_id) is None:
        print(f"Aucun référent n°{referent_id}.")
        return 1
    notices = NoticeRepository(services.db)
    for ticket in services.handoffs.assigned_to(referent_id):
        # Back to the queue: the worker announces it again to the other referents.
        if services.handoffs.release(ticket.id, referent_id):
            notices.forget_notices(ticket.id)
            notices.forget_announcement(ticket.id)
    referents.remove(referent_id)
    print(f"Référent n°{referent_id} retiré.")
    return 0


def _stats(services: Any) -> int:
    print(render(services.handoffs.all_tickets(), utcnow()))
    return 0
