"""Telegram's 429 (``RetryAfter``): how long it asks to wait.

The per-chat pacing itself (about 1 message/s per chat, short bursts allowed) is a
``KeyPacer`` from ``bot/channels/ratelimit.py`` (one process) or
``bot/channels/ratelimit_redis.py`` (shared), built by ``TelegramRateLimiter``.
"""
from __future__ import annotations

import warnings
from datetime import timedelta

from telegram.error import RetryAfter
from telegram.warnings import PTBDeprecationWarning


def retry_after_seconds(exc: RetryAfter) -> float:
    # PTB 22 warns that retry_after will become a timedelta; accept both, without the warning.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)
