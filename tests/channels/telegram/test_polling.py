"""The real PTB Application of the project, polling the fake Bot API server."""
from __future__ import annotations

import asyncio

from bot.core.messages import MessageKind
from tests.fakes.telegram_api import BOT_ID, BOT_USERNAME, FakeTelegramAPI

ALICE, BOB = 7001, 7002


def _texts(fake_api: FakeTelegramAPI, chat_id: int) -> list[str]:
    return [c.params["text"] for c in fake_api.calls_to("sendMessage", chat_id)]


async def test_start_sets_french_menu_and_answers_with_inline_keyboard(fake_api, polling_bot, handler):
    [menu] = fake_api.calls_to("setMyCommands")
    assert [(c["command"], c["description"]) for c in menu.params["commands"]] == [
        ("start", "Commencer"), ("aide", "Que peut faire le bot ?"),
        ("stop", "Ne plus recevoir d'annonces")]
    fake_api.send_message_update(ALICE, "/start")
    [sent] = await fake_api.wait_for("sendMessage", chat_id=ALICE)
    assert sent.params["text"] == "Bienvenue ! Que cherches-tu ?"
    rows = sent.params["reply_markup"]["inline_keyboard"]
    assert [[b["text"] for b in row] for row in rows] == [["Solaire"], ["Couture"], ["Parler à un référent"]]
    assert all(len(b["callback_data"].encode()) <= 64 for row in rows for b in row)
    [incoming] = handler.received
    assert (incoming.kind, incoming.payload, incoming.display_name) == (MessageKind.BUTTON, "/greet", "Awa")


async def test_text_message_is_answered(fake_api, polling_bot, handler, persons):
    fake_api.send_message_update(ALICE, "ou apprendre le solaire a bignona")
    await fake_api.wait_for("sendMessage", chat_id=ALICE)
    assert _texts(fake_api, ALICE) == ["Écho : ou apprendre le solaire a bignona"]
    assert handler.received[0].user_id == str(ALICE)
    assert persons.inbound == [("telegram", str(ALICE))]


async def test_button_press_is_acknowledged_and_handled_as_choice(fake_api, polling_bot, handler):
    fake_api.send_message_update(ALICE, "/start")
    [menu_message] = await fake_api.wait_for("sendMessage", chat_id=ALICE)
    pressed = menu_message.params["reply_markup"]["inline_keyboard"][1][0]
    on_message = {"message_id": 77, "date": 1700000000, "chat": {"id": ALICE, "type": "private"},
                  "text": menu_message.params["text"], "reply_markup": menu_message.params["reply_markup"]}
    update = fake_api.press_button(ALICE, pressed["callback_data"], on_message=on_message)
    await fake_api.wait_for("sendMessage", 2, chat_id=ALICE)
    [answer] = fake_api.calls_to("answerCallbackQuery")
    assert answer.params["callback_query_id"] == update["callback_query"]["id"]
    choice = handler.received[-1]
    assert (choice.kind, choice.payload, choice.text) == (
        MessageKind.BUTTON, '/search_training{"filiere": "couture"}', "Couture")
    assert _texts(fake_api, ALICE)[-1] == "Choix : Couture"
    # The answer to the press comes after answerCallbackQuery (the spinner stops first).
    assert answer.at <= fake_api.calls_to("sendMessage", ALICE)[-1].at


async def test_expired_button_key_reaches_the_core_as_empty_choice(fake_api, polling_bot, handler):
    fake_api.press_button(ALICE, "k:0123456789abcdef01234567")
    await fake_api.wait_for("sendMessage", chat_id=ALICE)
    assert (handler.received[0].kind, handler.received[0].payload) == (MessageKind.BUTTON, None)
    assert fake_api.calls_to("answerCallbackQuery")


async def test_voice_note_reaches_the_core_as_voice(fake_api, polling_bot, handler):
    fake_api.send_message_update(ALICE, voice={"file_id": "v", "file_unique_id": "u", "duration": 4})
    await fake_api.wait_for("sendMessage", chat_id=ALICE)
    assert handler.received[0].kind is MessageKind.VOICE
    assert _texts(fake_api, ALICE) == ["Type : voice"]


async def test_shared_location(fake_api, polling_bot, handler):
    fake_api.send_message_update(ALICE, location={"latitude": 12.81, "longitude": -16.23})
    await fake_api.wait_for("sendMessage", chat_id=ALICE)
    assert handler.received[0].kind is MessageKind.LOCATION
    assert (handler.received[0].location.latitude, handler.received[0].location.longitude) == (12.81, -16.23)


async def test_429_is_retried_after_retry_after(fake_api, polling_bot):
    fake_api.fail_next("sendMessage", 1, status=429, retry_after=1)
    fake_api.send_message_update(ALICE, "salut")
    await fake_api.wait_for("sendMessage", 2, chat_id=ALICE)
    first, second = fake_api.calls_to("sendMessage", ALICE)
    assert second.at - first.at >= 0.95
    assert first.params["text"] == second.params["text"] == "Écho : salut"


async def test_403_marks_the_person_unreachable_and_stops_sending(fake_api, polling_bot, persons):
    fake_api.block_chat(BOB)
    fake_api.send_message_update(BOB, "/start")
    await fake_api.wait_for("sendMessage", chat_id=BOB)
    await asyncio.sleep(0.2)
    assert persons.unreachable == [("telegram", str(BOB))]
    # A broadcast later (same sender) sends nothing more to that chat.
    from bot.channels.telegram import port_of
    from bot.core.messages import Reply
    from bot.core.outbound import SendStatus
    result = await port_of(polling_bot).send("telegram", str(BOB), Reply("Portes ouvertes samedi"))
    assert result.status is SendStatus.UNREACHABLE
    assert len(fake_api.calls_to("sendMessage", BOB)) == 1


