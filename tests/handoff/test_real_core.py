"""With the real core (NLU, policy, actions): escalation through talk_to_human, and a silent bot."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from bot.app import build_services
from bot.core.conversation import ConversationService
from bot.core.messages import IncomingMessage, MessageKind
from bot.settings import Settings
from bot.storage.locks import InProcessUserLocks
from tests.handoff.conftest import FakeClock, FakeOutbox

AWA, YOUNG, OTHER = "9001", "5001", "7777"


@pytest.fixture(scope="module")
def nlu_cache_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("nlu-cache")


@pytest.fixture
def stack(tmp_path, nlu_cache_dir):
    from bot.handoff.compose import build_handoff

    settings = Settings(data_dir=tmp_path / "data", nlu_cache_dir=nlu_cache_dir, redis_url="", database_url="")
    services = build_services(settings, today=lambda: date(2026, 11, 25))
    handoff = build_handoff(settings, db=services.db, handoffs=services.handoffs, persons=services.persons,
                            catalogue=services.catalogue, clock=FakeClock())
    outbox = FakeOutbox()
    handoff.ports.register("telegram", outbox)
    # What bot/app.py does once wired: the same core, with the gate.
    core = ConversationService(
        nlu=services.nlu, runner=services.runner, persons=services.persons, states=services.states,
        texts=services.texts, places=services.search, locks=InProcessUserLocks(), threshold=settings.nlu_threshold, gate=handoff.gate,
    )
    yield services, handoff, handoff.handler(core), outbox
    services.close()


async def say(handler, user, text, name="Moussa"):
    return await handler.handle(IncomingMessage("telegram", user, text=text, display_name=name))


async def test_escalation_claim_silence_and_back(stack):
    services, handoff, handler, outbox = stack
    handoff.referents.add("Awa", AWA)
    await say(handler, YOUNG, "je veux apprendre le solaire a bignona")
    asked = await say(handler, YOUNG, "je veux parler a un referent")
    assert "n°1" in asked[0].text and "annuler" in asked[0].text
    [ticket] = services.handoffs.waiting()

    assert await handoff.worker.run_once() == 1
    [notice] = outbox.to(AWA)
    assert "Solaire" in notice.reply.text and "Prendre" in notice.reply.buttons[0].title

    await handler.handle(IncomingMessage("telegram", AWA, kind=MessageKind.BUTTON, payload=notice.reply.buttons[0].payload,
                                         text=notice.reply.buttons[0].title, display_name="Awa"))
    assert services.handoffs.get(ticket.id).status == "assigned"
    # Questions the bot would normally answer go to Awa only.
    for text in ("c'est combien la formation couture ?", "bonjour", "/talk_to_human"):
        assert await say(handler, YOUNG, text) == []
    assert outbox.texts_to(AWA)[-3:] == ["Moussa : c'est combien la formation couture ?", "Moussa : bonjour",
                                         "Moussa : /talk_to_human"]

    # A non-referent typing referent commands gets the ordinary bot.
    for command in ("/file", f"/prendre {ticket.id}"):
        replies = await say(handler, OTHER, command, name="Lamine")
        assert replies and all("File d'attente" not in r.text and "Tu parles" not in r.text for r in replies)
    assert services.handoffs.get(ticket.id).referent_id is not None

    await say(handler, AWA, "/terminer", name="Awa")
    rating = outbox.to(YOUNG)[-1].reply
    await handler.handle(IncomingMessage("telegram", YOUNG, kind=MessageKind.BUTTON, payload=rating.buttons[4].payload,
                                         text=rating.buttons[4].title))
    assert services.handoffs.get(ticket.id).rating == 5
    back = await say(handler, YOUNG, "ou apprendre la couture")
    assert back and back[0].text  # the bot answers again
