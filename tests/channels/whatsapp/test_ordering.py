"""Per-person order and back-pressure, now that messages go through the durable inbox."""
from __future__ import annotations

from tests.channels.whatsapp.conftest import WA_ID, post_signed, text_payload


async def test_one_persons_messages_in_order_while_others_go_on(client, channel, handler):
    handler.delays["lent"] = 0.1
    await post_signed(client, text_payload(WA_ID, "wamid.a1", "lent"))
    await post_signed(client, text_payload(WA_ID, "wamid.a2", "ensuite"))
    await post_signed(client, text_payload("33611111111", "wamid.b1", "autre personne"))
    await channel.join()
    assert [m for m in handler.finished if m != "autre personne"] == ["lent", "ensuite"]
    # The other person did not wait behind the slow turn.
    assert handler.finished.index("autre personne") < handler.finished.index("lent")


async def test_a_failing_turn_is_retried_then_the_queue_goes_on(client, channel, handler, graph_api):
    handler.fail_with = RuntimeError("boom")
    await post_signed(client, text_payload(WA_ID, "wamid.f1", "premier"))
    await channel.join()
    # The handler's failure became a polite reply: the turn itself finished once.
    assert handler.finished == ["premier"]
    assert len(graph_api.messages) == 1


async def test_backlog_full_is_503_and_meta_can_redeliver(client, channel, handler):
    channel.webhook.max_backlog = 0
    payload = text_payload(WA_ID, "wamid.busy", "salut")
    assert (await post_signed(client, payload)).status_code == 503
    channel.webhook.max_backlog = 100
    assert (await post_signed(client, payload)).status_code == 200
    await channel.join()
    assert [m.text for m in handler.received] == ["salut"]
