"""What an operator watches, read from the database at scrape time (so every
process reports the same figures): the referents' queue, campaign progress,
platform error codes, and whether the database answers at all."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, text

from bot.storage.base import as_utc, utcnow
from bot.storage.campaigns import Campaign, CampaignRecipient
from bot.storage.database import Database
from bot.storage.delivery_status import SendErrorCount
from bot.storage.models import HandoffTicket


@dataclass(frozen=True)
class QueueFigures:
    waiting: int
    assigned: int
    oldest_wait_seconds: float  # 0 when nobody waits


@dataclass(frozen=True)
class CampaignProgress:
    campaign_id: int
    status_counts: dict[str, int]  # recipient status -> rows


class OperationsRepository:
    def __init__(self, db: Database, clock=utcnow) -> None:
        self._db = db
        self._clock = clock

    def ping(self) -> None:
        """Raises if the database does not answer."""
        with self._db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    def handoff_queue(self) -> QueueFigures:
        with self._db.session() as session:
            counts = dict(session.execute(
                select(HandoffTicket.status, func.count()).where(HandoffTicket.status.in_(("waiting", "assigned")))
                .group_by(HandoffTicket.status)
            ).all())
            oldest: datetime | None = session.scalar(
                select(func.min(HandoffTicket.created_at)).where(HandoffTicket.status == "waiting")
            )
        wait = (self._clock() - as_utc(oldest)).total_seconds() if oldest is not None else 0.0
        return QueueFigures(counts.get("waiting", 0), counts.get("assigned", 0), max(wait, 0.0))

    def campaigns_in_progress(self) -> list[CampaignProgress]:
        with self._db.session() as session:
            rows = session.execute(
                select(CampaignRecipient.campaign_id, CampaignRecipient.status, func.count())
                .join(Campaign, Campaign.id == CampaignRecipient.campaign_id)
                .where(Campaign.status == "sending")
                .group_by(CampaignRecipient.campaign_id, CampaignRecipient.status)
            ).all()
        progress: dict[int, dict[str, int]] = {}
        for campaign_id, status, count in rows:
            progress.setdefault(campaign_id, {})[status] = count
        return [CampaignProgress(cid, counts) for cid, counts in sorted(progress.items())]

    def platform_errors(self) -> dict[tuple[str, str], int]:
        """(channel, error code) -> errors counted since the start."""
        with self._db.session() as session:
            rows = session.execute(select(SendErrorCount.channel, SendErrorCount.code, SendErrorCount.count)).all()
        return {(channel, code): count for channel, code, count in rows}
