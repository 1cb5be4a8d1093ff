"""Through the real python-telegram-bot Application and the fake Bot API: a referent presses "Prendre"."""
from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.channels.telegram import TelegramInbox, application_running, build_application, port_of
from bot.settings import Settings
from bot.storage.referents import NoticeRepository
from bot.storage.shared_keys import SqlSharedKeyStore
from tests.fakes.telegram_api import TOKEN, FakeTelegramAPI
from tests.handoff.conftest import make_world

AWA, IBOU, YOUNG = 9001, 9002, 5001


@pytest.fixture(scope="module")
def fake_api() -> Iterator[FakeTelegramAPI]:
    api = FakeTelegramAPI().start()
    yield api
    api.stop()


def texts(api: FakeTelegramAPI, chat_id: int) -> list[str]:
    return [c.params["text"] for c in api.calls_to("sendMessage", chat_id)]


async def test_referent_presses_prendre_and_the_chat_is_bridged(fake_api, sqlite_db, tmp_path, inbox):
    world = make_world(sqlite_db)
    world.handoff.referents.add("Awa", AWA, "Fogny")
    world.handoff.referents.add("Ibou", IBOU, "Fogny")
    settings = Settings(data_dir=tmp_path, telegram_token=TOKEN, telegram_base_url=fake_api.base_url)
    application = build_application(settings, world.handler, world.persons, SqlSharedKeyStore(world.db))
    # The real Telegram port replaces the recording one for Telegram.
    world.handoff.ports.register("telegram", port_of(application))

    async with application_running(application, poller=TelegramInbox(application, inbox), poll_timeout=0.2):
        ticket = world.ask(world.young(str(YOUNG)))
        await world.handoff.service.announce(ticket)
        [to_awa] = fake_api.calls_to("sendMessage", AWA)
        [to_ibou] = fake_api.calls_to("sendMessage", IBOU)
        [[button]] = to_awa.params["reply_markup"]["inline_keyboard"]
        assert "Prendre" in button["text"] and "Moussa" in to_awa.params["text"]

        on_message = {"message_id": 1, "date": 1700000000, "chat": {"id": AWA, "type": "private"},
                      "text": to_awa.params["text"], "reply_markup": to_awa.params["reply_markup"]}
        fake_api.press_button(AWA, button["callback_data"], on_message=on_message)
        [edit_ibou] = await fake_api.wait_for("editMessageText", chat_id=IBOU)
        assert edit_ibou.params["text"].endswith("prise en charge par Awa.")
        # The edit targets the message Ibou received (its id came back from sendMessage), buttons gone.
        ibou = world.handoff.referents.by_telegram_id(IBOU)
        [ibou_notice] = [n for n in NoticeRepository(sqlite_db).notices(ticket.id) if n.referent_id == ibou.id]
        assert str(edit_ibou.params["message_id"]) == ibou_notice.message_ref
        assert "reply_markup" not in edit_ibou.params and len(to_ibou.params["text"]) > 0
        await fake_api.wait_for("sendMessage", 2, chat_id=AWA)
        assert texts(fake_api, AWA)[-1].startswith("Tu parles maintenant avec Moussa")
        assert world.handoffs.get(ticket.id).status == "assigned"
        await fake_api.wait_for("sendMessage", chat_id=YOUNG)
        assert "Awa" in texts(fake_api, YOUNG)[0]

        # The young person writes: relayed to Awa, no bot answer.
        fake_api.send_message_update(YOUNG, "c'est quand la rentrée ?", first_name="Moussa")
        await fake_api.wait_for("sendMessage", 3, chat_id=AWA)
        assert texts(fake_api, AWA)[-1] == "Moussa : c'est quand la rentrée ?"
        assert world.core.answered == []
        # Awa answers: relayed, signed.
        fake_api.send_message_update(AWA, "En octobre !", first_name="Awa")
        await fake_api.wait_for("sendMessage", 2, chat_id=YOUNG)
        assert texts(fake_api, YOUNG)[-1] == "Awa (référent·e) : En octobre !"
        # /terminer: the young person gets the rating buttons.
        fake_api.send_message_update(AWA, "/terminer", first_name="Awa")
        [*_, rating] = await fake_api.wait_for("sendMessage", 3, chat_id=YOUNG)
        payloads = [b["callback_data"] for row in rating.params["reply_markup"]["inline_keyboard"] for b in row]
        assert payloads == [f"p:/noter {ticket.id} {n}" for n in range(1, 6)]
    assert fake_api.unknown == []
