"""Send rate limits shared by every process through Redis (``TERRAPRO_REDIS_URL`` set).

With two `terrapro serve` processes, or `serve` next to `terrapro worker`, a limiter
per process lets the platform see the sum of their rates. Here each scope (one
Telegram bot, one WhatsApp number) keeps its state in Redis and every decision is
one atomic Lua script, timed by the Redis server's own clock (``TIME``), so the
processes agree on "now" whatever their own clocks say.

The rule is the in-process one (``bot/channels/ratelimit.py``), not a simpler
"count the starts of the last second": with a variable network latency the starts
of one second can reach the platform within a shorter span, so counting starts
does not bound what the platform sees. A send holds its slot from its start until
one window after the platform answered; the platform received it somewhere in
that interval, so no window of its clock sees more than ``capacity`` sends.

- **Slots**: a sorted set per scope, one member per slot, scored by the time the
  slot frees. While the send is in flight the score is its *lease* (start + 30 s
  by default, longer than any channel's HTTP timeout): a process killed mid-send
  holds its slots for that long at most, instead of forever. ``done()`` rescores
  the member to finished + window; ``cancel()`` (nothing sent) removes it. A
  script admits a send when fewer than ``capacity`` members remain. The rescoring
  rides on the process's next acquire script (one Redis call per send instead of
  two), or goes on its own within ``FINISH_FLUSH`` when no send follows: a slot is
  then held a little longer than needed, never shorter.
- **Spacing**: the next bulk start (1/rate grid), shared, so two processes do not
  start their broadcasts in the same instant.
- **Priority lane**: a waiting priority sender registers in a second sorted set,
  scored by an expiry a couple of windows ahead that it refreshes each time it
  polls; while any live entry exists, no bulk send starts in any process. A
  crashed process's entry simply expires, so it cannot block broadcasts for more
  than that.
- **429**: ``pause()`` writes the bulk lane's "paused until" (kept if later), seen
  by every process.
- **Per chat**: GCRA, one key per chat holding its theoretical arrival time, with
  an expiry once that time is past; the chat key is a keyed hash (never the id).

Every process reads the same settings, so the same rate per scope; one configured lower
only stops earlier. Needs Redis ≥ 5 (a script calling ``TIME`` before writing).

Within a process one waiter per lane polls Redis, the others queue behind it in
order, so a backlog of 500 replies is not 500 pollers.

Redis unreachable: nothing is sent unpaced and nothing falls back to a local
limiter — that would silently double the rate exactly when something is already
wrong. Every call is retried with a bounded exponential backoff (50 ms → 2 s),
the send waits meanwhile, and the log says so once a minute with the error type
only. ``close()`` (on shutdown) turns a wait that only the outage prolongs into
``RateLimiterUnavailable`` (a ``SendNotAttempted``): the send is not made and the
caller keeps the work (the inbox retries the turn, a broadcast row stays claimed); while Redis answers, sends go on normally so in-flight turns can
finish.
"""
from __future__ import annotations

import asyncio
import itertools
import logging
import secrets
import threading
import time
from collections.abc import Awaitable, Callable, Sequence

from redis.asyncio import Redis
from redis.commands.core import AsyncScript
from redis.exceptions import RedisError

from bot.channels.ratelimit import capacity_of
from bot.core.outbound import Lane, SendNotAttempted

log = logging.getLogger(__name__)

KEY_PREFIX = "terrapro:rate:"
IN_FLIGHT_LEASE = 30.0
BULK_TICK = 0.01  # how often a bulk waiter looks again while a priority sender waits
FINISH_FLUSH = 0.02  # finished slots not carried by an acquire within this time are rescored alone
MIN_BACKOFF = 0.05
MAX_BACKOFF = 2.0
OUTAGE_LOG_EVERY = 60.0

