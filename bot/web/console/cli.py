"""`terrapro console user add|list|link|logout`: console accounts from the shell (the first admin)."""
from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from bot.storage.console_accounts import ConsoleSessionRepository, ConsoleUserRepository
from bot.storage.console_audit import AuditRepository
from bot.storage.console_tables import CONSOLE_ROLES, CONSOLE_TERRITORIES
from bot.web.console.security import new_token

LINK_VALID_FOR = timedelta(hours=48)
CLI_ACTOR = "(terminal)"  # who wrote, in the audit log, when it came from the shell


def register(subparsers: Any, make_storage: Callable[[], Any], make_settings: Callable[[], Any]) -> None:
    console = subparsers.add_parser("console", help="comptes de la console web des coordinateurs")
    users = console.add_subparsers(dest="console_command", required=True).add_parser("user", help="comptes")
    actions = users.add_subparsers(dest="user_command", required=True)

    add = actions.add_parser("add", help="créer un compte ; affiche un lien pour choisir le mot de passe")
    add.add_argument("--email", required=True)
    add.add_argument("--role", required=True, choices=CONSOLE_ROLES)
    add.add_argument("--territoire", required=True, choices=CONSOLE_TERRITORIES)
    add.add_argument("--referent-id", type=int, help="pour un compte référent : son numéro dans `terrapro referent list`")
    add.set_defaults(run=lambda args: _add(args, make_storage(), make_settings()))

    link = actions.add_parser("link", help="nouveau lien pour (re)choisir le mot de passe")
    link.add_argument("--email", required=True)
    link.set_defaults(run=lambda args: _link(args, make_storage(), make_settings()))

    actions.add_parser("list", help="les comptes").set_defaults(run=lambda args: _list(make_storage()))

    logout = actions.add_parser("logout", help="fermer toutes les sessions d'un compte")
    logout.add_argument("--email", required=True)
    logout.set_defaults(run=lambda args: _logout(args, make_storage()))


def _url(settings: Any, token: str) -> str:
    return f"{settings.console_base_url.rstrip('/')}/console/mot-de-passe/{token}"


def _add(args: argparse.Namespace, storage: Any, settings: Any) -> int:
    token = new_token()
    user = ConsoleUserRepository(storage.db).add(
        args.email, args.role, args.territoire, token, LINK_VALID_FOR, referent_id=args.referent_id
    )
    AuditRepository(storage.db).record(CLI_ACTOR, "account_created", user.email, f"{user.role} {user.territoire}")
    print(f"Compte {user.email} créé ({user.role}, {user.territoire}).")
    print(f"Lien à usage unique pour choisir le mot de passe (valable 48 h) :\n{_url(settings, token)}")
    return 0


def _link(args: argparse.Namespace, storage: Any, settings: Any) -> int:
    token = new_token()
    if not ConsoleUserRepository(storage.db).reset_setup_token(args.email, token, LINK_VALID_FOR):
        print("Aucun compte avec cette adresse.")
        return 1
    AuditRepository(storage.db).record(CLI_ACTOR, "password_link", args.email.strip().lower())
    print(f"Lien à usage unique (valable 48 h) :\n{_url(settings, token)}")
    return 0


def _list(storage: Any) -> int:
    users = ConsoleUserRepository(storage.db).all()
    for user in users:
        state = "désactivé" if user.disabled else ("actif" if user.password_hash else "mot de passe à choisir")
        print(f"{user.id:>4}  {user.email:<40} {user.role:<12} {user.territoire:<8} {state}")
    if not users:
        print("Aucun compte.")
    return 0


def _logout(args: argparse.Namespace, storage: Any) -> int:
    user = ConsoleUserRepository(storage.db).by_email(args.email)
    if user is None:
        print("Aucun compte avec cette adresse.")
        return 1
    count = ConsoleSessionRepository(storage.db).revoke_all(user.id)
    AuditRepository(storage.db).record(CLI_ACTOR, "sessions_revoked", user.email, str(count))
    print(f"{count} session(s) fermée(s).")
    return 0
