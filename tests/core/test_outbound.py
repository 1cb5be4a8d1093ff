from __future__ import annotations

from bot.core.messages import Reply
from bot.core.outbound import REASON_NO_CHANNEL, ChannelPorts, Lane, SendResult, SendStatus


class RecordingPort:
    def __init__(self) -> None:
        self.sent: list[tuple[str, str, str, Lane]] = []

    async def send(self, channel, external_id, reply, lane=Lane.PRIORITY, *, replying_to=None, on_write=None):
        self.sent.append((channel, external_id, reply.text, lane))
        return SendResult.ok("7")

    async def edit(self, channel, external_id, message_ref, reply):
        return SendResult.ok(message_ref)


async def test_routes_by_channel_and_keeps_the_lane():
    ports, whatsapp = ChannelPorts(), RecordingPort()
    ports.register("whatsapp", whatsapp)
    assert ports.channels == ("whatsapp",) and "whatsapp" in ports and "telegram" not in ports
    result = await ports.send("whatsapp", "221770000001", Reply("y"), Lane.BULK)
    assert result.sent and result.message_ref == "7"
    assert whatsapp.sent == [("whatsapp", "221770000001", "y", Lane.BULK)]


async def test_a_channel_without_port_is_a_failed_send_not_an_exception():
    ports = ChannelPorts()
    result = await ports.send("telegram", "9001", Reply("x"))
    assert (result.status, result.reason) == (SendStatus.FAILED, REASON_NO_CHANNEL)
    assert (await ports.edit("telegram", "9001", "1", Reply("x"))).status is SendStatus.FAILED
