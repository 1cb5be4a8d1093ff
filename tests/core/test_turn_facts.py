"""Each turn leaves one analytics row for the console: intent, filière, area, answered — never the text."""
from __future__ import annotations

from sqlalchemy import select

from bot.storage.console_tables import TurnFact
from tests.core.conftest import Chat


async def test_each_turn_is_counted_without_its_text(services):
    chat = Chat(services.conversation, user="jeune-facts")
    await chat.say("où apprendre le solaire à Bignona ?")
    await chat.say("xqzw vbnm plok")
    with services.db.session() as session:
        rows = list(session.scalars(select(TurnFact).order_by(TurnFact.id)))
    assert [r.answered for r in rows] == [True, False]
    assert rows[0].intent == "search_training" and rows[0].filiere == "solaire"
    assert rows[0].territoire == "bignona" and rows[0].channel == "cli"
    stored = " ".join(str(getattr(r, c.name)) for r in rows for c in TurnFact.__table__.columns)
    assert "apprendre" not in stored and "xqzw" not in stored


async def test_erasure_removes_the_turn_facts(services):
    chat = Chat(services.conversation, user="jeune-erase")
    await chat.say("bonjour")
    person = services.persons.find("cli", "jeune-erase")
    services.persons.delete_everything(person.id)
    with services.db.session() as session:
        assert list(session.scalars(select(TurnFact).where(TurnFact.person_id == person.id))) == []