# Times are seconds (Redis TIME), written with string.format('%.6f'): Lua's own
# number-to-string keeps 14 digits only, 0.1 ms at today's epoch.
_NOW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local function f(x) return string.format('%.6f', x) end
"""

# KEYS: slots, priority waiters, bulk pause, next bulk start.
# ARGV: lane, capacity, window, spacing, lease, slot member, waiter member, waiter ttl,
#       keep waiter ('1': more priority senders wait in that process), bulk tick,
#       then the members of this process's sends finished since its last call (rescored first).
# Returns {1, '0'} (the slot is ours) or {0, seconds to wait}.
_ACQUIRE = _NOW + """
local priority = ARGV[1] == 'priority'
local capacity = tonumber(ARGV[2])
local window = tonumber(ARGV[3])
local spacing = tonumber(ARGV[4])
local lease = tonumber(ARGV[5])
local waiter_ttl = tonumber(ARGV[8])
if #ARGV > 10 then
  for i = 11, #ARGV do redis.call('ZADD', KEYS[1], f(now + window), ARGV[i]) end
  redis.call('PEXPIRE', KEYS[1], math.ceil((lease + window) * 1000) + 1000)
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', f(now))
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', f(now))
local next_start = tonumber(redis.call('GET', KEYS[4]) or '0')
if not priority then
  local paused = tonumber(redis.call('GET', KEYS[3]) or '0')
  if now < paused then return {0, f(paused - now)} end
  if redis.call('ZCARD', KEYS[2]) > 0 then return {0, ARGV[10]} end
  if now < next_start then return {0, f(next_start - now)} end
end
if redis.call('ZCARD', KEYS[1]) >= capacity then
  if priority then
    redis.call('ZADD', KEYS[2], f(now + waiter_ttl), ARGV[7])
    redis.call('PEXPIRE', KEYS[2], math.ceil(waiter_ttl * 1000) + 1000)
  end
  local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return {0, f(math.max(tonumber(first[2]) - now, 0.0001))}
end
redis.call('ZADD', KEYS[1], f(now + lease), ARGV[6])
redis.call('PEXPIRE', KEYS[1], math.ceil((lease + window) * 1000) + 1000)
local late = now - next_start
local base = now
if late >= 0 and late < spacing then base = next_start end
redis.call('SET', KEYS[4], f(base + spacing), 'PX', math.ceil((base + spacing - now) * 1000) + 1000)
if priority then
  if ARGV[9] == '1' then
    redis.call('ZADD', KEYS[2], f(now + waiter_ttl), ARGV[7])
    redis.call('PEXPIRE', KEYS[2], math.ceil(waiter_ttl * 1000) + 1000)
  else
    redis.call('ZREM', KEYS[2], ARGV[7])
  end
end
return {1, '0'}
"""

# KEYS: slots, next bulk start. ARGV: member, used ('1'/'0'), window, spacing, lease, then
# (used only) more finished members.
_RELEASE = _NOW + """
local window = tonumber(ARGV[3])
local lease = tonumber(ARGV[5])
if ARGV[2] == '1' then
  redis.call('ZADD', KEYS[1], f(now + window), ARGV[1])
  for i = 6, #ARGV do redis.call('ZADD', KEYS[1], f(now + window), ARGV[i]) end
  redis.call('PEXPIRE', KEYS[1], math.ceil((lease + window) * 1000) + 1000)
  return 1
end
redis.call('ZREM', KEYS[1], ARGV[1])
local next_start = redis.call('GET', KEYS[2])
if next_start then
  local back = math.max(now, tonumber(next_start) - tonumber(ARGV[4]))
  redis.call('SET', KEYS[2], f(back), 'PX', math.ceil((back - now) * 1000) + 1000)
end
return 0
"""

# KEYS: bulk pause. ARGV: seconds. Returns how long the lane is now paused.
_PAUSE = _NOW + """
local untl = now + tonumber(ARGV[1])
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if untl > current then
  redis.call('SET', KEYS[1], f(untl), 'PX', math.ceil((untl - now) * 1000) + 1)
  current = untl
