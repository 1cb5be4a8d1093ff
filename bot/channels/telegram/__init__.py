"""Telegram channel: the only package of the bot that imports ``telegram``."""
from bot.channels.telegram.application import (
    ALLOWED_UPDATES,
    application_running,
    build_application,
    port_of,
    start_application,
    stop_application,
)
from bot.channels.telegram.config import TelegramConfigError
from bot.channels.telegram.inbox import TelegramInbox
from bot.channels.telegram.port import TelegramPort
from bot.channels.telegram.webhook import WEBHOOK_PATH, telegram_routes

__all__ = [
    "ALLOWED_UPDATES",
    "WEBHOOK_PATH",
    "TelegramConfigError",
    "TelegramInbox",
    "TelegramPort",
    "application_running",
    "build_application",
    "port_of",
    "start_application",
    "stop_application",
    "telegram_routes",
]
