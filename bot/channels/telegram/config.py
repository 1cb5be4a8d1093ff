"""Start-up checks for the Telegram channel: a bad token or secret stops with a clear message."""
from __future__ import annotations

import re

from bot.core.errors import TerraProError

# The shape BotFather gives: "<bot id>:<secret>"; checked before any network call.
TOKEN_PATTERN = re.compile(r"^\d+:[A-Za-z0-9_-]{30,}$")
# Telegram accepts 1-256 characters from this set for setWebhook's secret_token.
SECRET_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


class TelegramConfigError(TerraProError):
    """Raised at start-up; ``str(exc)`` is meant for the operator's terminal (French + English)."""

    http_status = 500


def validate_token(token: str) -> str:
    token = (token or "").strip()
    if not token:
        raise TelegramConfigError(
            "Jeton Telegram absent : définis TERRAPRO_TELEGRAM_TOKEN (donné par @BotFather). "
            "/ Telegram token missing: set TERRAPRO_TELEGRAM_TOKEN."
        )
    if not TOKEN_PATTERN.match(token):
        # Never echo the token itself: it is a secret even when malformed.
        raise TelegramConfigError(
            "Jeton Telegram mal formé : attendu « 123456789:ABC… » tel que donné par @BotFather. "
            "/ Malformed Telegram token: expected '<digits>:<30+ chars>'."
        )
    return token


def validate_webhook_secret(secret: str) -> str:
    secret = (secret or "").strip()
    if not secret:
        raise TelegramConfigError(
            "TERRAPRO_TELEGRAM_WEBHOOK_SECRET est vide : la route /webhooks/telegram n'est pas "
            "montée sans secret. / Webhook secret missing: refusing to mount /webhooks/telegram."
        )
    if not SECRET_PATTERN.match(secret):
        raise TelegramConfigError(
            "TERRAPRO_TELEGRAM_WEBHOOK_SECRET doit faire 1 à 256 caractères parmi A-Z a-z 0-9 _ -. "
            "/ Webhook secret must be 1-256 chars of A-Z a-z 0-9 _ -."
        )
    return secret
