"""The durable inbox/outbox queue: dedupe at the write, order per key, leases, retries."""
from __future__ import annotations

import threading
import time
from datetime import timedelta

from sqlalchemy import event, select, text

from bot.storage import queue as queue_module
from bot.storage.base import utcnow
from bot.storage.queue import DEAD, DONE, QUEUED, DurableQueue, InboxItem, OutboxItem, queue_hash


def inbox(db, **kw) -> DurableQueue:
    return DurableQueue(db, InboxItem, **kw)


def test_accept_dedupes_on_the_platform_id_even_after_processing(db):
    q = inbox(db)
    assert q.accept("whatsapp", "wamid.1", "whatsapp:p1", {"text": "salut"})
    assert not q.accept("whatsapp", "wamid.1", "whatsapp:p1", {"text": "salut"})
    [item] = q.claim("w1")
    q.finish(item)
    assert not q.accept("whatsapp", "wamid.1", "whatsapp:p1", {"text": "salut"})
    # Same id on another channel is another message.
    assert q.accept("telegram", "wamid.1", "telegram:p1", {})


def test_finished_rows_keep_no_payload(db):
    q = inbox(db)
    q.accept("whatsapp", "m1", "k", {"text": "je cherche couture"})
    [item] = q.claim("w1")
    assert item.payload == {"text": "je cherche couture"}
    q.finish(item)
    with db.session() as s:
        row = s.scalar(select(InboxItem))
        assert row.payload is None and row.status == DONE


def test_one_key_at_a_time_in_arrival_order_other_keys_in_parallel(db):
    q = inbox(db)
    for n in range(3):
        q.accept("whatsapp", f"a{n}", "A", {"n": n})
        q.accept("whatsapp", f"b{n}", "B", {"n": n})
    first = q.claim("w1", limit=10)
    key = {queue_hash(db.identity, k): k for k in ("A", "B")}  # stored as keyed hashes
    assert sorted((key[i.key], i.payload["n"]) for i in first) == [("A", 0), ("B", 0)]
    # While A's first row is leased, nobody gets A's second row.
    assert q.claim("w2", limit=10) == []
    a0 = next(i for i in first if key[i.key] == "A")
    q.finish(a0)
    [a1] = q.claim("w2", limit=10)
    assert (key[a1.key], a1.payload["n"]) == ("A", 1)


def test_a_row_written_with_nothing_before_it_is_leased_to_its_writer(db):
    q = inbox(db)
    accepted, first = q.accept_leased("whatsapp", "m1", "A", {"n": 0}, worker="w1")
    assert accepted and first is not None and first.attempts == 1 and first.payload == {"n": 0}
    # The person's next message waits its turn, for any worker.
    assert q.accept_leased("whatsapp", "m2", "A", {"n": 1}, worker="w1") == (True, None)
    assert q.claim("w2") == []
    # A redelivery is refused, leased or not.
    assert q.accept_leased("whatsapp", "m1", "A", {"n": 0}, worker="w1") == (False, None)
    # Someone else's message is not held behind A's.
    assert q.accept_leased("whatsapp", "m3", "B", {"n": 0}, worker="w1")[1] is not None
    q.finish(first)
    [second] = q.claim("w2")
    assert second.payload == {"n": 1} and second.attempts == 1


def test_writers_racing_on_one_key_lease_one_row_at_a_time(db):
    """Threads (processes, on PostgreSQL) writing one person's rows at once: never two leased."""
    q = inbox(db)
    writers, rounds = 6, 10
    leased: dict[str, int] = {}
    lock = threading.Lock()
    start = threading.Barrier(writers)

    def write(n: int) -> None:
        for r in range(rounds):
            start.wait()  # every writer's INSERT for this key at the same moment
            _, item = q.accept_leased("whatsapp", f"r{r}-{n}", f"key{r}", {"n": n}, worker=f"w{n}")
            if item is not None:
                with lock:
                    leased[f"key{r}"] = leased.get(f"key{r}", 0) + 1

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert leased == {f"key{r}": 1 for r in range(rounds)}
    assert q.backlog() == writers * rounds


