"""A small client for the Cloud API's send endpoint, with bounded retries.

pywa was considered: it hard-codes graph.facebook.com as base URL and brings
its own webhook framework. The sends go through aiohttp: every reply, relay and
broadcast is one POST here, and aiohttp spends about a tenth of httpx's CPU per
request (``bench/graph_client_bench.py``), which counted for ~15 % of a busy
server's time.
"""
from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit
from urllib.request import getproxies, proxy_bypass

import aiohttp

log = logging.getLogger(__name__)

# Rate limits worth waiting for: API throughput, pair rate, WABA rate, app rate.
THROTTLE_CODES = frozenset({130429, 131056, 80007, 4})

# Raised before a byte of the request was written: the message certainly did not leave.
# (aiohttp's connect timeout covers the wait for a pooled connection too.)
_NEVER_LEFT = (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError)
# Connect (pool wait included) 15 s, of which the TCP/TLS connect 5 s; an answer within 15 s.
_TIMEOUT = aiohttp.ClientTimeout(total=None, connect=15.0, sock_connect=5.0, sock_read=15.0)
_MAX_CONNECTIONS = 100


class GraphError(Exception):
    """A refused or failed send. Carries only the HTTP status (0: no answer) and Meta's numeric code.

    ``maybe_delivered``: some attempt was written to the network and got no answer.
    ``never_left``: no attempt was ever written (connection refused, connect timeout).
    """

    def __init__(
        self, status: int, code: int | None, *, maybe_delivered: bool = False, never_left: bool = False
    ) -> None:
        super().__init__(f"Graph API error: HTTP {status}, code {code}")
        self.status = status
        self.code = code
        self.maybe_delivered = maybe_delivered
        self.never_left = never_left and not maybe_delivered

    @property
    def throttled(self) -> bool:
        return self.status == 429 or self.code in THROTTLE_CODES

    @property
    def transient(self) -> bool:
        return self.throttled or self.status >= 500 or self.status == 0


class GraphClient:
    def __init__(
        self,
        *,
        base_url: str,
        phone_number_id: str,
        token: str,
        max_attempts: int = 4,
        backoff: float = 0.5,
        max_backoff: float = 8.0,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ) -> None:
        self._url = f"{base_url.rstrip('/')}/{phone_number_id}/messages"
        self._headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        self._max_attempts = max(1, max_attempts)
        self._backoff = backoff
        self._max_backoff = max_backoff
        self._sleep = sleep
        # HTTPS_PROXY / NO_PROXY read once (aiohttp's trust_env reads the environment per request).
        self._proxy = _proxy_for(self._url)
        # An aiohttp session belongs to the event loop it was made on: one per loop that sends.
        self._sessions: dict[asyncio.AbstractEventLoop, aiohttp.ClientSession] = {}

    async def send_message(self, payload: dict[str, Any], *, retry_uncertain: bool = True) -> str:
        """POST one message; return its WhatsApp message id (wamid).

        ``retry_uncertain=False`` (broadcasts): a request written without an answer is not
        sent again, since the person may already have it.
        """
        attempt = 0
        maybe_delivered = False
        while True:
            attempt += 1
            try:
                return await self._post_once(payload)
            except GraphError as exc:
                maybe_delivered = maybe_delivered or exc.maybe_delivered
                if (
                    not exc.transient or attempt >= self._max_attempts
                    or (exc.maybe_delivered and not retry_uncertain)
                ):
                    if maybe_delivered and not exc.maybe_delivered:
                        # An earlier attempt may have arrived: the outcome as a whole is uncertain.
                        raise GraphError(exc.status, exc.code, maybe_delivered=True) from None
                    raise
                delay = min(self._max_backoff, self._backoff * 2 ** (attempt - 1))
                log.info("graph: code %s (HTTP %s), retry %d in %.2fs", exc.code, exc.status, attempt, delay)
                await self._sleep(delay)

    async def _post_once(self, payload: dict[str, Any]) -> str:
        data = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
        try:
            async with self._session().post(
                self._url, data=data, headers=self._headers, proxy=self._proxy
            ) as response:
                status = response.status
                raw = await response.read()
        except (TimeoutError, aiohttp.ClientError) as exc:
            log.warning("graph: transport error %s", type(exc).__name__)
            left = not isinstance(exc, _NEVER_LEFT)
            raise GraphError(0, None, maybe_delivered=left, never_left=not left) from None
        body = json_or_none(raw)
        if status >= 400 or not isinstance(body, dict) or "error" in body:
            raise GraphError(status, error_code(body))
        messages = body.get("messages")
        if isinstance(messages, list) and messages and isinstance(messages[0], dict):
            return str(messages[0].get("id", ""))
        return ""

    def _session(self) -> aiohttp.ClientSession:
        loop = asyncio.get_running_loop()
        session = self._sessions.get(loop)
        if session is None or session.closed:
            for old in [known for known in self._sessions if known.is_closed()]:
                del self._sessions[old]  # a finished loop's session: its connections went with it
            session = aiohttp.ClientSession(
                timeout=_TIMEOUT,
                connector=aiohttp.TCPConnector(limit=_MAX_CONNECTIONS),
            )
            self._sessions[loop] = session
        return session

    async def aclose(self) -> None:
        """Close this loop's session (the others end with their loops)."""
        session = self._sessions.pop(asyncio.get_running_loop(), None)
        if session is not None:
            await session.close()


def _proxy_for(url: str) -> str | None:
    """The proxy the environment names for ``url`` (as httpx, with its trust_env, did), if any."""
    parts = urlsplit(url)
    if parts.hostname is None or proxy_bypass(parts.hostname):
        return None
    return getproxies().get(parts.scheme)


def json_or_none(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return None


def error_code(body: Any) -> int | None:
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        code = body["error"].get("code")
        if isinstance(code, int):
            return code
    return None
