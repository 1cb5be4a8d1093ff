"""« Supprime mes données » on WhatsApp while a referent holds the chat, on both storage paths.

Real core, real WhatsApp webhook and sender (fake Graph API), real hand-off. The young
person gets the confirmation, the referent is told, and nothing about the person is left:
no row in any table, no Redis key, and their number nowhere in the database or in Redis.
"""
from __future__ import annotations

from datetime import date

import httpx
import pytest
from sqlalchemy import text

from bot.app import build_services
from bot.channels.inbox import build_inbox_pump
from bot.channels.whatsapp import build_whatsapp
from bot.settings import Settings
from bot.storage.delivery_status import DeliveryStatusRepository
from bot.web import create_app
from tests.channels.whatsapp.conftest import APP_SECRET, PHONE_NUMBER_ID, VERIFY_TOKEN, Clock, post_signed, text_payload
from tests.conftest import REDIS_URL
from tests.core.test_scale_out import schema_url
from tests.fakes.graph_api import FakeGraphAPI
from tests.handoff.conftest import FakeOutbox
from tests.storage.test_erasure import _rows_about

YOUNG = "221771234567"
AWA = "9001"


@pytest.fixture(scope="module")
def nlu_cache_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("nlu-cache")


@pytest.fixture
def graph_api():
    fake = FakeGraphAPI().start()
    yield fake
    fake.stop()


@pytest.fixture(params=["sqlite", "postgres+redis"])
async def stack(request, tmp_path, nlu_cache_dir, graph_api):
    settings = Settings(
        data_dir=tmp_path / "data", nlu_cache_dir=nlu_cache_dir, redis_url="", database_url="",
        whatsapp_token="test-token", whatsapp_phone_number_id=PHONE_NUMBER_ID,
        whatsapp_api_base_url=graph_api.base_url, whatsapp_verify_token=VERIFY_TOKEN,
        whatsapp_app_secret=APP_SECRET,
    )
    redis_client = None
    if request.param == "postgres+redis":
        postgres_db = request.getfixturevalue("postgres_db")
        redis_client = request.getfixturevalue("redis_client")
        settings = settings.model_copy(update={"database_url": schema_url(postgres_db), "redis_url": REDIS_URL})
    services = build_services(settings, today=lambda: date(2026, 1, 1))
    inbox = build_inbox_pump(settings, services.db)
    inbox.start()
    whatsapp = build_whatsapp(
        settings, services.conversation, services.persons, DeliveryStatusRepository(services.db),
        services.shared, inbox=inbox, clock=Clock(),
    )
    referents = FakeOutbox()
    services.handoff.ports.register("telegram", referents)
    services.handoff.ports.register("whatsapp", whatsapp.port)
    services.handoff.outbox.start()  # as `serve` does: what a turn writes to the outbox is sent from there
    yield services, whatsapp, referents, redis_client
    await services.handoff.outbox.stop()
    await inbox.stop()
    await whatsapp.aclose()
    services.close()


async def _say(client, whatsapp, services, body: str, n: int) -> None:
    response = await post_signed(client, text_payload(YOUNG, f"wamid.YOUNG{n}", body, name="Fatou Sané"))
    assert response.status_code == 200
    await whatsapp.join()
    await services.handoff.outbox.drain()  # whatever was not delivered at once


def _texts_to(graph_api: FakeGraphAPI, wa_id: str) -> list[str]:
    found = []
    for body in graph_api.bodies():
        if body.get("to") != wa_id:
            continue
        found.append(body.get("text", {}).get("body") or body.get("interactive", {}).get("body", {}).get("text", ""))
    return found


async def test_erasure_with_a_referent_holding_the_chat(stack, graph_api):
    services, whatsapp, referents, redis_client = stack
    awa = services.handoff.referents.add("Awa", AWA)
    transport = httpx.ASGITransport(app=create_app(whatsapp.routes))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        await _say(client, whatsapp, services, "je veux apprendre le solaire a bignona", 1)
        await _say(client, whatsapp, services, "je veux parler a un referent", 2)
        person = services.persons.find("whatsapp", YOUNG)
        assert person is not None and person.display_name == "Fatou"  # first word of the profile name only
        [ticket] = services.handoffs.waiting()
        await services.handoff.service.claim(awa, ticket.id)
        await _say(client, whatsapp, services, "bonjour", 3)
        assert referents.texts_to(AWA)[-1] == "Fatou : bonjour"  # relayed, with the first name

        await _say(client, whatsapp, services, "supprime mes données", 4)
        assert "efface" in _texts_to(graph_api, YOUNG)[-1]  # the bot asks, even during the hand-off
        await _say(client, whatsapp, services, "oui supprime tout", 5)

    assert "C'est fait" in _texts_to(graph_api, YOUNG)[-1]  # the confirmation really went out
    assert "effacement de ses données" in referents.texts_to(AWA)[-1]
    assert services.persons.find("whatsapp", YOUNG) is None
    assert set(_rows_about(services.db, person.id).values()) == {0}
    _assert_number_absent_from_database(services.db)
    if redis_client is not None:
        for key in redis_client.scan_iter("*"):
            assert YOUNG not in key
            assert key != f"terrapro:state:{person.id}"
            if redis_client.type(key) == "string":
                assert YOUNG not in (redis_client.get(key) or "")
            elif redis_client.type(key) == "list":
                assert all(YOUNG not in v for v in redis_client.lrange(key, 0, -1))


def _assert_number_absent_from_database(db) -> None:
    """Every text column of every table, read raw: the number is nowhere."""
    with db.engine.connect() as conn:
        if db.dialect == "sqlite":
            tables = [r[0] for r in conn.execute(text("SELECT name FROM sqlite_master WHERE type='table'"))]
        else:
            tables = [r[0] for r in conn.execute(text(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
            ))]
        for table in tables:
            for row in conn.execute(text(f'SELECT * FROM "{table}"')):
                assert all(YOUNG not in str(value) for value in row), table
