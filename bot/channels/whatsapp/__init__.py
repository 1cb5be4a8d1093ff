"""WhatsApp Cloud API channel."""
from bot.channels.whatsapp.channel import (
    WEBHOOK_PATH,
    WhatsAppChannel,
    WhatsAppConfigError,
    build_whatsapp,
    whatsapp_routes,
)
from bot.channels.whatsapp.port import WhatsAppPort

__all__ = [
    "WEBHOOK_PATH",
    "WhatsAppChannel",
    "WhatsAppConfigError",
    "WhatsAppPort",
    "build_whatsapp",
    "whatsapp_routes",
]
