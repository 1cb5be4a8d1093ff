"""The console's audit log: every write, who, what, when (never a young person's data)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from bot.storage.base import as_utc, utcnow
from bot.storage.console_tables import ConsoleAudit
from bot.storage.database import Database


@dataclass(frozen=True)
class AuditRecord:
    at: datetime
    user_email: str
    action: str
    target: str
    detail: str


class AuditRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    def record(self, user_email: str, action: str, target: str = "", detail: str = "") -> None:
        with self._db.session() as session:
            session.add(ConsoleAudit(
                at=utcnow(), user_email=user_email[:254], action=action[:64], target=str(target)[:200],
                detail=detail[:2000],
            ))

    def recent(self, limit: int = 200) -> list[AuditRecord]:
        with self._db.session() as session:
            rows = session.scalars(select(ConsoleAudit).order_by(ConsoleAudit.id.desc()).limit(limit))
            return [AuditRecord(as_utc(r.at), r.user_email, r.action, r.target, r.detail) for r in rows]
