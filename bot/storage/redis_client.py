"""Build Redis clients from a URL, failing early with a readable message."""
from __future__ import annotations

from redis import Redis
from redis.asyncio import Redis as AsyncRedis
from redis.asyncio.retry import Retry as AsyncRetry
from redis.backoff import ExponentialBackoff
from redis.exceptions import RedisError
from redis.retry import Retry
from sqlalchemy.engine import make_url

from bot.core.errors import ServiceUnavailable

CONNECT_TIMEOUT = 3.0
# One quick retry: the callers degrade on failure, so a long default backoff
# (seconds per call) would only slow every message during an outage.
RETRIES = 1


def _backoff() -> ExponentialBackoff:
    return ExponentialBackoff(cap=0.2, base=0.02)


class RedisUnavailable(ServiceUnavailable):
    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"Redis unreachable at {safe_url(url)}: {reason}")


def safe_url(url: str) -> str:
    """The URL without its password, for messages and logs."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "<invalid redis url>"


def connect(url: str, *, decode_responses: bool = True, check: bool = True) -> Redis:
    """A sync client (conversation state); pings it unless ``check`` is False."""
    try:
        client = Redis.from_url(
            url,
            decode_responses=decode_responses,
            socket_connect_timeout=CONNECT_TIMEOUT,
            socket_timeout=CONNECT_TIMEOUT,
            health_check_interval=30,
            retry=Retry(_backoff(), RETRIES),
        )
    except ValueError as exc:
        raise RedisUnavailable(url, f"invalid URL ({exc})") from exc
    if check:
        try:
            client.ping()
        except RedisError as exc:
            client.close()
            raise RedisUnavailable(url, type(exc).__name__) from exc
    return client


def connect_async(url: str, *, decode_responses: bool = True) -> AsyncRedis:
    """An asyncio client (locks, notifications), built outside any event loop.

    It connects lazily; call ``connect`` on the same URL first (or ``await
    ping_async``) to fail early when Redis is unreachable.
    """
    try:
        return AsyncRedis.from_url(
            url,
            decode_responses=decode_responses,
            socket_connect_timeout=CONNECT_TIMEOUT,
            socket_timeout=CONNECT_TIMEOUT,
            health_check_interval=30,
            retry=AsyncRetry(_backoff(), RETRIES),
        )
    except ValueError as exc:
        raise RedisUnavailable(url, f"invalid URL ({exc})") from exc


async def ping_async(client: AsyncRedis, url: str) -> None:
    """Raise RedisUnavailable if the asyncio client cannot reach Redis."""
    try:
        await client.ping()
    except RedisError as exc:
        raise RedisUnavailable(url, type(exc).__name__) from exc
