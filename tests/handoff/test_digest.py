"""/stats and /questions for admin referents, through the real Telegram Application and the fake Bot API."""
from __future__ import annotations

import csv
import io
from collections.abc import Iterator

import pytest

from bot.channels.telegram import TelegramInbox, application_running, build_application, port_of
from bot.core.ports import TurnFacts
from bot.settings import Settings
from bot.storage.shared_keys import SqlSharedKeyStore
from bot.storage.turn_facts import TurnFactRepository
from bot.storage.unanswered import UnansweredRepository
from tests.fakes.telegram_api import TOKEN, FakeTelegramAPI
from tests.handoff.conftest import make_world

ADMIN, PLAIN = 9101, 9102


@pytest.fixture(scope="module")
def fake_api() -> Iterator[FakeTelegramAPI]:
    api = FakeTelegramAPI().start()
    yield api
    api.stop()


async def test_admin_gets_stats_text_and_questions_csv(fake_api, sqlite_db, tmp_path, inbox):
    world = make_world(sqlite_db)
    world.handoff.referents.add("Paul", ADMIN, None, role="admin")
    world.handoff.referents.add("Awa", PLAIN, "Fogny")
    young = world.young("5101")
    turns = TurnFactRepository(sqlite_db)
    # Stats use the real clock's week: the facts are recorded now.
    for answered in (True, False):
        turns.record_turn(TurnFacts(young.id, "telegram", "bignona", "Fogny", "search_training", "solaire", answered))
    UnansweredRepository(sqlite_db).record(young.id, "=cmd|' /C calc'!A0 apiculture", "out_of_scope", 0.1, "fr")
    settings = Settings(data_dir=tmp_path, telegram_token=TOKEN, telegram_base_url=fake_api.base_url)
    application = build_application(settings, world.handler, world.persons, SqlSharedKeyStore(world.db))
    world.handoff.ports.register("telegram", port_of(application))

    async with application_running(application, poller=TelegramInbox(application, inbox), poll_timeout=0.2):
        fake_api.send_message_update(ADMIN, "/stats", first_name="Paul")
        [stats] = await fake_api.wait_for("sendMessage", chat_id=ADMIN)
        assert "Questions : 2" in stats.params["text"] and "Sans réponse : 50 %" in stats.params["text"]
        assert "solaire (2)" in stats.params["text"]

        fake_api.send_message_update(ADMIN, "/questions", first_name="Paul")
        [sent] = await fake_api.wait_for("sendDocument", chat_id=ADMIN)
        document = sent.params["document"]
        assert document["filename"] == "questions-sans-reponse.csv"
        rows = list(csv.reader(io.StringIO(document["content"].decode("utf-8-sig"))))
        assert rows[0][0] == "question" and rows[1][0].startswith("'=cmd")
        assert "1 question" in sent.params["caption"]

        fake_api.send_message_update(PLAIN, "/stats", first_name="Awa")
        [refused] = await fake_api.wait_for("sendMessage", chat_id=PLAIN)
        assert "administrateurs" in refused.params["text"]
    assert fake_api.unknown == []
