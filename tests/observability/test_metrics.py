"""`/metrics`: per-process counters of the core, database gauges read at scrape time."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import httpx
from prometheus_client.parser import text_string_to_metric_families

from bot.core.messages import IncomingMessage, Reply
from bot.observability.metrics import Metrics
from bot.storage.campaigns import Campaign, CampaignRecipient
from bot.storage.delivery_status import SendErrorCount
from bot.storage.models import HandoffTicket, Person
from bot.storage.operations import OperationsRepository
from bot.web import create_app
from tests.fakes.core import FakeCore

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=timezone.utc)
TEXT = "je m'appelle Fatou, mon numéro 771234567"


class TwoReplies(FakeCore):
    async def _answer(self, message: IncomingMessage) -> list[Reply]:
        return [Reply("un"), Reply("deux")]


def samples(exposition: bytes) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(exposition.decode())
        for s in family.samples
    }


def seed(db) -> None:
    with db.session() as session:
        people = [Person(channel="telegram", external_id=str(n), language="fr", status="active") for n in range(3)]
        session.add_all(people)
        session.flush()
        session.add_all([
            HandoffTicket(person_id=people[0].id, channel="telegram", status="waiting",
                          created_at=NOW - timedelta(minutes=5)),
            HandoffTicket(person_id=people[1].id, channel="telegram", status="waiting",
                          created_at=NOW - timedelta(minutes=1)),
            HandoffTicket(person_id=people[2].id, channel="telegram", status="assigned", created_at=NOW),
        ])
        campaign = Campaign(text="Portes ouvertes", status="sending")
        session.add(campaign)
        session.flush()
        session.add_all([
            CampaignRecipient(campaign_id=campaign.id, person_id=people[0].id, status="sent"),
            CampaignRecipient(campaign_id=campaign.id, person_id=people[1].id, status="sent"),
            CampaignRecipient(campaign_id=campaign.id, person_id=people[2].id, status="queued"),
        ])
        session.add(SendErrorCount(channel="whatsapp", code="131026", count=4))


async def test_turns_are_counted_per_channel_and_timed():
    metrics = Metrics()
    core = TwoReplies()
    await metrics.measure_turn(IncomingMessage(channel="whatsapp", user_id="221771234567", text=TEXT), core.handle)
    await metrics.measure_turn(IncomingMessage(channel="telegram", user_id="42", text=TEXT), core.handle)
    await metrics.measure_turn(IncomingMessage(channel="telegram", user_id="42", text=TEXT), core.handle)
    exposition = metrics.exposition()
    found = samples(exposition)
    assert found[("terrapro_messages_in_total", (("channel", "telegram"),))] == 2
    assert found[("terrapro_messages_out_total", (("channel", "telegram"),))] == 4
    assert found[("terrapro_messages_in_total", (("channel", "whatsapp"),))] == 1
    assert found[("terrapro_turn_seconds_count", (("channel", "telegram"),))] == 2
    for secret in ("Fatou", "771234567", "221771234567"):
        assert secret.encode() not in exposition


def test_database_gauges(db):
    seed(db)
    metrics = Metrics()
    metrics.watch_database(OperationsRepository(db, clock=lambda: NOW))
    found = samples(metrics.exposition())
    assert found[("terrapro_handoff_tickets", (("status", "waiting"),))] == 2
    assert found[("terrapro_handoff_tickets", (("status", "assigned"),))] == 1
    assert found[("terrapro_handoff_oldest_wait_seconds", ())] == 300
    campaign_id = next(labels for name, labels in found if name == "terrapro_broadcast_recipients")[0][1]
    assert found[("terrapro_broadcast_recipients", (("campaign", campaign_id), ("status", "sent")))] == 2
    assert found[("terrapro_broadcast_recipients", (("campaign", campaign_id), ("status", "queued")))] == 1
    assert found[("terrapro_platform_errors_total", (("channel", "whatsapp"), ("code", "131026")))] == 4


async def test_metrics_route_serves_the_prometheus_text_format(sqlite_db):
    seed(sqlite_db)
    metrics = Metrics()
    metrics.watch_database(OperationsRepository(sqlite_db))
    transport = httpx.ASGITransport(app=create_app([], metrics=metrics))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    assert ("terrapro_handoff_tickets", (("status", "waiting"),)) in samples(response.content)
