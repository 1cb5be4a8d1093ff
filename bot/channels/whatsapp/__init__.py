"""WhatsApp Cloud API channel."""
from bot.channels.whatsapp.channel import (
    WEBHOOK_PATH,
    WhatsAppChannel,
    WhatsAppConfigError,
    build_whatsapp,
)
from bot.channels.whatsapp.sender import SendOutcome, WhatsAppSender

__all__ = [
    "WEBHOOK_PATH",
    "SendOutcome",
    "WhatsAppChannel",
    "WhatsAppConfigError",
    "WhatsAppSender",
    "build_whatsapp",
]
