"""`terrapro privacy purge [--dry-run]`: apply the retention period now, or show what would go."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.storage.retention import RetentionPurge

# What each table holds, in the coordinator's words.
LABELS = {
    "handoff_tickets": "demandes de référent closes (résumé, note)",
    "handoff_notices": "messages d'annonce envoyés aux référents",
    "handoff_announcements": "suivi des annonces aux référents",
    "unanswered_questions": "questions sans réponse",
    "broadcast_recipients": "envois d'annonces (une ligne par destinataire)",
    "broadcast_reminders": "rappels envoyés",
    "outgoing_statuses": "statuts des messages envoyés",
    "inbox_items": "messages reçus déjà traités (identifiants seulement)",
    "outbox_items": "messages envoyés par la file de sortie (identifiants seulement)",
    "turn_facts": "faits par tour pour le tableau de bord (sans texte)",
}


def register(subparsers: Any, storage_factory: Callable[[], Any], settings_factory: Callable[[], Any]) -> None:
    privacy = subparsers.add_parser("privacy", help="vie privée : durée de conservation")
    privacy_sub = privacy.add_subparsers(dest="privacy_command", required=True)
    purge = privacy_sub.add_parser("purge", help="effacer ce qui dépasse TERRAPRO_RETENTION_DAYS")
    purge.add_argument("--dry-run", action="store_true", help="montrer ce qui partirait, sans rien effacer")
    purge.set_defaults(run=lambda args: run_purge(storage_factory(), settings_factory(), args.dry_run))


def run_purge(storage: Any, settings: Any, dry_run: bool) -> int:
    retention = RetentionPurge(storage.db, settings.retention_days)
    counts = retention.count() if dry_run else retention.purge()
    print(f"Conservation : {settings.retention_days} jours (avant le {retention.cutoff():%Y-%m-%d}).")
    for table, count in counts.items():
        print(f"  {count:>7}  {LABELS.get(table, table)}")
    total = sum(counts.values())
    if dry_run:
        print(f"Simulation : {total} ligne(s) partiraient ; rien n'a été effacé.")
    else:
        print(f"{total} ligne(s) effacée(s).")
    return 0
