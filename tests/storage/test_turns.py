"""One unit of work per turn, run off the event loop (SQLite and PostgreSQL)."""
from __future__ import annotations

import asyncio
import threading
from datetime import datetime, timezone

import pytest
from sqlalchemy import event

from bot.storage.persons import PersonRepository
from bot.storage.state import SqlConversationStateStore
from bot.storage.turns import TurnRunner, caller_loop
from bot.storage.unit_of_work import after_commit, unit_of_work


def _count_commits(db) -> list[str]:
    commits: list[str] = []
    event.listen(db.engine, "commit", lambda conn: commits.append(threading.current_thread().name))
    return commits


def _turn_work(db):
    persons, states = PersonRepository(db), SqlConversationStateStore(db)
    person = persons.get_or_create("telegram", "8001", "Awa")
    states.load(person.id)
    states.save(person.id, {"slots": {"langue": "fr"}, "intents": ["greet"]})
    persons.update(person.id, language="wo")
    persons.touch_inbound("telegram", "8001", datetime.now(timezone.utc))
    return person


def test_a_turns_repository_calls_share_one_transaction(db):
    commits = _count_commits(db)
    _turn_work(db)
    separate = len(commits)
    commits.clear()
    with unit_of_work(db):
        _turn_work(db)
    assert separate >= 4 and len(commits) == 1


def test_after_commit_runs_only_once_committed(db):
    seen = []
    with pytest.raises(RuntimeError):
        with unit_of_work(db):
            PersonRepository(db).get_or_create("telegram", "1")
            after_commit(lambda: seen.append("rolled back: must not run"))
            raise RuntimeError("turn failed")
    assert seen == [] and PersonRepository(db).find("telegram", "1") is None
    with unit_of_work(db):
        after_commit(lambda: seen.append(PersonRepository(db).find("telegram", "2")))
        PersonRepository(db).get_or_create("telegram", "2")
    assert seen and seen[0].external_id == "2"


def test_an_expected_integrity_error_does_not_spoil_the_turn(db):
    # get_or_create's insert runs in a savepoint: a lost race leaves the transaction usable.
    persons = PersonRepository(db)
    with unit_of_work(db):
        first = persons.get_or_create("whatsapp", "221770000001")
        second = persons.get_or_create("whatsapp", "221770000001")
        persons.update(first.id, language="wo")
    assert first.id == second.id and persons.get(first.id).language == "wo"


async def test_the_turn_runs_off_the_event_loop_and_commits_once(db):
    commits = _count_commits(db)
    runner = TurnRunner(db, workers=2)
    main = threading.current_thread().name
    loop = asyncio.get_running_loop()
    seen = {}

    async def turn():
        seen["thread"] = threading.current_thread().name
        seen["caller"] = caller_loop()
        return _turn_work(db)

    try:
        person = await runner.run(turn)
    finally:
        runner.close()
    assert seen["thread"] != main and seen["caller"] is loop
    assert commits == [seen["thread"]]  # one commit, in the worker thread
    assert PersonRepository(db).get(person.id).language == "wo"


async def test_a_failing_turn_leaves_nothing_behind(db):
    runner = TurnRunner(db, workers=1)

    async def turn():
        PersonRepository(db).get_or_create("telegram", "9")
        raise ValueError("boom")

    try:
        with pytest.raises(ValueError):
            await runner.run(turn)
    finally:
        runner.close()
    assert PersonRepository(db).find("telegram", "9") is None


async def test_the_loop_keeps_running_while_turns_wait_on_the_database(db):
    # A turn blocked in the database (here: a sleep in the worker) must not stall the loop.
    runner = TurnRunner(db, workers=2)

    async def slow_turn():
        import time

        time.sleep(0.3)
        return "done"

    ticks = 0

    async def ticker():
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    task = asyncio.create_task(ticker())
    try:
        assert await runner.run(slow_turn) == "done"
    finally:
        task.cancel()
        runner.close()
    assert ticks >= 15
