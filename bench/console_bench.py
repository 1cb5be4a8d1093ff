"""Console dashboard benchmark: time of GET /console/ (figures + two SVG charts) on SQLite.

    .venv/bin/python bench/console_bench.py [--turns 100000] [--people 10000] [--runs 20]

Seeds a throw-away SQLite database with PEOPLE persons, TURNS per-turn analytics rows
(the console's "messages": no text) spread over the last 8 weeks, 2,000 hand-off tickets
and 3,000 unanswered questions, then times the whole HTTP request (session check,
queries, template, SVG) through the ASGI app, logged in as an all-territories admin.
Target: < 300 ms on a 2-core machine.
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert  # noqa: E402
from starlette.testclient import TestClient  # noqa: E402

from bot.catalogue.loader import load_catalogue  # noqa: E402
from bot.settings import PROJECT_ROOT, Settings  # noqa: E402
from bot.storage import schema  # noqa: E402
from bot.storage.base import utcnow  # noqa: E402
from bot.storage.console_accounts import ConsoleUserRepository  # noqa: E402
from bot.storage.console_tables import TurnFact  # noqa: E402
from bot.storage.database import Database  # noqa: E402
from bot.storage.handoff import HandoffRepository  # noqa: E402
from bot.storage.models import HandoffTicket, Person, UnansweredQuestion  # noqa: E402
from bot.storage.persons import PersonRepository  # noqa: E402
from bot.storage.subscriptions import SubscriptionRepository  # noqa: E402
from bot.storage.turn_facts import week_number  # noqa: E402
from bot.web.app import create_app  # noqa: E402
from bot.web.console import build_console  # noqa: E402
from bot.web.console.security import hash_password  # noqa: E402

FILIERES = ["solaire", "mecanique", "couture", "informatique", "agriculture", "btp", "coiffure", "hotellerie",
            "electricite", "plomberie"]
INTENTS = ["search_training", "training_details", "open_days", "greet", "out_of_scope", "talk_to_human"]
PASSWORD = "benchmark password"


def seed(db: Database, people: int, turns: int, rng: random.Random) -> None:
    catalogue = load_catalogue(PROJECT_ROOT / "content")
    places = [(p.territoire, p.bassin) for p in catalogue.places]
    now = utcnow()
    span = timedelta(weeks=8).total_seconds()
    with db.session() as session:
        areas = [rng.choice(places) for _ in range(people)]
        session.execute(insert(Person), [
            {"id": i + 1, "channel": rng.choice(["telegram", "whatsapp"]), "external_id": f"bench{i}",
             "display_name": "Jeune", "language": "fr", "territoire": areas[i][0], "bassin": areas[i][1],
             "status": "active", "created_at": now - timedelta(seconds=rng.random() * span)}
            for i in range(people)
        ])
        rows = []
        for _ in range(turns):
            person = rng.randrange(people)
            at = now - timedelta(seconds=rng.random() * span)
            rows.append({
                "at": at, "week": week_number(at), "person_id": person + 1,
                "channel": "telegram", "territoire": areas[person][0], "bassin": areas[person][1],
                "intent": rng.choice(INTENTS), "filiere": rng.choice(FILIERES + [None]),
                "answered": rng.random() > 0.15,
            })
        session.execute(insert(TurnFact), rows)
        session.execute(insert(HandoffTicket), [
            {"person_id": i + 1, "channel": "telegram", "bassin": areas[i][1], "topic": {}, "summary": "",
             "status": "closed", "created_at": now - timedelta(seconds=rng.random() * span),
             "assigned_at": now - timedelta(seconds=rng.random() * span / 2),
             "closed_at": now, "rating": rng.randint(1, 5)}
            for i in range(2000)
        ])
        session.execute(insert(UnansweredQuestion), [
            {"person_id": rng.randrange(people) + 1, "text": f"question {rng.randrange(500)} sur un métier",
             "intent": "out_of_scope", "confidence": 0.2, "language": "fr",
             "created_at": now - timedelta(seconds=rng.random() * span)}
            for _ in range(3000)
        ])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--turns", type=int, default=100_000)
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(data_dir=Path(folder), dev_mode="insecure-local")
        db = Database.from_url(settings.effective_database_url)
        schema.upgrade(db)  # the migrated schema, as `terrapro serve` has it
        started = time.perf_counter()
        seed(db, args.people, args.turns, random.Random(12))
        print(f"seeded {args.people} people, {args.turns} turns in {time.perf_counter() - started:.1f} s")
        users = ConsoleUserRepository(db)
        admin = users.add("bench@terrapro.test", "admin", "all", "setup", timedelta(hours=1))
        users.set_password(admin.id, hash_password(PASSWORD))
        services = SimpleNamespace(settings=settings, db=db, catalogue=load_catalogue(settings.content_dir),
                                   handoffs=HandoffRepository(db), persons=PersonRepository(db),
                                   subscriptions=SubscriptionRepository(db))
        app = create_app([build_console(services)])
        with TestClient(app) as client:
            login = client.get("/console/connexion").text
            csrf = login.split('name="csrf" value="', 1)[1].split('"', 1)[0]
            client.post("/console/connexion", data={"csrf": csrf, "email": "bench@terrapro.test", "password": PASSWORD})
            timings = []
            for _ in range(args.runs + 2):
                started = time.perf_counter()
                response = client.get("/console/")
                timings.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200 and response.text.count("<svg") == 2
            timings = timings[2:]  # warm-up
        db.dispose()
    print(f"GET /console/ over {args.runs} runs: median {statistics.median(timings):.0f} ms, "
          f"max {max(timings):.0f} ms (target < 300 ms)")


if __name__ == "__main__":
    main()