end
return f(math.max(current - now, 0))
"""

_PAUSED_FOR = _NOW + """
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
return f(math.max(current - now, 0))
"""

# GCRA. KEYS: the chat's key. ARGV: interval, tolerance. Returns the wait before sending.
_PACE = _NOW + """
local interval = tonumber(ARGV[1])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local wait = math.max(0, tat - tonumber(ARGV[2]) - now)
redis.call('SET', KEYS[1], f(tat + interval), 'PX', math.ceil((tat + interval - now) * 1000) + 1)
return f(wait)
"""


class RateLimiterUnavailable(SendNotAttempted):
    """Shutting down while Redis is unreachable: the send was not made (never unpaced)."""


def _seconds(value: object) -> float:
    if isinstance(value, (str, bytes, int, float)):
        return float(value)
    raise TypeError(f"unexpected reply from the rate limit script: {type(value).__name__}")


class _Backend:
    """The client, its scripts and the outage state every limiter of one ``RedisRateLimits`` shares."""

    def __init__(
        self,
        client: Redis,
        *,
        min_backoff: float,
        max_backoff: float,
        sleep: Callable[[float], Awaitable[None]],
    ) -> None:
        self.client = client
        self.closed = False
        self.acquire = client.register_script(_ACQUIRE)
        self.release = client.register_script(_RELEASE)
        self.pause = client.register_script(_PAUSE)
        self.paused_for = client.register_script(_PAUSED_FOR)
        self.pace = client.register_script(_PACE)
        self._min_backoff = min_backoff
        self._max_backoff = max_backoff
        self._sleep = sleep
        self._failing = False
        self._last_log = -OUTAGE_LOG_EVERY

    async def run(self, script: AsyncScript, keys: Sequence[str], args: Sequence[str | float | int]) -> object:
        """The script's reply; while Redis fails, waits and tries again (never gives up unless closed)."""
        delay = self._min_backoff
        while True:
            if self.closed and self._failing:
                raise RateLimiterUnavailable("rate limiter: Redis unreachable during shutdown, nothing sent")
            try:
                reply = await script(keys=list(keys), args=list(args))
            except (RedisError, OSError) as exc:
                self._outage(exc)
                await self._backoff(delay)
                delay = min(delay * 2, self._max_backoff)
                continue
            if self._failing:
                self._failing = False
                log.warning("rate limiter: Redis reachable again, sends resume")
            return reply

    def _outage(self, exc: BaseException) -> None:
        now = time.monotonic()
        if not self._failing or now - self._last_log >= OUTAGE_LOG_EVERY:
            # The type only: a message could carry the URL.
            log.warning("rate limiter: Redis unreachable (%s), sends wait until it answers", type(exc).__name__)
            self._last_log = now
        self._failing = True

    async def _backoff(self, delay: float) -> None:
        # In short steps, so a close() during an outage is seen within 0.1 s.
        loop = asyncio.get_running_loop()
        deadline = loop.time() + delay
        while not self.closed:
            remaining = deadline - loop.time()
            if remaining <= 0:
                return
            await self._sleep(min(remaining, 0.1))


class RedisSlot:
    __slots__ = ("_limiter", "_member", "_open")

    def __init__(self, limiter: RedisWindowLimiter, member: str) -> None:
        self._limiter = limiter
        self._member = member
        self._open = True

    async def done(self) -> None:
        if self._open:
            self._open = False
            self._limiter._finished(self._member)

    async def cancel(self) -> None:
        if self._open:
            self._open = False
            await self._limiter._release(self._member, used=False)


