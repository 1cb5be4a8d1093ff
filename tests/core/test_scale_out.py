"""The scale-out path: PostgreSQL for every durable thing, conversation state included;
Redis for locks, shared keys and rate limits."""
from __future__ import annotations

from urllib.parse import quote

from bot.app import build_services
from bot.storage.state import SqlConversationStateStore
from tests.conftest import POSTGRES_URL, REDIS_URL
from tests.core.conftest import TODAY, Chat


def schema_url(postgres_db) -> str:
    separator = "&" if "?" in POSTGRES_URL else "?"
    return f"{POSTGRES_URL}{separator}options={quote(f'-csearch_path={postgres_db.schema}')}"


async def test_conversation_on_postgres_and_redis_survives_a_restart(settings, postgres_db, redis_client):
    scaled = settings.model_copy(update={"database_url": schema_url(postgres_db), "redis_url": REDIS_URL})
    first = build_services(scaled, today=lambda: TODAY)
    assert isinstance(first.states, SqlConversationStateStore)
    assert first.db.dialect == "postgresql"
    await Chat(first.conversation, user="scale").say("ou apprendre le solaire a bignona ?")
    person = first.persons.find("cli", "scale")
    first.close()
    assert not any(key.startswith("terrapro:state:") for key in redis_client.keys("*"))

    # A copy left in Redis by an earlier version (or by a process killed between its commit
    # and its cache write) is never read: the state is PostgreSQL's.
    redis_client.set(f"terrapro:state:{person.id}", '{"slots": {"lieu": "Chambéry", "territoire": "savoie"}}')
    second = build_services(scaled, today=lambda: TODAY)
    chat = Chat(second.conversation, user="scale")
    await chat.say("et a baila ?")
    assert "CFP de Baïla" in chat.text.split("\n")[1]
    second.close()
