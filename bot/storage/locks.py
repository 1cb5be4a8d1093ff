"""Per-person locks: one person's messages are handled in order, even when
several arrive at once or several workers serve the same bot."""
from __future__ import annotations

import asyncio
import logging
from abc import ABC, abstractmethod
from collections.abc import Callable, AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from redis.asyncio import Redis
from redis.exceptions import LockError, RedisError

log = logging.getLogger(__name__)


class UserLocks(ABC):
    @abstractmethod
    def hold(self, key: str) -> AbstractAsyncContextManager[None]:
        """``async with locks.hold(key):`` — exclusive section for that key."""


class InProcessUserLocks(UserLocks):
    """asyncio locks for a single process; a key's lock is dropped once nobody
    holds or waits for it, so memory follows active conversations only."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    def __len__(self) -> int:
        return len(self._locks)

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        lock, users = self._locks.get(key, (None, 0))
        if lock is None:
            lock = asyncio.Lock()
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users <= 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)


class RedisUserLocks(UserLocks):
    """A redis-py lock per key, shared by every worker.

    ``timeout`` bounds how long a crashed worker can block a person. If Redis
    is down, falls back to in-process locks (order kept within this worker).
    """

    def __init__(
        self,
        redis_client: Redis,
        *,
        timeout: float = 30.0,
        blocking_timeout: float = 30.0,
        key_prefix: str = "terrapro:lock:",
        key_of: Callable[[str], str] = str,
    ) -> None:
        self._redis = redis_client
        # The composition root passes a keyed hash: a lock key must not show a phone number.
        self._key_of = key_of
        self._timeout = timeout
        self._blocking_timeout = blocking_timeout
        self._prefix = key_prefix
        self._fallback = InProcessUserLocks()

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        lock = self._redis.lock(
            f"{self._prefix}{self._key_of(key)}",
            timeout=self._timeout,
            blocking_timeout=self._blocking_timeout,
        )
        try:
            acquired = await lock.acquire()
        except RedisError as exc:
            log.warning("Redis lock unavailable (%s), using a local lock", type(exc).__name__)
            async with self._fallback.hold(key):
                yield
            return
        if not acquired:
            # Someone held it past blocking_timeout (stuck worker): better to
            # answer out of order than not at all.
            log.warning("per-person lock wait timed out, continuing without it")
            yield
            return
        try:
            yield
        finally:
            try:
                await lock.release()
            except LockError:
                log.warning("per-person lock expired before release (handler slower than timeout)")
            except RedisError as exc:
                log.warning("could not release per-person lock (%s)", type(exc).__name__)