async def test_two_users_interleaved_keep_their_own_order(fake_api, polling_bot, handler, inbox, inbox_queue):
    # Alice's first message is slow: Bob must not wait for it, Alice's order must hold.
    handler.delays["a1"] = 0.6
    for chat, text in [(ALICE, "a1"), (BOB, "b1"), (ALICE, "a2"), (BOB, "b2"), (ALICE, "a3")]:
        fake_api.send_message_update(chat, text)
    await fake_api.wait_for("sendMessage", 3, chat_id=ALICE)
    await fake_api.wait_for("sendMessage", 2, chat_id=BOB)
    assert _texts(fake_api, ALICE) == ["Écho : a1", "Écho : a2", "Écho : a3"]
    assert _texts(fake_api, BOB) == ["Écho : b1", "Écho : b2"]
    bob_done = fake_api.calls_to("sendMessage", BOB)[-1].at
    alice_first = fake_api.calls_to("sendMessage", ALICE)[0].at
    assert bob_done < alice_first  # handled concurrently, not behind Alice's slow message
    await inbox.drain()
    assert inbox_queue.backlog() == 0  # every update finished, nothing left leased


async def test_typing_action_only_when_the_answer_is_slow(fake_api, polling_bot, handler):
    handler.delays["lent"] = 0.8
    fake_api.send_message_update(ALICE, "rapide")
    await fake_api.wait_for("sendMessage", chat_id=ALICE)
    assert fake_api.calls_to("sendChatAction") == []
    fake_api.send_message_update(ALICE, "lent")
    await fake_api.wait_for("sendMessage", 2, chat_id=ALICE)
    [typing] = fake_api.calls_to("sendChatAction", ALICE)
    assert typing.params["action"] == "typing"
    assert typing.at < fake_api.calls_to("sendMessage", ALICE)[-1].at


async def test_group_gets_only_a_generic_invitation_when_addressed(fake_api, polling_bot, handler):
    group = -100123
    fake_api.send_message_update(group, "on parle de couture", chat_type="supergroup")
    mention = f"@{BOT_USERNAME} c'est combien la formation ?"
    fake_api.send_message_update(group, mention, chat_type="supergroup",
                                 entities=[{"type": "mention", "offset": 0, "length": len(BOT_USERNAME) + 1}])
    [sent] = await fake_api.wait_for("sendMessage", chat_id=group)
    assert f"@{BOT_USERNAME}" in sent.params["text"] and "privé" in sent.params["text"]
    assert "reply_markup" not in sent.params
    await asyncio.sleep(0.2)
    assert handler.received == []  # the core never sees group messages
    assert len(fake_api.calls_to("sendMessage", group)) == 1


async def test_core_failure_gets_a_french_answer_and_polling_goes_on(fake_api, polling_bot, handler):
    async def broken(message):
        raise RuntimeError("boom with private text")
    original = handler.handle
    handler.handle = broken
    fake_api.send_message_update(ALICE, "coucou")
    [sent] = await fake_api.wait_for("sendMessage", chat_id=ALICE)
    assert sent.params["text"].startswith("Désolé")
    handler.handle = original
    fake_api.send_message_update(ALICE, "encore")
    await fake_api.wait_for("sendMessage", 2, chat_id=ALICE)
    assert _texts(fake_api, ALICE)[-1] == "Écho : encore"


async def test_blocking_update_marks_unreachable(fake_api, polling_bot, persons):
    fake_api.push_update({"my_chat_member": {
        "chat": {"id": BOB, "type": "private", "first_name": "Bob"},
        "from": {"id": BOB, "is_bot": False, "first_name": "Bob"}, "date": 1700000000,
        "old_chat_member": {"status": "member", "user": {"id": BOT_ID, "is_bot": True, "first_name": "T"}},
        "new_chat_member": {"status": "kicked", "until_date": 0,
                            "user": {"id": BOT_ID, "is_bot": True, "first_name": "T"}}}})
    for _ in range(100):
        if persons.unreachable:
            break
        await asyncio.sleep(0.02)
    assert persons.unreachable == [("telegram", str(BOB))]


async def test_updates_are_written_before_the_offset_moves_on(fake_api, application, handler, inbox_queue):
    """A poller whose pump is dead (crash) still confirms nothing it has not stored."""
    from bot.channels.telegram import TelegramInbox, application_running
    from bot.core.pump import QueuePump

    stopped = QueuePump(inbox_queue)  # never started: nothing is handled
    async with application_running(application, poller=TelegramInbox(application, stopped), poll_timeout=0.2):
        for text in ("un", "deux"):
            fake_api.send_message_update(ALICE, text)
        for _ in range(200):
            if inbox_queue.backlog() == 2:
                break
            await asyncio.sleep(0.01)
    assert handler.received == [] and inbox_queue.backlog() == 2
    # The next process handles both, in order.
    pump = QueuePump(inbox_queue, idle_poll=0.02)
    TelegramInbox(application, pump)
    async with application_running(application):
        pump.start()
        await pump.drain()
        await pump.stop()
    assert [m.text for m in handler.received] == ["un", "deux"]
