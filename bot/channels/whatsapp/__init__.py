"""WhatsApp Cloud API channel."""
from bot.channels.whatsapp.channel import (
    WEBHOOK_PATH,
    WhatsAppChannel,
    WhatsAppConfigError,
    build_whatsapp,
)
from bot.channels.whatsapp.port import WhatsAppPort

__all__ = [
    "WEBHOOK_PATH",
    "WhatsAppChannel",
    "WhatsAppConfigError",
    "WhatsAppPort",
    "build_whatsapp",
]
