"""Relaying a voice note or a photo between a young person and a referent.

The file is fetched from the platform that holds it into a private temporary file,
checked (size, type), sent to the other platform, and deleted whatever happens.
Nothing of it is logged or kept. A failure comes back as a reason the sender is
told in plain words (content/texts.yml, ``media_failed_<reason>``).
"""
from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol

from bot.core.messages import MediaRef

log = logging.getLogger(__name__)

MB = 1024 * 1024
# The smaller of what WhatsApp accepts and what a bot may download from Telegram.
MAX_BYTES = {"voice": 16 * MB, "image": 5 * MB}
ALLOWED_TYPES = {
    "voice": frozenset({"audio/ogg", "audio/opus", "audio/mpeg", "audio/mp4", "audio/aac", "audio/amr"}),
    "image": frozenset({"image/jpeg", "image/png"}),
}
REASONS = ("too_large", "type", "expired", "window", "unavailable")


class MediaError(Exception):
    """Why a relay failed: one of REASONS (never the file, never an id)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason if reason in REASONS else "unavailable"


class MediaTransport(Protocol):
    """One platform's side: download a file it holds, upload and send a file to someone on it."""

    async def fetch(self, media: MediaRef, into: Path, max_bytes: int) -> str:
        """Stream the file into ``into``; return its MIME type. Raise MediaError."""
        ...

    async def send(self, external_id: str, kind: str, path: Path, mime_type: str, caption: str) -> None:
        """Raise MediaError."""
        ...


def base_type(mime_type: str) -> str:
    return mime_type.split(";", 1)[0].strip().lower()


def check_type(kind: str, mime_type: str) -> None:
    if base_type(mime_type) not in ALLOWED_TYPES.get(kind, frozenset()):
        raise MediaError("type")


def check_size(kind: str, size: int | None) -> None:
    if size is not None and size > MAX_BYTES.get(kind, 0):
        raise MediaError("too_large")


@contextmanager
def temporary_file() -> Iterator[Path]:
    """A file only this process's user can read, removed on exit even after an error."""
    descriptor, name = tempfile.mkstemp(prefix="terrapro-media-")
    os.close(descriptor)
    path = Path(name)
    try:
        yield path
    finally:
        path.unlink(missing_ok=True)


class MediaRelay:
    def __init__(self) -> None:
        self._transports: dict[str, MediaTransport] = {}

    def register(self, channel: str, transport: MediaTransport) -> None:
        self._transports[channel] = transport

    @property
    def channels(self) -> tuple[str, ...]:
        return tuple(self._transports)

    async def relay(self, media: MediaRef, to_channel: str, to_id: str, caption: str) -> str | None:
        """None when delivered, else the failure reason."""
        source, target = self._transports.get(media.channel), self._transports.get(to_channel)
        if source is None or target is None:
            log.warning("media relay: channel not available in this process")
            return "unavailable"
        try:
            check_size(media.kind, media.size)
            with temporary_file() as path:
                mime_type = await source.fetch(media, path, MAX_BYTES.get(media.kind, 0))
                check_type(media.kind, mime_type)
                check_size(media.kind, path.stat().st_size)
                await target.send(to_id, media.kind, path, base_type(mime_type), caption)
        except MediaError as exc:
            log.info("media relay failed: %s", exc.reason)
            return exc.reason
        except Exception as exc:  # network, disk: the sender is told, the queue goes on
            log.warning("media relay failed: %s", type(exc).__name__)
            return "unavailable"
        return None
