"""Logs never carry message text, names, phone numbers or tokens, at any level.

Our own code logs only codes, types and redacted ids. Some libraries log what
they send at DEBUG (python-telegram-bot: every Bot API call with its parameters,
so chat ids and texts; httpx at INFO: each request URL, and Telegram's URLs
contain the bot token). Those loggers are held at WARNING whatever the
configured level, and a filter on the root handlers masks anything shaped like a
bot token that would still get through.
"""
from __future__ import annotations

import logging
import re

# Loggers that write request URLs, parameters or bodies below WARNING.
TALKATIVE_LOGGERS = ("httpx", "httpcore", "telegram", "hpack", "urllib3", "sanic.access")
_BOT_TOKEN = re.compile(r"\b\d{5,}:[A-Za-z0-9_-]{30,}")
MASK = "[jeton]"


class RedactTokens(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if _BOT_TOKEN.search(message):
            record.msg, record.args = _BOT_TOKEN.sub(MASK, message), None
        return True


def install_privacy_filter() -> None:
    for name in TALKATIVE_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, RedactTokens) for f in handler.filters):
            handler.addFilter(RedactTokens())
