"""Runs a message turn off the event loop, inside one unit of work.

The repositories are synchronous (SQLAlchemy sessions, sync Redis). Called on the
event loop, one slow commit stalled every conversation of the process. Here the
whole turn (a coroutine: NLU, policy, rasa-sdk actions, repository calls) runs in a
bounded pool of worker threads, each with its own event loop, inside
``unit_of_work``: one transaction per turn, committed when the turn ends. The
caller's loop only awaits the result; ``caller_loop()`` tells code running inside a
turn which loop to hand main-loop work to (sending, Redis asyncio clients).
"""
from __future__ import annotations

import asyncio
import contextvars
import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from contextvars import ContextVar
from typing import TypeVar

from bot.storage.database import Database
from bot.storage.unit_of_work import unit_of_work

T = TypeVar("T")

_caller: ContextVar[asyncio.AbstractEventLoop | None] = ContextVar("terrapro_turn_caller_loop", default=None)


def caller_loop() -> asyncio.AbstractEventLoop | None:
    """Inside an off-loop turn: the event loop that asked for it (else None)."""
    return _caller.get()


class TurnRunner:
    def __init__(self, db: Database, workers: int = 4) -> None:
        self._db = db
        self._workers = max(1, workers)
        self._pool: ThreadPoolExecutor | None = None
        self._local = threading.local()
        self._lock = threading.Lock()

    @property
    def workers(self) -> int:
        return self._workers

    async def run(self, turn: Callable[[], Awaitable[T]]) -> T:
        """Await ``turn()`` run in a worker thread, in one unit of work (rolled back if it raises)."""
        caller = asyncio.get_running_loop()
        # The caller's context goes along (as asyncio.to_thread does): which queue row is
        # being handled, for idempotency keys (bot.core.pump.current_receipt).
        context = contextvars.copy_context()
        return await asyncio.wrap_future(self._executor().submit(context.run, self._in_thread, turn, caller))

    def _executor(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self._workers, thread_name_prefix="terrapro-turn")
            return self._pool

    def _in_thread(self, turn: Callable[[], Awaitable[T]], caller: asyncio.AbstractEventLoop) -> T:
        loop = getattr(self._local, "loop", None)
        if loop is None:
            loop = self._local.loop = asyncio.new_event_loop()
        token = _caller.set(caller)
        try:
            with unit_of_work(self._db):
                return loop.run_until_complete(_as_coroutine(turn))
        finally:
            _caller.reset(token)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None


async def _as_coroutine(turn: Callable[[], Awaitable[T]]) -> T:
    return await turn()
