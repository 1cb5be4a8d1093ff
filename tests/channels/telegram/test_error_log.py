from __future__ import annotations

import logging
from types import SimpleNamespace

from telegram import Update

from bot.channels.telegram.application import log_error


async def test_error_log_has_no_text_name_or_clear_chat_id(caplog):
    update = Update.de_json({"update_id": 1, "message": {
        "message_id": 1, "date": 1, "chat": {"id": 7123456, "type": "private", "first_name": "Fatou"},
        "from": {"id": 7123456, "is_bot": False, "first_name": "Fatou"},
        "text": "je m'appelle Fatou Sané, mon numéro 770000000"}}, None)
    try:
        raise ValueError("je m'appelle Fatou Sané, mon numéro 770000000")
    except ValueError as exc:
        error = exc
    with caplog.at_level(logging.ERROR):
        await log_error(update, SimpleNamespace(error=error))
    logged = caplog.text
    assert "ValueError" in logged and "test_error_log.py" in logged  # useful: type and place
    for secret in ("Fatou", "770000000", "7123456"):
        assert secret not in logged
