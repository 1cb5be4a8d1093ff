"""`/diffuser` on Telegram: text → segment buttons → preview with the count → confirm. Admins only."""
from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest

from bot.broadcast.composer import BroadcastComposer, draft_store
from bot.core.messages import IncomingMessage
from bot.handoff.console import ReferentConsole
from bot.handoff.texts import HandoffTexts
from bot.settings import PROJECT_ROOT
from bot.storage.shared_keys import RedisSharedKeyStore, SqlSharedKeyStore

BASSINS = {"bignona": ["Fogny", "Littoral-Kafountine"], "savoie": ["Chambéry"]}


def admin(referent_id: int = 1):
    return SimpleNamespace(id=referent_id, role="admin", name="Awa")


def press(replies, title: str) -> str:
    buttons = [b for r in replies for b in r.buttons if title in b.title]
    assert buttons, [b.title for r in replies for b in r.buttons]
    return buttons[0].payload


@pytest.fixture
def composer(make_broadcast, sender, db):
    return BroadcastComposer(
        bassins_by_territory=BASSINS, drafts=draft_store(SqlSharedKeyStore(db)),
        broadcast=make_broadcast({"telegram": sender}),
    )


async def test_admin_writes_chooses_previews_and_sends(composer, add_people, sender):
    add_people(3, territoire="bignona", bassin="Fogny", prefix="f")
    add_people(2, territoire="bignona", bassin="Littoral-Kafountine", prefix="l")
    add_people(4, territoire="savoie", prefix="s")

    assert "texte" in (await composer.handle(admin(), "/diffuser"))[0].text
    replies = await composer.handle(admin(), "Portes ouvertes à Baïla samedi !")
    replies = await composer.handle(admin(), press(replies, "Bignona"))
    assert [b.title for b in replies[0].buttons] == ["Fogny", "Littoral-Kafountine", "Tout Bignona"]
    replies = await composer.handle(admin(), press(replies, "Fogny"))
    assert "Portes ouvertes à Baïla samedi !" in replies[0].text
    assert "Destinataires : 3" in replies[0].text
    replies = await composer.handle(admin(), press(replies, "Envoyer"))
    assert "Envoi lancé" in replies[0].text
    await asyncio.gather(*composer._sending)
    assert len(sender.ids()) == 3


async def test_cancel_sends_nothing(composer, add_people, sender):
    add_people(2)
    await composer.handle(admin(), "/diffuser")
    replies = await composer.handle(admin(), "Annonce")
    replies = await composer.handle(admin(), press(replies, "Annuler"))
    assert "rien n'a été envoyé" in replies[0].text
    assert not await composer.composing(1) and sender.ids() == []


async def test_only_admins_can_broadcast(composer):
    referent = SimpleNamespace(id=2, role="referent", name="Ibou")
    assert "réservée" in (await composer.handle(referent, "/diffuser"))[0].text
    assert not await composer.composing(2)


async def test_console_routes_the_text_to_the_draft_not_to_a_young_person(composer):
    class NoRelay:
        async def relay_to_person(self, referent, text):
            raise AssertionError("the announcement text must not be relayed to a young person")

    console = ReferentConsole(NoRelay(), HandoffTexts.load(PROJECT_ROOT / "content"), composer)
    message = IncomingMessage("telegram", "42", text="/diffuser")
    await console.handle(admin(), message)
    replies = await console.handle(admin(), IncomingMessage("telegram", "42", text="Forum le 19 mars"))
    assert any("Bignona" in b.title for r in replies for b in r.buttons)
    replies = await console.handle(admin(), IncomingMessage("telegram", "42", text="/annuler"))
    assert "annulée" in replies[0].text


@pytest.mark.parametrize("store", ["sql", "redis"])
async def test_a_draft_started_on_one_process_continues_on_another(store, make_broadcast, sender, db, request):
    def new_store():
        if store == "sql":
            return SqlSharedKeyStore(db)
        import redis as redis_lib

        url = request.getfixturevalue("redis_client").connection_pool.connection_kwargs
        return RedisSharedKeyStore(redis_lib.Redis(host=url["host"], port=url["port"], db=url.get("db", 0),
                                                   decode_responses=True))

    first, second = (
        BroadcastComposer(bassins_by_territory=BASSINS, drafts=draft_store(new_store()),
                          broadcast=make_broadcast({"telegram": sender}))
        for _ in range(2)
    )
    await first.handle(admin(), "/diffuser")
    assert await second.composing(1)
    replies = await second.handle(admin(), "Forum le 19 mars")
    replies = await first.handle(admin(), press(replies, "Bignona"))
    assert [b.title for b in replies[0].buttons] == ["Fogny", "Littoral-Kafountine", "Tout Bignona"]
    await second.cancel(1)
    assert not await first.composing(1)