def test_an_expired_lease_is_claimed_again(db):
    q = inbox(db)
    q.accept("telegram", "u1", "K", {})
    [item] = q.claim("dead-worker", lease=timedelta(seconds=30))
    assert q.claim("w2") == []
    later = utcnow() + timedelta(seconds=31)
    [again] = q.claim("w2", now=later)
    assert again.id == item.id and again.attempts == 2


def test_a_worker_whose_lease_ran_out_cannot_end_the_row_another_holds(db):
    """A turn longer than its lease: the row is leased again elsewhere; the first worker
    can neither finish, give up nor put back that row. The second can."""
    q = inbox(db)
    q.accept("telegram", "u1", "K", {})
    [slow] = q.claim("slow-worker", lease=timedelta(seconds=30))
    [taken] = q.claim("w2", now=utcnow() + timedelta(seconds=31))
    assert not q.finish(slow) and not q.give_up(slow, "late") and q.requeue(slow, "late", timedelta(0)) is None
    assert q.backlog() == 1  # still leased by w2
    assert q.finish(taken)
    assert q.backlog() == 0 and not q.finish(taken)  # ended once


def test_retry_waits_then_gives_up_and_lets_the_key_go_on(db):
    q = inbox(db, max_attempts=2)
    q.accept("whatsapp", "m1", "K", {"n": 1})
    q.accept("whatsapp", "m2", "K", {"n": 2})
    [item] = q.claim("w")
    assert q.requeue(item, "429", timedelta(seconds=10)) == QUEUED
    assert q.claim("w") == []  # not yet available, and it still blocks m2
    [item] = q.claim("w", now=utcnow() + timedelta(seconds=11))
    assert q.requeue(item, "429 again", timedelta(seconds=10)) == DEAD  # second attempt was the last
    assert q.dead() == [(item.id, "whatsapp", "429 again")]
    [nxt] = q.claim("w")
    assert nxt.payload == {"n": 2}


def test_backlog_forget_and_purge(db):
    q = DurableQueue(db, OutboxItem)
    q.accept("telegram", "r1", "telegram:1", {})
    q.accept("telegram", "r2", "telegram:2", {})
    assert q.backlog() == 2
    assert q.forget_key("telegram:1") == 1
    [item] = q.claim("w")
    q.finish(item)
    assert q.backlog() == 0
    assert q.purge_finished(timedelta(days=1)) == 0
    assert q.purge_finished(timedelta(days=1), now=utcnow() + timedelta(days=2)) == 1


