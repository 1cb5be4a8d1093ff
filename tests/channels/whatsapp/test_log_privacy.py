"""A real WhatsApp send with logging at DEBUG: no token, phone number or text in the logs."""
from __future__ import annotations

import logging
from datetime import timedelta

from bot.core.messages import Reply
from bot.core.outbound import SendStatus
from bot.logging_privacy import install_privacy_filter
from tests.channels.whatsapp.conftest import T0, WA_ID

TEXT = "Fatou Sané, rappelle-moi au 77 123 45 67"


async def test_whatsapp_send_logs_no_token_phone_or_text(
    channel, persons, settings, graph_api, caplog, restore_log_levels
):
    persons.touch_inbound("whatsapp", WA_ID, T0 - timedelta(hours=1))
    for quiet in (False, True):
        if quiet:
            install_privacy_filter()
        caplog.clear()
        graph_api.throttle_next(1)  # a retried send: the client logs it, so the capture is seen to work
        with caplog.at_level(logging.DEBUG):
            assert (await channel.port.send("whatsapp", WA_ID, Reply(TEXT))).status is SendStatus.SENT
        logged = caplog.text
        assert any(r.name == "bot.channels.whatsapp.graph" for r in caplog.records)
        for secret in (settings.whatsapp_token, WA_ID, TEXT, "Fatou", "77 123"):
            assert secret not in logged
