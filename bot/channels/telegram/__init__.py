"""Telegram channel: the only package of the bot that imports ``telegram``."""
from bot.channels.telegram.application import (
    ALLOWED_UPDATES,
    application_running,
    build_application,
    sender_of,
    start_application,
    stop_application,
)
from bot.channels.telegram.config import TelegramConfigError
from bot.channels.telegram.inbox import TelegramInbox
from bot.channels.telegram.sender import SendOutcome, TelegramSender
from bot.channels.telegram.webhook import WEBHOOK_PATH, telegram_routes

__all__ = [
    "ALLOWED_UPDATES",
    "WEBHOOK_PATH",
    "SendOutcome",
    "TelegramConfigError",
    "TelegramInbox",
    "TelegramSender",
    "application_running",
    "build_application",
    "sender_of",
    "start_application",
    "stop_application",
    "telegram_routes",
]
