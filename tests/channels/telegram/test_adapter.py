from __future__ import annotations

from typing import Any

import pytest
from telegram import Update

from bot.channels.telegram.adapter import (
    BUTTONS_ONLY_TEXT,
    COMMANDS,
    MAX_TEXT_CHARS,
    group_invitation,
    is_addressed_to_bot,
    reply_to_send_kwargs,
    update_to_incoming,
)
from bot.channels.telegram.callback_data import MAX_CALLBACK_BYTES, ButtonCodec, callback_keys
from bot.core.messages import Button, Location, MessageKind, Reply
from bot.storage.shared_keys import SqlSharedKeyStore

BOT_ID = 42


def _update(chat_type: str = "private", chat_id: int = 7001, **message: Any) -> Update:
    chat = {"id": chat_id, "type": chat_type, "first_name": "Awa"} if chat_type == "private" \
        else {"id": chat_id, "type": chat_type, "title": "CFP"}
    data = {"update_id": 99, "message": {
        "message_id": 5, "date": 1700000000, "chat": chat,
        "from": {"id": 7001, "is_bot": False, "first_name": "Awa", "last_name": "Diatta",
                 "username": "awa_d"},
        **message,
    }}
    return Update.de_json(data, None)


def _command(text: str) -> Update:
    return _update(text=text, entities=[{"type": "bot_command", "offset": 0,
                                         "length": len(text.split()[0])}])


def _press(data: str, keyboard: list[list[dict[str, str]]] | None = None) -> Update:
    message: dict[str, Any] = {"message_id": 3, "date": 1700000000,
                               "chat": {"id": 7001, "type": "private"}, "text": "…"}
    if keyboard is not None:
        message["reply_markup"] = {"inline_keyboard": keyboard}
    return Update.de_json({"update_id": 100, "callback_query": {
        "id": "q1", "from": {"id": 7001, "is_bot": False, "first_name": "Awa", "last_name": "D"},
        "chat_instance": "c", "data": data, "message": message}}, None)


def test_text_message_keeps_first_name_only_and_chat_id():
    incoming = update_to_incoming(_update(text="ou apprendre le solaire"), ButtonCodec())
    assert incoming.channel == "telegram"
    assert incoming.kind is MessageKind.TEXT
    assert incoming.text == "ou apprendre le solaire"
    assert incoming.user_id == "7001"
    assert incoming.display_name == "Awa"
    assert incoming.message_id == "99"


@pytest.mark.parametrize("text, payload", [
    ("/start", "/greet"), ("/start campagne-bignona", "/greet"), ("/aide", "/help"),
    ("/AIDE@TerraProBot", "/help"), ("/stop", "/unsubscribe_alerts"), ("/help", "/help"),
])
def test_commands_become_intent_payloads(text, payload):
    incoming = update_to_incoming(_command(text), ButtonCodec())
    assert (incoming.kind, incoming.payload, incoming.text) == (MessageKind.BUTTON, payload, "")


def test_unknown_command_is_plain_text_for_the_core():
    incoming = update_to_incoming(_command("/bonjour"), ButtonCodec())
    assert (incoming.kind, incoming.text, incoming.payload) == (MessageKind.TEXT, "/bonjour", None)


def test_command_menu_is_french_and_complete():
    menu = {c.name: c.description for c in COMMANDS if c.in_menu}
    assert menu == {"start": "Commencer", "aide": "Que peut faire le bot ?",
                    "stop": "Ne plus recevoir d'annonces"}


_FILE = {"file_id": "f", "file_unique_id": "u"}


@pytest.mark.parametrize("fields, kind", [
    ({"voice": {**_FILE, "duration": 3}}, MessageKind.VOICE),
    ({"audio": {**_FILE, "duration": 30}}, MessageKind.VOICE),
    ({"photo": [{**_FILE, "width": 90, "height": 90}]}, MessageKind.IMAGE),
    ({"sticker": {**_FILE, "type": "regular", "width": 512, "height": 512,
                  "is_animated": False, "is_video": False}}, MessageKind.STICKER),
    ({"document": _FILE}, MessageKind.DOCUMENT),
    ({"video": {**_FILE, "width": 1, "height": 1, "duration": 1}}, MessageKind.VIDEO),
    ({"video_note": {**_FILE, "length": 1, "duration": 1}}, MessageKind.VIDEO),
    ({"animation": {**_FILE, "width": 1, "height": 1, "duration": 1}, "document": _FILE},
     MessageKind.VIDEO),
    ({"contact": {"phone_number": "+221770000000", "first_name": "Moussa"}}, MessageKind.CONTACT),
    ({"dice": {"emoji": "🎲", "value": 3}}, MessageKind.OTHER),
])
def test_non_text_messages_get_their_kind(fields, kind):
    incoming = update_to_incoming(_update(**fields), ButtonCodec())
    assert incoming.kind is kind
    assert "+221" not in repr(incoming)  # a shared contact's phone never reaches the core


def test_photo_caption_is_passed_as_text():
    incoming = update_to_incoming(
        _update(photo=[{**_FILE, "width": 9, "height": 9}], caption="c'est où ?"), ButtonCodec())
    assert (incoming.kind, incoming.text) == (MessageKind.IMAGE, "c'est où ?")


def test_location():
    incoming = update_to_incoming(_update(location={"latitude": 12.81, "longitude": -16.23}),
                                  ButtonCodec())
    assert incoming.kind is MessageKind.LOCATION
    assert incoming.location == Location(12.81, -16.23)


def test_edited_message_is_ignored():
    data = {"update_id": 1, "edited_message": {
        "message_id": 5, "date": 1, "edit_date": 2, "chat": {"id": 1, "type": "private"},
        "text": "x"}}
    assert update_to_incoming(Update.de_json(data, None), ButtonCodec()) is None


