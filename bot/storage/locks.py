"""Per-person locks: one person's messages are handled in order, even when
several arrive at once or several workers serve the same bot."""
from __future__ import annotations

import asyncio
import logging
import time
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from redis.asyncio import Redis
from redis.asyncio.lock import Lock
from redis.exceptions import LockError, MaxConnectionsError, RedisError

from bot.core.errors import ServiceUnavailable

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


class UserLockUnavailable(ServiceUnavailable):
    """The per-person lock could not be taken: the message is not handled (rather than out of order)."""


class RedisUserLocks(UserLocks):
    """A redis-py lock per key, shared by every worker.

    ``timeout`` bounds how long a crashed worker can block a person. When the
    client's pool is exhausted (MaxConnectionsError) the caller waits for a free
    connection, up to ``blocking_timeout``; when Redis is down or the wait runs
    out, ``UserLockUnavailable`` is raised. There is no local fallback: a local
    lock would silently lose the order across processes, exactly where it matters.
    """

    def __init__(
        self,
        redis_client: Redis,
        *,
        timeout: float = 30.0,
        blocking_timeout: float = 30.0,
        key_prefix: str = "terrapro:lock:",
        pool_retry_interval: float = 0.01,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._redis = redis_client
        self._timeout = timeout
        self._blocking_timeout = blocking_timeout
        self._prefix = key_prefix
        self._pool_retry = pool_retry_interval
        self._clock = clock

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        lock = await self._acquire(key)
        try:
            yield
        finally:
            try:
                await lock.release()
            except LockError:
                log.warning("per-person lock expired before release (handler slower than timeout)")
            except RedisError as exc:
                log.warning("could not release per-person lock (%s)", type(exc).__name__)

    async def _acquire(self, key: str) -> Lock:
        deadline = self._clock() + self._blocking_timeout
        while True:
            remaining = deadline - self._clock()
            if remaining <= 0:
                raise UserLockUnavailable("per-person lock: no Redis connection free in time")
            lock = self._redis.lock(f"{self._prefix}{key}", timeout=self._timeout, blocking_timeout=remaining)
            try:
                acquired = await lock.acquire()
            except MaxConnectionsError:
                # Every pooled connection is busy: wait for one, never go on without the lock.
                await asyncio.sleep(self._pool_retry)
                continue
            except RedisError as exc:
                raise UserLockUnavailable(f"per-person lock: Redis error {type(exc).__name__}") from exc
            if not acquired:
                raise UserLockUnavailable("per-person lock: held by another worker past the wait limit")
            return lock
