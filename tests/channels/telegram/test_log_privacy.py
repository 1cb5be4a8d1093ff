"""A real Telegram send with logging at DEBUG: no token, chat id or text in the logs."""
from __future__ import annotations

import logging

from telegram.ext import ExtBot

from bot.channels.telegram.callback_data import ButtonCodec, callback_keys
from bot.channels.telegram.port import TelegramPort, blocked_chats
from bot.channels.telegram.ratelimiter import TelegramRateLimiter
from bot.core.messages import Reply
from bot.core.outbound import SendStatus
from bot.logging_privacy import install_privacy_filter
from bot.storage.shared_keys import SqlSharedKeyStore
from tests.fakes.telegram_api import TOKEN

CHAT = 7712345
TEXT = "Fatou Sané, 77 123 45 67"


async def _send_and_capture(fake_api, persons, shared, caplog) -> str:
    caplog.clear()
    with caplog.at_level(logging.DEBUG):
        async with ExtBot(TOKEN, base_url=fake_api.base_url, rate_limiter=TelegramRateLimiter(25)) as bot:
            port = TelegramPort(bot, persons, ButtonCodec(callback_keys(shared)), blocked_chats(shared))
            assert (await port.send("telegram", str(CHAT), Reply(TEXT))).status is SendStatus.SENT
    return caplog.text


async def test_telegram_send_logs_no_token_chat_or_text(fake_api, persons, sqlite_db, caplog, restore_log_levels):
    shared = SqlSharedKeyStore(sqlite_db)
    # Without the privacy setup the libraries do write them (what this test guards against).
    leaked = await _send_and_capture(fake_api, persons, shared, caplog)
    assert TOKEN in leaked and TEXT in leaked
    install_privacy_filter()
    logged = await _send_and_capture(fake_api, persons, shared, caplog)
    for secret in (TOKEN, TOKEN.split(":")[1], str(CHAT), TEXT, "Fatou"):
        assert secret not in logged
