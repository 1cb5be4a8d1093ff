"""Refusals a coordinator reads (French), mapped through bot.core.errors."""
from __future__ import annotations

from bot.core.errors import BadInput, NotFound, ServiceUnavailable


class BroadcastRefused(BadInput):
    """A campaign or reminder request that must not go ahead; the message says why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.user_message = message


class CampaignNotFound(NotFound):
    def __init__(self, campaign_id: int) -> None:
        super().__init__(f"campagne {campaign_id} introuvable")


class NoChannel(ServiceUnavailable):
    def __init__(self) -> None:
        super().__init__("aucun canal d'envoi n'est configuré (Telegram ou WhatsApp) : rien n'a été envoyé")
