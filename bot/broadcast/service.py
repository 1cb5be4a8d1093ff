"""Campaigns as coordinators see them: create, preview, send, follow."""
from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from bot.broadcast.engine import DeliveryEngine, DeliverySummary, Progress
from bot.broadcast.errors import BroadcastRefused, CampaignNotFound, NoChannel
from bot.broadcast.localtime import local_date, parse_local
from bot.broadcast.ports import Outgoing
from bot.broadcast.texts import campaign_message, french_date
from bot.catalogue.model import TERRITORIES, Event
from bot.storage.base import utcnow
from bot.storage.campaigns import CampaignRecord, CampaignRepository
from bot.storage.subscriptions import SubscriptionRepository

log = logging.getLogger(__name__)

# A coordinator's clock may lag a little; further in the past is a typo.
PAST_TOLERANCE = timedelta(minutes=1)


@dataclass(frozen=True)
class Preview:
    campaign: CampaignRecord
    message: Outgoing
    recipients: int


@dataclass(frozen=True)
class CampaignStatus:
    campaign: CampaignRecord
    counts: dict[str, int]
    skip_reasons: dict[str, int]


class BroadcastService:
    def __init__(
        self,
        repo: CampaignRepository,
        subscriptions: SubscriptionRepository,
        engine: DeliveryEngine,
        events: Sequence[Event],
        *,
        today: Callable[[], date] | None = None,
        clock: Callable[[], datetime] = utcnow,
        bassins: Collection[str] = (),
        filieres: Collection[str] = (),
    ) -> None:
        self.repo = repo
        self._subscriptions = subscriptions
        self.engine = engine
        self._events = {e.id: e for e in events}
        self._clock = clock
        self._today = today
        self._bassins = set(bassins)
        self._filieres = set(filieres)

    # Creating ---------------------------------------------------------------

    def create(
        self,
        text: str,
        *,
        territoire: str | None = None,
        bassin: str | None = None,
        filiere: str | None = None,
        event_id: str | None = None,
        at: str | datetime | None = None,
    ) -> CampaignRecord:
        event = self._event(event_id) if event_id else None
        if event is not None:
            self._refuse_if_past(event)
            territoire = territoire or event.territoire
        self._check_segment(territoire, bassin, filiere)
        scheduled_at = self._scheduled_at(at, territoire, event)
        return self.repo.create(
            text, territoire=territoire, bassin=bassin, filiere=filiere,
            event_id=event.id if event else None, scheduled_at=scheduled_at, now=self._clock(),
        )

    def _scheduled_at(self, at: str | datetime | None, territoire: str | None, event: Event | None) -> datetime | None:
        if at is None or at == "":
            return None
        if isinstance(at, datetime):
            moment = at
        else:
            try:
                moment = parse_local(at, territoire)
            except ValueError:
                raise BroadcastRefused(
                    f"date d'envoi « {at} » illisible : utilisez le format AAAA-MM-JJTHH:MM (ex. 2026-12-01T10:00)"
                ) from None
        if moment < self._clock() - PAST_TOLERANCE:
            raise BroadcastRefused("la date d'envoi est déjà passée")
        if event is not None and local_date(moment, event.territoire) > event.date:
            raise BroadcastRefused(
                f"l'envoi programmé tomberait après l'événement {event.id} ({french_date(event.date)})"
            )
        return moment

    def _check_segment(self, territoire: str | None, bassin: str | None, filiere: str | None) -> None:
        if territoire and territoire not in TERRITORIES:
            raise BroadcastRefused(f"territoire « {territoire} » inconnu (choix : {', '.join(TERRITORIES)})")
        if bassin and self._bassins and bassin not in self._bassins:
            raise BroadcastRefused(f"bassin « {bassin} » inconnu (choix : {', '.join(sorted(self._bassins))})")
        if filiere and self._filieres and filiere not in self._filieres:
            raise BroadcastRefused(f"filière « {filiere} » inconnue (codes : {', '.join(sorted(self._filieres))})")

    def _event(self, event_id: str) -> Event:
        event = self._events.get(event_id.strip())
        if event is None:
            raise BroadcastRefused(f"événement « {event_id} » absent de events.csv")
        return event

    def _today_date(self, territoire: str | None) -> date:
        return self._today() if self._today else local_date(self._clock(), territoire)

    def _refuse_if_past(self, event: Event) -> None:
        if event.date < self._today_date(event.territoire):
            raise BroadcastRefused(
                f"l'événement {event.id} « {event.titre} » a eu lieu le {french_date(event.date)} : "
                "on n'annonce jamais un événement passé"
            )

    # Reading ------------------------------------------------------------------

    def get(self, campaign_id: int) -> CampaignRecord:
        campaign = self.repo.get(campaign_id)
        if campaign is None:
            raise CampaignNotFound(campaign_id)
        return campaign

    def message(self, campaign: CampaignRecord) -> Outgoing:
        event = self._events.get(campaign.event_id) if campaign.event_id else None
        can_remind = event is not None and event.date > self._today_date(event.territoire)
        return campaign_message(campaign.text, event, can_remind=can_remind)

    def preview(self, campaign_id: int) -> Preview:
        campaign = self.get(campaign_id)
        if campaign.materialised_at is not None:
            count = campaign.recipient_count
        else:
            count = len(self._recipients(campaign))
        return Preview(campaign, self.message(campaign), count)

    def status(self, campaign_id: int) -> CampaignStatus:
        campaign = self.get(campaign_id)
        return CampaignStatus(campaign, self.repo.counts(campaign_id), self.repo.skip_reasons(campaign_id))

    def list(self, limit: int = 50) -> list[CampaignRecord]:
        return self.repo.list(limit)

    def count_recipients(self, territoire: str | None, bassin: str | None, filiere: str | None) -> int:
        """How many people a campaign for this segment would reach now (nothing is created)."""
        self._check_segment(territoire, bassin, filiere)
        return len(self._subscriptions.recipients(territoire=territoire, bassin=bassin, filiere=filiere))

    def cancel_scheduled(self, campaign_id: int) -> bool:
        """A scheduled campaign not yet started goes back to draft (never sent). False once it started."""
        self.get(campaign_id)
        return self.repo.unschedule(campaign_id)

    def _recipients(self, campaign: CampaignRecord):
        return self._subscriptions.recipients(
            territoire=campaign.territoire, bassin=campaign.bassin, filiere=campaign.filiere
        )

    # Sending -----------------------------------------------------------------

    async def send(self, campaign_id: int, *, progress: Progress | None = None, stop=None) -> DeliverySummary:
        """Deliver now (or resume). A finished campaign sends nothing."""
        campaign = self.get(campaign_id)
        if not self.engine.has_senders:
            raise NoChannel()
        if campaign.materialised_at is None and campaign.status != "done":
            event = self._events.get(campaign.event_id) if campaign.event_id else None
            if campaign.event_id and event is None:
                raise BroadcastRefused(f"l'événement {campaign.event_id} n'est plus dans events.csv : rien n'est envoyé")
            if event is not None:
                self._refuse_if_past(event)
            people = self._recipients(campaign)
            if not self.repo.materialise(campaign_id, [p.id for p in people], self._clock()):
                log.info("campaign %s already materialised by another sender", campaign_id)
        elif campaign.status != "done":
            self.repo.mark_sending(campaign_id, self._clock())
        return await self.engine.deliver(campaign_id, self.message(campaign), progress=progress, stop=stop)

    def abandon(self, campaign_id: int) -> None:
        """Close a campaign that must not go out (its event passed): it stops being due."""
        self.repo.finish_if_drained(campaign_id, self._clock())

    def due(self) -> list[CampaignRecord]:
        return self.repo.due(self._clock())

    def stalled(self, quiet_for: timedelta) -> list[CampaignRecord]:
        return self.repo.stalled(self._clock() - quiet_for)
