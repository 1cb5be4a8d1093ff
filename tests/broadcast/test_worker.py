from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from bot.broadcast.errors import BroadcastRefused
from bot.core.outbound import SendResult
from tests.broadcast.conftest import NOW


async def test_scheduled_campaign_goes_when_due_not_before(add_people, make_broadcast, sender, clock):
    add_people(4)
    b = make_broadcast({"telegram": sender})
    campaign = b.service.create("Forum demain", territoire="bignona", at="2026-12-01T12:00")  # Dakar = UTC

    clock.now = datetime(2026, 12, 1, 11, 59, tzinfo=timezone.utc)
    tick = await b.worker.run_once()
    assert tick.campaigns == [] and sender.sends == []
    assert b.repo.get(campaign.id).status == "scheduled"

    clock.now = datetime(2026, 12, 1, 12, 0, 30, tzinfo=timezone.utc)
    tick = await b.worker.run_once()
    assert [s.campaign_id for s in tick.campaigns] == [campaign.id]
    assert len(sender.sends) == 4 and b.repo.get(campaign.id).status == "done"

    clock.advance(hours=1)
    assert (await b.worker.run_once()).campaigns == []
    assert len(sender.sends) == 4


async def test_draft_campaigns_are_not_sent_by_the_worker(add_people, make_broadcast, sender):
    add_people(2)
    b = make_broadcast({"telegram": sender})
    b.service.create("brouillon", territoire="bignona")
    await b.worker.run_once()
    assert sender.sends == []


async def test_worker_resumes_a_campaign_a_dead_sender_left(add_people, make_broadcast, sender, clock):
    ids = add_people(5)
    b = make_broadcast({"telegram": sender})
    campaign = b.service.create("x", territoire="bignona")
    b.repo.materialise(campaign.id, ids, NOW)
    p0 = b.repo.claim_next(campaign.id, "dead-run", NOW)  # the dead process was writing to p0...
    b.repo.mark_attempted(p0.row_id, "dead-run", NOW)
    b.repo.claim_next(campaign.id, "dead-run", NOW)  # ...and p1 was waiting for its slot
    clock.advance(seconds=30)
    assert (await b.worker.run_once()).campaigns == []  # heartbeat still fresh: maybe alive
    clock.advance(minutes=5)
    tick = await b.worker.run_once()
    assert tick.campaigns[0].uncertain == 1  # p0 may have it: never sent again
    assert sorted(sender.ids()) == ["p1", "p2", "p3", "p4"]  # p1 never left: sent now
    assert tick.campaigns[0].done


async def test_worker_resumes_the_rows_a_platform_outage_left_queued(add_people, make_broadcast, sender, clock):
    add_people(3)
    sender.script["p1"] = [SendResult.not_sent("connexion impossible")]
    b = make_broadcast({"telegram": sender}, concurrency=1)
    campaign = b.service.create("x", territoire="bignona", at="2026-12-01T10:30")
    clock.advance(minutes=31)
    tick = await b.worker.run_once()
    assert (tick.campaigns[0].sent, tick.campaigns[0].queued) == (1, 2)  # channel down after p1
    clock.advance(minutes=1)
    assert (await b.worker.run_once()).campaigns == []  # not yet taken for stalled
    clock.advance(minutes=5)
    tick = await b.worker.run_once()
    assert (tick.campaigns[0].sent, tick.campaigns[0].queued, tick.campaigns[0].done) == (3, 0, True)
    assert sorted(sender.ids()) == ["p0", "p1", "p1", "p2"]  # p1's first try never left
    assert b.repo.get(campaign.id).status == "done"


async def test_worker_abandons_a_campaign_whose_event_has_passed(add_people, make_broadcast, sender, clock):
    add_people(2)
    b = make_broadcast({"telegram": sender})
    campaign = b.service.create("x", event_id="EVT-FUT", at="2026-12-11T10:00")
    clock.now = datetime(2026, 12, 20, tzinfo=timezone.utc)  # the worker was down for days
    await b.worker.run_once()
    assert sender.sends == [] and b.repo.get(campaign.id).status == "done"


