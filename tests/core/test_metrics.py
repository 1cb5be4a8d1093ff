"""The core the root builds is counted and timed for `/metrics`, on every path that calls it."""
from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from tests.core.conftest import Chat


def _value(exposition: bytes, name: str, channel: str) -> float:
    for family in text_string_to_metric_families(exposition.decode()):
        for sample in family.samples:
            if sample.name == name and sample.labels.get("channel") == channel:
                return sample.value
    return 0.0


async def test_a_turn_through_the_root_core_is_counted(services):
    chat = Chat(services.conversation, user="m-1", channel="telegram")
    replies = await chat.say("ou apprendre le solaire ?")
    exposition = services.metrics.exposition()
    assert _value(exposition, "terrapro_messages_in_total", "telegram") == 1
    assert _value(exposition, "terrapro_messages_out_total", "telegram") == len(replies) >= 1
    assert _value(exposition, "terrapro_turn_seconds_count", "telegram") == 1
    assert b"solaire" not in exposition
