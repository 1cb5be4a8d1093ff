"""TerraPro orientation bot: a channel-agnostic core with Telegram and WhatsApp adapters."""
