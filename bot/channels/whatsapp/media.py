"""Voice notes and photos on WhatsApp (Cloud API media endpoints).

Download: ``GET /{media-id}`` gives a short-lived URL, size and type; the URL is
fetched with the bearer token, streamed to a file. Upload: ``POST
/{phone-number-id}/media`` (multipart), then a message that points to the new id, paced
by the number's limiter (priority lane: a referent's relay) like every other send.
"""
from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx

from bot.channels.ratelimit import SendLimiter
from bot.channels.whatsapp.graph import GraphClient, GraphError, error_code, json_or_none
from bot.channels.whatsapp.port import WINDOW_CLOSED_CODES
from bot.core.messages import MediaRef
from bot.core.outbound import Lane
from bot.handoff.media import MediaError, check_size, check_type

log = logging.getLogger(__name__)

# Meta's codes for a media id that no longer exists (media are kept about 30 days).
EXPIRED_CODES = frozenset({100, 131052, 131053})
_MESSAGE_TYPES = {"voice": "audio", "image": "image"}


class WhatsAppMedia:
    def __init__(
        self,
        http: httpx.AsyncClient,
        graph: GraphClient,
        *,
        base_url: str,
        phone_number_id: str,
        token: str,
        within_window: Callable[[str], Awaitable[bool]],
        limiter: SendLimiter,
    ) -> None:
        self._http = http
        self._graph = graph
        self._limiter = limiter
        self._base = base_url.rstrip("/")
        self._phone_number_id = phone_number_id
        self._headers = {"Authorization": f"Bearer {token}"}
        self._within_window = within_window

    async def aclose(self) -> None:
        await self._http.aclose()

    async def fetch(self, media: MediaRef, into: Path, max_bytes: int) -> str:
        info = await self._http.get(f"{self._base}/{media.file_id}", headers=self._headers)
        body = json_or_none(info.content)
        if info.status_code >= 400 or not isinstance(body, dict) or not body.get("url"):
            raise MediaError("expired" if info.status_code in (400, 404) or error_code(body) in EXPIRED_CODES else "unavailable")
        size = body.get("file_size")
        check_size(media.kind, int(size) if isinstance(size, int) else None)
        mime_type = str(body.get("mime_type") or media.mime_type)
        check_type(media.kind, mime_type)
        async with self._http.stream("GET", str(body["url"]), headers=self._headers) as response:
            if response.status_code in (403, 404, 410):
                raise MediaError("expired")
            if response.status_code >= 400:
                raise MediaError("unavailable")
            written = 0
            with into.open("wb") as handle:
                async for chunk in response.aiter_bytes():
                    written += len(chunk)
                    if written > max_bytes:
                        raise MediaError("too_large")
                    handle.write(chunk)
        return mime_type

    async def send(self, external_id: str, kind: str, path: Path, mime_type: str, caption: str) -> None:
        if not await self._within_window(external_id):
            raise MediaError("window")
        with path.open("rb") as handle:
            upload = await self._http.post(
                f"{self._base}/{self._phone_number_id}/media",
                headers=self._headers,
                data={"messaging_product": "whatsapp", "type": mime_type},
                files={"file": (path.name, handle, mime_type)},
            )
        body = json_or_none(upload.content)
        if upload.status_code >= 400 or not isinstance(body, dict) or not body.get("id"):
            raise MediaError("unavailable")
        message_type = _MESSAGE_TYPES[kind]
        content: dict[str, Any] = {"id": str(body["id"])}
        if kind == "image" and caption:
            content["caption"] = caption[:1024]
        try:
            if kind != "image" and caption:  # audio messages carry no caption: say who speaks first
                await self._send_message(_payload(external_id, "text", {"body": caption[:4096]}))
            await self._send_message(_payload(external_id, message_type, content))
        except GraphError as exc:
            raise MediaError("window" if exc.code in WINDOW_CLOSED_CODES else "unavailable") from None

    async def _send_message(self, payload: dict[str, Any]) -> None:
        slot = await self._limiter.acquire(Lane.PRIORITY)
        try:
            await self._graph.send_message(payload)
        finally:
            await slot.done()


def _payload(to: str, message_type: str, content: dict[str, Any]) -> dict[str, Any]:
    return {"messaging_product": "whatsapp", "to": to, "type": message_type, message_type: content}


def build_whatsapp_media(settings: Any, graph: GraphClient, within_window: Callable[[str], Awaitable[bool]],
                         http: httpx.AsyncClient | None = None, *, limiter: SendLimiter) -> WhatsAppMedia:
    """``limiter``: the number's, as the port has it (``channel.port.limiter``)."""
    return WhatsAppMedia(
        http or httpx.AsyncClient(timeout=httpx.Timeout(60.0, connect=5.0)), graph,
        base_url=settings.whatsapp_api_base_url, phone_number_id=settings.whatsapp_phone_number_id,
        token=settings.whatsapp_token, within_window=within_window, limiter=limiter,
    )