class RedisWindowLimiter:
    """The shared ``SendLimiter`` of one scope (see the module docstring)."""

    def __init__(
        self,
        backend: _Backend,
        scope: str,
        rate: float,
        *,
        window: float = 1.0,
        lease: float = IN_FLIGHT_LEASE,
        waiter_ttl: float | None = None,
        bulk_tick: float = BULK_TICK,
        prefix: str = KEY_PREFIX,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self._backend = backend
        self._rate = float(rate)
        self.window = float(window)
        self.capacity = capacity_of(rate, window)
        self._spacing = self.window / self.capacity
        self._lease = max(lease, self.window)
        self._waiter_ttl = waiter_ttl if waiter_ttl is not None else 2 * self.window + 1.0
        # A waiter looks again at least this often: a slot in flight frees one window after
        # it finishes, so waking every window sees it in time; and its priority entry lives on.
        self._max_sleep = min(self.window, self._waiter_ttl / 2)
        self._bulk_tick = bulk_tick
        self._sleep = sleep
        # A hash tag: the scope's keys stay together on a Redis Cluster.
        base = f"{prefix}{{{scope}}}"
        self._slots_key = f"{base}:slots"
        self._waiters_key = f"{base}:priority"
        self._pause_key = f"{base}:pause"
        self._next_key = f"{base}:next"
        self._instance = secrets.token_hex(8)
        self._serial = itertools.count()
        self._priority_waiting = 0
        self._gates: dict[Lane, asyncio.Lock] = {}
        self._gate_loop: asyncio.AbstractEventLoop | None = None
        # Slots whose send is over, to rescore on the next script call (see the module docstring).
        self._done: list[str] = []
        self._done_lock = threading.Lock()
        self._flush_pending = False
        self._flushing: set[asyncio.Task[None]] = set()

    @property
    def rate(self) -> float:
        return self._rate

    async def acquire(self, lane: Lane = Lane.BULK) -> RedisSlot:
        if lane is not Lane.PRIORITY:
            async with self._gate(Lane.BULK):
                return await self._wait_for_slot(Lane.BULK)
        self._priority_waiting += 1
        try:
            async with self._gate(Lane.PRIORITY):
                return await self._wait_for_slot(Lane.PRIORITY)
        finally:
            self._priority_waiting -= 1

    async def pause(self, seconds: float) -> None:
        await self._backend.run(self._backend.pause, [self._pause_key], [_fmt(max(0.0, seconds))])

    async def paused_for(self) -> float:
        return _seconds(await self._backend.run(self._backend.paused_for, [self._pause_key], []))

    def _gate(self, lane: Lane) -> asyncio.Lock:
        # One poller per lane and process; one set of locks per event loop.
        loop = asyncio.get_running_loop()
        if self._gate_loop is not loop:
            self._gates, self._gate_loop = {}, loop
        return self._gates.setdefault(lane, asyncio.Lock())

    async def _wait_for_slot(self, lane: Lane) -> RedisSlot:
        member = f"{self._instance}:{next(self._serial)}"
        keys = [self._slots_key, self._waiters_key, self._pause_key, self._next_key]
        while True:
            keep = "1" if lane is Lane.PRIORITY and self._priority_waiting > 1 else "0"
            # If this call fails for good (shutdown with Redis gone), those slots free with their lease.
            reply = await self._backend.run(self._backend.acquire, keys, [
                lane.value, self.capacity, _fmt(self.window), _fmt(self._spacing), _fmt(self._lease),
                member, self._instance, _fmt(self._waiter_ttl), keep, _fmt(self._bulk_tick),
                *self._take_done(),
            ])
            if not isinstance(reply, list) or len(reply) != 2:
                raise TypeError("unexpected reply from the rate limit script")
            granted, wait = reply
            if int(granted) == 1:
                return RedisSlot(self, member)
            await self._sleep(min(_seconds(wait), self._max_sleep))

    def _finished(self, member: str) -> None:
        """A send is over: its slot is rescored by the next acquire, else within FINISH_FLUSH."""
        with self._done_lock:
            self._done.append(member)
            if self._flush_pending:
                return
            self._flush_pending = True
        asyncio.get_running_loop().call_later(FINISH_FLUSH, self._start_flush)

    def _take_done(self) -> list[str]:
        with self._done_lock:
            done, self._done = self._done, []
            return done

    def _start_flush(self) -> None:
        with self._done_lock:
            self._flush_pending = False
        task = asyncio.get_running_loop().create_task(self.flush())
        self._flushing.add(task)  # a reference, so the task is not collected mid-way
        task.add_done_callback(self._flushing.discard)

    async def flush(self) -> None:
        """Rescore the finished slots no acquire has carried yet (also on shutdown)."""
        done = self._take_done()
        if done:
            await self._release(done[0], used=True, more=done[1:])

    async def _release(self, member: str, *, used: bool, more: Sequence[str] = ()) -> None:
        try:
            await self._backend.run(self._backend.release, [self._slots_key, self._next_key], [
                member, "1" if used else "0", _fmt(self.window), _fmt(self._spacing), _fmt(self._lease), *more,
            ])
        except RateLimiterUnavailable:
            # The send is over; its slot frees when its lease ends (later than needed, never earlier).
            log.warning("rate limiter: a slot could not be released (Redis unreachable), it frees with its lease")


class RedisPacer:
    """The shared ``KeyPacer``: GCRA per key in Redis, keys hashed by ``key_of``."""

    def __init__(
        self,
        backend: _Backend,
        scope: str,
        rate: float,
        burst: int,
        *,
        key_of: Callable[[str], str],
        prefix: str = KEY_PREFIX,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self._backend = backend
        self._interval = 1.0 / rate
        self._tolerance = (max(1, burst) - 1) * self._interval
        self._key_of = key_of
        self._prefix = f"{prefix}{scope}:key:"
        self._sleep = sleep

    async def acquire(self, key: str) -> None:
        reply = await self._backend.run(
            self._backend.pace, [self._prefix + self._key_of(key)], [_fmt(self._interval), _fmt(self._tolerance)]
        )
        wait = _seconds(reply)
        if wait > 0:
            await self._sleep(wait)


class RedisRateLimits:
    """``RateLimits`` over one asyncio Redis client (the composition root builds it from the URL).

    ``key_of`` turns a chat id into the keyed hash used in Redis key names.
    """

    def __init__(
        self,
        client: Redis,
        *,
        key_of: Callable[[str], str],
        prefix: str = KEY_PREFIX,
        lease: float = IN_FLIGHT_LEASE,
        waiter_ttl: float | None = None,
        bulk_tick: float = BULK_TICK,
        min_backoff: float = MIN_BACKOFF,
        max_backoff: float = MAX_BACKOFF,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._backend = _Backend(client, min_backoff=min_backoff, max_backoff=max_backoff, sleep=sleep)
        self._key_of = key_of
        self._prefix = prefix
        self._lease = lease
        self._waiter_ttl = waiter_ttl
        self._bulk_tick = bulk_tick
        self._sleep = sleep
        self._windows: list[RedisWindowLimiter] = []

    def window(self, scope: str, rate: float, *, window: float = 1.0) -> RedisWindowLimiter:
        limiter = RedisWindowLimiter(
            self._backend, scope, rate, window=window, lease=self._lease, waiter_ttl=self._waiter_ttl,
            bulk_tick=self._bulk_tick, prefix=self._prefix, sleep=self._sleep,
        )
        self._windows.append(limiter)
        return limiter

    def pacer(self, scope: str, rate: float, burst: int) -> RedisPacer:
        return RedisPacer(
            self._backend, scope, rate, burst, key_of=self._key_of, prefix=self._prefix, sleep=self._sleep,
        )

    def close(self) -> None:
        self._backend.closed = True

    async def aclose(self) -> None:
        self.close()
        for limiter in self._windows:  # finished slots still to rescore: free them in time
            await limiter.flush()
        await self._backend.client.aclose()


def _fmt(value: float) -> str:
    return f"{value:.6f}"