def test_concurrent_workers_never_share_a_row_and_keep_each_keys_order(db):
    q = inbox(db)
    keys, per_key = 5, 8
    for n in range(per_key):
        for k in range(keys):
            q.accept("whatsapp", f"{k}-{n}", f"K{k}", {"n": n})
    seen: dict[str, list[int]] = {}
    claimed_ids: list[int] = []
    lock = threading.Lock()

    def work(name: str) -> None:
        idle = 0
        while idle < 20:
            items = q.claim(name, limit=3)
            if not items:
                idle += 1
                continue
            idle = 0
            for item in items:
                with lock:
                    seen.setdefault(item.key, []).append(item.payload["n"])
                    claimed_ids.append(item.id)
                q.finish(item)

    threads = [threading.Thread(target=work, args=(f"w{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(claimed_ids) == len(set(claimed_ids)) == keys * per_key
    assert all(order == list(range(per_key)) for order in seen.values())


def test_a_worker_claims_only_the_channels_it_can_deliver(db):
    q = DurableQueue(db, OutboxItem)
    q.accept("whatsapp", "w1", "whatsapp:1", {})
    q.accept("telegram", "t1", "telegram:1", {})
    [item] = q.claim("telegram-only", channels=("telegram",))
    assert item.channel == "telegram"
    assert q.claim("nothing", channels=()) == []
    [other] = q.claim("whatsapp-too", channels=("whatsapp", "telegram"))
    assert other.channel == "whatsapp"
def test_rows_hold_no_phone_number_nor_text_in_clear(db):
    q = inbox(db)
    q.accept("whatsapp", "wamid.HBgMMjIxNzcwMDAwMDAx", "whatsapp:221770000001", {"text": "je cherche couture"})
    with db.engine.connect() as conn:
        from sqlalchemy import text

        row = conn.execute(text("SELECT * FROM inbox_items")).one()
    assert all("221770000001" not in str(v) and "couture" not in str(v) and "HBgM" not in str(v) for v in row)
    [item] = q.claim("w1")
    assert item.payload == {"text": "je cherche couture"}
    assert q.forget_key("whatsapp:221770000001") == 1


def test_a_claim_costs_the_backlog_not_the_history(sqlite_db):
    """Finished rows stay a year; one person's 300 queued messages meet all of them.

    The claim finds each key's oldest unfinished row in the partial index, which SQLite only
    uses when the status values are written in the SQL: with bound values it scanned every
    older row for each of the flooder's rows (about a second per claim here, ~30 s of delay
    for everyone under a Telegram flood)."""
    queue = inbox(sqlite_db)
    long_ago = utcnow() - timedelta(days=30)
    with sqlite_db.engine.begin() as conn:
        conn.execute(InboxItem.__table__.insert(), [
            {"channel": "whatsapp", "dedupe_id": f"old-{n}", "key": f"person-{n % 2_000}", "payload": None,
             "status": DONE, "attempts": 1, "available_at": long_ago, "created_at": long_ago,
             "finished_at": long_ago}
            for n in range(20_000)
        ])
    for n in range(300):
        queue.accept("whatsapp", f"flood-{n}", "whatsapp:flooder", {"flood": n})
    queue.accept("whatsapp", "calm-0", "whatsapp:calm", {"calm": 0})

    assert [item.payload for item in queue.claim("w1", limit=10)] == [{"flood": 0}, {"calm": 0}]
    started = time.perf_counter()
    for _ in range(5):
        assert queue.claim("w2", limit=10) == []  # the flooder's next rows wait for the first
    assert (time.perf_counter() - started) / 5 < 0.05
    assert queue.backlog() == 301


def _planner_row_count(db, table: str) -> float:
    with db.connection() as connection:
        return connection.execute(text("SELECT reltuples FROM pg_class WHERE oid = to_regclass(:t)"), {"t": table}).scalar()


def test_a_slow_claim_refreshes_the_planner_statistics_once_per_gap(postgres_db, monkeypatch):
    # Statistics from before a burst (no rows) made PostgreSQL walk every waiting row for each
    # candidate; a slow claim refreshes them (here every claim counts as slow).
    q = inbox(postgres_db)
    for n in range(40):
        q.accept("whatsapp", f"wamid.{n}", f"whatsapp:p{n % 4}", {"n": n})
    assert _planner_row_count(postgres_db, "inbox_items") <= 0  # never analyzed
    monkeypatch.setattr(queue_module, "SLOW_CLAIM_SECONDS", 0.0)
    assert len(q.claim("w1")) == 4
    assert _planner_row_count(postgres_db, "inbox_items") == 40
    for n in range(40, 60):
        q.accept("whatsapp", f"wamid.{n}", f"whatsapp:p{n % 4}", {"n": n})
    q.claim("w1")
    assert _planner_row_count(postgres_db, "inbox_items") == 40  # not again within the gap
    monkeypatch.setattr(queue_module, "ANALYZE_GAP", 0.0)
    q.claim("w1")
    assert _planner_row_count(postgres_db, "inbox_items") == 60


def test_sqlite_claims_never_analyze(sqlite_db, monkeypatch):
    q = inbox(sqlite_db)
    q.accept("whatsapp", "wamid.1", "whatsapp:p1", {"n": 1})
    monkeypatch.setattr(queue_module, "SLOW_CLAIM_SECONDS", 0.0)
    executed: list[str] = []
    event.listen(sqlite_db.engine, "before_cursor_execute", lambda *a: executed.append(a[2]))
    assert len(q.claim("w1")) == 1
    assert not [sql for sql in executed if "ANALYZE" in sql.upper()]
