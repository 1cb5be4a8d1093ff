from __future__ import annotations

import pytest

from bot.broadcast.errors import BroadcastRefused, NoChannel
from tests.broadcast.conftest import NOW


async def test_only_opted_in_people_receive_a_broadcast(add_people, persons, make_broadcast, sender):
    opted_in = add_people(3, prefix="in")
    add_people(4, prefix="out", subscribed=False)
    blocked = add_people(1, prefix="blocked")[0]
    persons.update(blocked, status="unreachable")
    b = make_broadcast({"telegram": sender})
    campaign = b.service.create("Portes ouvertes samedi !", territoire="bignona")

    summary = await b.service.send(campaign.id)

    assert sorted(sender.ids()) == ["in0", "in1", "in2"]
    assert summary.sent == 3 and summary.done
    assert b.service.preview(campaign.id).recipients == len(opted_in)


async def test_segments_filter_by_territory_bassin_and_filiere(add_people, make_broadcast, sender):
    add_people(2, prefix="big-any")
    add_people(2, prefix="big-solaire", filiere="solaire")
    add_people(2, prefix="big-couture", filiere="couture")
    add_people(2, prefix="big-bassin", bassin="Diouloulou")
    add_people(2, prefix="sav", territoire="savoie")
    b = make_broadcast({"telegram": sender})

    def count(**segment):
        return b.service.preview(b.service.create("x", **segment).id).recipients

    assert count(territoire="bignona") == 8
    assert count(territoire="savoie") == 2
    # A subscription without filière accepts any filière.
    assert count(territoire="bignona", filiere="solaire") == 6
    assert count(territoire="bignona", bassin="Bignona") == 6
    assert count(territoire="bignona", bassin="Diouloulou", filiere="couture") == 6
    assert count(territoire="bignona", bassin="Diouloulou", filiere="solaire") == 6
    assert count(territoire="bignona", bassin="Ziguinchor", filiere="couture") == 4
    assert count() == 10


async def test_opt_out_after_materialisation_is_honoured(add_people, subscriptions, persons, make_broadcast, sender):
    ids = add_people(6)
    b = make_broadcast({"telegram": sender}, concurrency=1)
    campaign = b.service.create("Forum jeudi", territoire="bignona")
    # Rows are written, then two people opt out and one blocks the bot before their turn.
    assert b.repo.materialise(campaign.id, ids, NOW)
    subscriptions.unsubscribe(ids[1])
    subscriptions.unsubscribe(ids[4])
    persons.update(ids[5], status="unreachable")
    subscriptions.narrow(ids[2], filiere="couture")  # still matches: campaign has no filière

    summary = await b.service.send(campaign.id)

    assert sorted(sender.ids()) == ["p0", "p2", "p3"]
    assert summary.sent == 3 and summary.skipped == 3
    assert summary.skip_reasons == {"désabonné avant l'envoi": 2, "personne injoignable": 1}


async def test_opt_out_during_the_sending_is_honoured(add_people, subscriptions, make_broadcast, sender):
    ids = add_people(5)

    async def last_one_opts_out(external_id):
        subscriptions.unsubscribe(ids[-1])  # "STOP" arrives while the campaign is going out

    sender.on_send = last_one_opts_out
    b = make_broadcast({"telegram": sender}, concurrency=1)
    campaign = b.service.create("x", territoire="bignona")
    await b.service.send(campaign.id)
    assert "p4" not in sender.ids()
    assert len(sender.ids()) == 4


async def test_a_finished_campaign_sends_nothing_again(add_people, make_broadcast, sender):
    add_people(5)
    b = make_broadcast({"telegram": sender})
    campaign = b.service.create("x", territoire="bignona")
    await b.service.send(campaign.id)
    add_people(3, prefix="late")  # subscribed after the campaign went out
    again = await b.service.send(campaign.id)
    assert len(sender.sends) == 5
    assert again.sent_this_run == 0 and again.sent == 5 and again.done


async def test_past_event_is_refused_in_french(make_broadcast, sender):
    b = make_broadcast({"telegram": sender})
    with pytest.raises(BroadcastRefused, match="on n'annonce jamais un événement passé"):
        b.service.create("Venez !", event_id="EVT-PAST")
    with pytest.raises(BroadcastRefused, match="absent de events.csv"):
        b.service.create("Venez !", event_id="EVT-NOPE")
    assert b.service.list() == []


async def test_event_campaign_gets_territory_event_line_and_reminder_button(add_people, make_broadcast, sender):
    add_people(1)
    b = make_broadcast({"telegram": sender})
    campaign = b.service.create("Venez nombreux !", event_id="EVT-FUT")
    assert campaign.territoire == "bignona"
    await b.service.send(campaign.id)
    message = sender.messages[0]
    assert "12 décembre 2026" in message.text
    assert [(x.title, x.payload) for x in message.buttons] == [
        ("Me le rappeler", '/subscribe_alerts{"rappel":"EVT-FUT"}')
    ]


async def test_event_that_passed_before_a_scheduled_send_is_not_sent(add_people, make_broadcast, sender, clock):
    add_people(2)
    b = make_broadcast({"telegram": sender})
    campaign = b.service.create("Venez !", event_id="EVT-FUT", at="2026-12-10T10:00")
    clock.advance(days=30)
    with pytest.raises(BroadcastRefused):
        await b.service.send(campaign.id)
    assert sender.sends == []


def test_schedule_validation(make_broadcast, sender):
    b = make_broadcast({"telegram": sender})
    scheduled = b.service.create("x", territoire="savoie", at="2026-12-02T10:00")
    # Naive times are the territory's local time (Paris is UTC+1 in December).
    assert scheduled.scheduled_at.isoformat() == "2026-12-02T09:00:00+00:00"
    assert scheduled.status == "scheduled"
    with pytest.raises(BroadcastRefused, match="déjà passée"):
        b.service.create("x", at="2026-11-30T10:00")
    with pytest.raises(BroadcastRefused, match="illisible"):
        b.service.create("x", at="demain matin")
    with pytest.raises(BroadcastRefused, match="après l'événement"):
        b.service.create("x", event_id="EVT-FUT", at="2026-12-13T10:00")
    with pytest.raises(BroadcastRefused, match="territoire"):
        b.service.create("x", territoire="dakar")
    with pytest.raises(Exception, match="vide"):
        b.service.create("   ")


async def test_send_without_any_channel_is_refused_and_leaves_the_campaign_intact(add_people, make_broadcast):
    add_people(2)
    b = make_broadcast({})
    campaign = b.service.create("x", territoire="bignona")
    with pytest.raises(NoChannel):
        await b.service.send(campaign.id)
    assert b.repo.get(campaign.id).materialised_at is None