def test_button_press_round_trip_with_title_from_keyboard():
    codec = ButtonCodec()
    reply = Reply("Choisis", buttons=(Button("Solaire", '/search_training{"filiere": "solaire"}'),))
    [kwargs] = reply_to_send_kwargs(7001, reply, codec)
    keyboard = kwargs["reply_markup"].to_dict()["inline_keyboard"]
    data = keyboard[0][0]["callback_data"]
    incoming = update_to_incoming(_press(data, keyboard), codec)
    assert incoming.kind is MessageKind.BUTTON
    assert incoming.payload == '/search_training{"filiere": "solaire"}'
    assert incoming.text == "Solaire"
    assert incoming.display_name == "Awa"


def test_long_payload_goes_through_a_short_key(sqlite_db):
    codec = ButtonCodec(callback_keys(SqlSharedKeyStore(sqlite_db)))
    payload = '/search_training{"filiere": "électricité bâtiment", "bassin": "Bignona"}'
    reply = Reply("x", buttons=(Button("Électricité", payload),))
    [kwargs] = reply_to_send_kwargs(1, reply, codec)
    data = kwargs["reply_markup"].inline_keyboard[0][0].callback_data
    assert len(data.encode()) <= MAX_CALLBACK_BYTES < len(payload.encode())
    # Even without the keyboard on the pressed message, the store knows payload and title,
    # also for another process (its own store object on the same database).
    other_process = ButtonCodec(callback_keys(SqlSharedKeyStore(sqlite_db)))
    incoming = update_to_incoming(_press(data), other_process)
    assert (incoming.payload, incoming.text) == (payload, "Électricité")


def test_unknown_key_is_an_empty_button_press():
    incoming = update_to_incoming(_press("k:0123456789abcdef01234567"), ButtonCodec())
    assert (incoming.kind, incoming.payload, incoming.text) == (MessageKind.BUTTON, None, "")


def test_garbage_callback_data_is_unknown():
    assert ButtonCodec().decode("something-else") == (None, None)
    assert ButtonCodec().decode(None) == (None, None)


def test_short_titles_two_per_row_long_titles_one_per_row():
    codec = ButtonCodec()
    short = Reply("x", buttons=tuple(Button(t, t) for t in ("Solaire", "Couture", "Mécanique")))
    rows = reply_to_send_kwargs(1, short, codec)[0]["reply_markup"].inline_keyboard
    assert [[b.text for b in row] for row in rows] == [["Solaire", "Couture"], ["Mécanique"]]
    mixed = Reply("x", buttons=(Button("Solaire", "a"), Button("Parler à un référent", "b")))
    rows = reply_to_send_kwargs(1, mixed, codec)[0]["reply_markup"].inline_keyboard
    assert [[b.text for b in row] for row in rows] == [["Solaire"], ["Parler à un référent"]]


def test_plain_reply_has_no_markup_and_no_parse_mode():
    assert reply_to_send_kwargs(5, Reply("Salut *toi*"), ButtonCodec()) == [
        {"chat_id": 5, "text": "Salut *toi*"}]


def test_long_text_is_split_with_buttons_on_the_last_part():
    text = "\n".join(f"CFP numéro {i} : électricité, solaire, couture" for i in range(300))
    calls = reply_to_send_kwargs(5, Reply(text, buttons=(Button("Plus", "/more"),)), ButtonCodec())
    assert len(calls) > 1
    assert all(len(c["text"]) <= MAX_TEXT_CHARS for c in calls)
    assert "reply_markup" in calls[-1] and all("reply_markup" not in c for c in calls[:-1])
    assert "\n".join(c["text"] for c in calls) == text


def test_empty_replies():
    assert reply_to_send_kwargs(5, Reply("  "), ButtonCodec()) == []
    [call] = reply_to_send_kwargs(5, Reply("", buttons=(Button("Oui", "/yes"),)), ButtonCodec())
    assert call["text"] == BUTTONS_ONLY_TEXT


@pytest.mark.parametrize("message, addressed", [
    ({"text": "salut @TerraProBot", "entities": [{"type": "mention", "offset": 6, "length": 12}]}, True),
    # An emoji counts 2 UTF-16 units: offsets must be read the way Telegram counts them.
    ({"text": "👋 @terraprobot", "entities": [{"type": "mention", "offset": 3, "length": 12}]}, True),
    ({"text": "salut @AutreBot", "entities": [{"type": "mention", "offset": 6, "length": 8}]}, False),
    ({"text": "Bot", "entities": [{"type": "text_mention", "offset": 0, "length": 3,
                                   "user": {"id": BOT_ID, "is_bot": True, "first_name": "T"}}]}, True),
    ({"text": "merci", "reply_to_message": {"message_id": 1, "date": 1,
                                            "chat": {"id": -5, "type": "group"},
                                            "from": {"id": BOT_ID, "is_bot": True, "first_name": "T"}}}, True),
    ({"text": "/start", "entities": [{"type": "bot_command", "offset": 0, "length": 6}]}, True),
    ({"text": "/start@AutreBot", "entities": [{"type": "bot_command", "offset": 0, "length": 15}]}, False),
    ({"text": "on parle de solaire"}, False),
])
def test_group_addressing(message, addressed):
    update = _update("group", -5, **message)
    assert is_addressed_to_bot(update.message, BOT_ID, "TerraProBot") is addressed


def test_group_invitation_is_generic():
    assert "@TerraProBot" in group_invitation("TerraProBot").text
    assert not group_invitation("TerraProBot").buttons
