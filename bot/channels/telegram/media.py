"""Voice notes and photos on Telegram: getFile then download; sendVoice / sendAudio / sendPhoto."""
from __future__ import annotations

import logging
from pathlib import Path

from telegram import Bot
from telegram.error import BadRequest, Forbidden, TelegramError

from bot.core.messages import MediaRef
from bot.handoff.media import MediaError, check_size

log = logging.getLogger(__name__)

MAX_CAPTION = 1024


def file_base_url(base_url: str) -> str:
    """https://api.telegram.org/bot → https://api.telegram.org/file/bot (same for a local server)."""
    root, _, _ = base_url.rstrip("/").rpartition("/bot")
    return f"{root}/file/bot"


class TelegramMedia:
    def __init__(self, bot: Bot) -> None:
        self._bot = bot

    async def fetch(self, media: MediaRef, into: Path, max_bytes: int) -> str:
        try:
            found = await self._bot.get_file(media.file_id)
        except BadRequest as exc:
            # "file is too big" for bots (over 20 MB), else an unknown or expired id.
            raise MediaError("too_large" if "too big" in str(exc).lower() else "expired") from None
        except TelegramError:
            raise MediaError("unavailable") from None
        check_size(media.kind, found.file_size)
        if found.file_size is not None and found.file_size > max_bytes:
            raise MediaError("too_large")
        try:
            await found.download_to_drive(into)
        except TelegramError:
            raise MediaError("expired") from None
        return media.mime_type or ("image/jpeg" if media.kind == "image" else "audio/ogg")

    async def send(self, external_id: str, kind: str, path: Path, mime_type: str, caption: str) -> None:
        caption = caption[:MAX_CAPTION]
        try:
            with path.open("rb") as handle:
                if kind == "image":
                    await self._bot.send_photo(external_id, photo=handle, caption=caption)
                elif mime_type in ("audio/ogg", "audio/opus"):
                    await self._bot.send_voice(external_id, voice=handle, caption=caption)
                else:
                    await self._bot.send_audio(external_id, audio=handle, caption=caption)
        except Forbidden:
            raise MediaError("unavailable") from None
        except TelegramError:
            raise MediaError("unavailable") from None