async def test_reminder_is_sent_once_the_day_before_at_nine(add_people, make_broadcast, sender, clock, subscriptions):
    savoie = add_people(1, territoire="savoie", prefix="sav")[0]
    bignona = add_people(1, prefix="big")[0]
    b = make_broadcast({"telegram": sender})
    r_sav = b.reminders.request(savoie, "EVT-SAV")  # 6 February 2027, Paris
    r_big = b.reminders.request(bignona, "EVT-FUT")  # 12 December 2026, Dakar
    assert b.reminders.request(bignona, "EVT-FUT").id == r_big.id  # asking twice: one reminder
    assert r_sav.due_at == datetime(2027, 2, 5, 8, 0, tzinfo=timezone.utc)
    assert r_big.due_at == datetime(2026, 12, 11, 9, 0, tzinfo=timezone.utc)

    clock.now = datetime(2026, 12, 11, 8, 59, tzinfo=timezone.utc)
    assert (await b.worker.run_once()).reminders == 0
    clock.now = datetime(2026, 12, 11, 9, 1, tzinfo=timezone.utc)
    assert (await b.worker.run_once()).reminders == 1
    assert sender.ids() == ["big0"] and "Rappel" in sender.messages[0].text
    assert (await b.worker.run_once()).reminders == 0
    subscriptions.unsubscribe(savoie)  # STOP before the reminder: nothing is sent
    clock.now = datetime(2027, 2, 5, 9, 0, tzinfo=timezone.utc)
    await b.worker.run_once()
    assert sender.ids() == ["big0"]
    assert [r.status for r in b.repo.reminders_for(savoie)] == ["skipped"]


async def test_reminder_refused_for_past_or_unknown_events(add_people, make_broadcast, sender, clock):
    person = add_people(1)[0]
    b = make_broadcast({"telegram": sender})
    with pytest.raises(BroadcastRefused, match="trop tard"):
        b.reminders.request(person, "EVT-PAST")
    with pytest.raises(BroadcastRefused):
        b.reminders.request(person, "EVT-???")
    # Asked after 09:00 the day before: sent at the next tick.
    clock.now = datetime(2026, 12, 11, 15, 0, tzinfo=timezone.utc)
    assert b.reminders.request(person, "EVT-FUT").due_at == clock.now
    assert (await b.worker.run_once()).reminders == 1
    clock.advance(days=1, minutes=1)
    assert (await b.worker.run_once()).reminders == 0
    assert len(sender.sends) == 1
    assert timedelta(0) <= clock.now - datetime(2026, 12, 12, 15, tzinfo=timezone.utc)


async def test_the_worker_tick_purges_what_is_past_retention(make_broadcast, sender, db):
    from sqlalchemy import update

    from bot.storage.models import UnansweredQuestion
    from bot.storage.persons import PersonRepository
    from bot.storage.unanswered import UnansweredRepository

    pid = PersonRepository(db).get_or_create("telegram", "42").id
    UnansweredRepository(db).record(pid, "vieille question", "nlu_fallback", 0.1, "fr")
    with db.session() as session:
        session.execute(update(UnansweredQuestion).values(created_at=datetime.now(timezone.utc) - timedelta(days=400)))
    broadcast = make_broadcast({"telegram": sender})
    await broadcast.worker.run_once()
    assert UnansweredRepository(db).recent(10) == []


async def test_a_reminder_a_dead_sender_claimed_is_sent_once_its_claim_expires(add_people, make_broadcast, sender, clock):
    never_left, maybe_left = add_people(2)
    b = make_broadcast({"telegram": sender})
    b.reminders.request(never_left, "EVT-FUT")
    b.reminders.request(maybe_left, "EVT-FUT")
    clock.now = datetime(2026, 12, 11, 9, 1, tzinfo=timezone.utc)
    first, _ = b.repo.claim_due_reminder("dead-run", clock())  # waiting for its slot when killed
    second, _ = b.repo.claim_due_reminder("dead-run", clock())
    assert b.repo.mark_attempted(second.id, "dead-run", clock(), kind="reminder")  # being written
    assert (await b.worker.run_once()).reminders == 0  # claims still fresh: maybe alive
    clock.advance(minutes=2)
    assert (await b.worker.run_once()).reminders == 1
    assert sender.ids() == ["p0"]
    assert [r.status for r in b.repo.reminders_for(maybe_left)] == ["uncertain"]
    assert (await b.worker.run_once()).reminders == 0 and sender.ids() == ["p0"]
