"""`GET /health`: the database and Redis answer, or the load balancer gets a 503."""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from bot.storage.operations import OperationsRepository

log = logging.getLogger(__name__)

Probe = Callable[[], Awaitable[object]]


class HealthCheck:
    def __init__(self, operations: OperationsRepository, redis_ping: Probe | None = None, timeout: float = 3.0) -> None:
        self._operations = operations
        self._redis_ping = redis_ping
        self._timeout = timeout

    async def report(self) -> dict[str, str]:
        """Each component "ok", "down" (or "absent" for Redis when not configured)."""
        report = {"database": await self._probe("database", lambda: asyncio.to_thread(self._operations.ping))}
        report["redis"] = await self._probe("redis", self._redis_ping) if self._redis_ping else "absent"
        return report

    async def _probe(self, name: str, probe: Probe) -> str:
        try:
            await asyncio.wait_for(probe(), timeout=self._timeout)
        except Exception as exc:  # any failure means "down"; the type only, never the message
            log.warning("health: %s down (%s)", name, type(exc).__name__)
            return "down"
        return "ok"
