"""The ASGI application shared by the webhook channels."""
from bot.web.app import create_app

__all__ = ["create_app"]
