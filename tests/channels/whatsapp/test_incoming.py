from __future__ import annotations

import pytest

from bot.channels.whatsapp.button_ids import ButtonIds
from bot.channels.whatsapp.incoming import parse_webhook
from bot.core.errors import BadInput
from bot.core.messages import MessageKind
from tests.channels.whatsapp.conftest import PHONE_NUMBER_ID, WA_ID, load


def one(name: str):
    batch = parse_webhook(load(name), ButtonIds(), PHONE_NUMBER_ID)
    [inbound] = batch.messages
    return inbound.message


def test_text_message_fields():
    message = one("text.json")
    assert message.user_id == WA_ID
    assert message.message_id.startswith("wamid.")
    assert message.display_name == "Awa"  # first word only
    assert message.kind is MessageKind.TEXT


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("voice.json", MessageKind.VOICE),
        ("image.json", MessageKind.IMAGE),
        ("sticker.json", MessageKind.STICKER),
        ("location.json", MessageKind.LOCATION),
        ("contacts.json", MessageKind.CONTACT),
        ("unknown.json", MessageKind.OTHER),
        ("button_reply.json", MessageKind.BUTTON),
        ("list_reply.json", MessageKind.BUTTON),
    ],
)
def test_kinds(name, kind):
    assert one(name).kind is kind


def test_image_caption_is_kept_as_text():
    assert one("image.json").text == "mon diplome"


def test_template_quick_reply_is_a_button():
    payload = load("text.json")
    raw = payload["entry"][0]["changes"][0]["value"]["messages"][0]
    raw.update({"type": "button", "button": {"payload": "/subscribe", "text": "Je viens"}})
    raw.pop("text")
    message = parse_webhook(payload, ButtonIds()).messages[0].message
    assert (message.kind, message.payload, message.text) == (MessageKind.BUTTON, "/subscribe", "Je viens")


def test_unknown_short_key_falls_back_to_the_title_as_text():
    payload = load("button_reply.json")
    raw = payload["entry"][0]["changes"][0]["value"]["messages"][0]
    raw["interactive"]["button_reply"]["id"] = "~k:0123456789abcdef01234567"
    message = parse_webhook(payload, ButtonIds()).messages[0].message
    assert (message.kind, message.text, message.payload) == (MessageKind.TEXT, "Solaire", None)


def test_statuses_are_parsed_with_error_codes():
    batch = parse_webhook(load("statuses.json"), ButtonIds(), PHONE_NUMBER_ID)
    assert batch.messages == []
    assert [s.status for s in batch.statuses] == ["sent", "delivered", "read", "failed"]
    assert batch.statuses[-1].error_code == 131026
    assert batch.statuses[0].error_code is None


@pytest.mark.parametrize("body", [None, [], {"object": "whatsapp_business_account"}, {"entry": "x"}])
def test_a_body_that_is_no_webhook_raises_bad_input(body):
    with pytest.raises(BadInput):
        parse_webhook(body, ButtonIds())


@pytest.mark.parametrize(
    "body",
    [
        {"entry": [{"changes": "x"}]},
        {"entry": ["x"]},
        {"entry": [{"changes": [{"value": []}]}]},
        {"entry": [{"changes": [{"value": {"messages": "x"}}]}]},
        {"entry": [{"changes": [{"value": {"messages": ["x"]}}]}]},
        {"entry": [{"changes": [{"value": {"messages": [{"from": WA_ID, "type": "text"}]}}]}]},
        {"entry": [{"changes": [{"value": {"messages": [{"from": WA_ID, "id": "w", "type": "location", "location": {}}]}}]}]},
        {"entry": [{"changes": [{"value": {"statuses": [{"status": "read"}]}}]}]},
        {"entry": [{"changes": [{"value": {"contacts": "x", "statuses": [{"id": 3}]}}]}]},
    ],
)
def test_malformed_items_are_skipped_and_counted(body):
    batch = parse_webhook(body, ButtonIds())
    assert batch.messages == [] and batch.statuses == []
    assert batch.skipped >= 1


def test_one_bad_item_does_not_cost_the_valid_ones_of_the_same_post():
    good = load("text.json")
    value = good["entry"][0]["changes"][0]["value"]
    value["messages"] = ["not an object", {"from": WA_ID, "type": "text"}, *value["messages"]]
    value["statuses"] = [{"status": "read"}]
    good["entry"].insert(0, {"changes": "x"})
    batch = parse_webhook(good, ButtonIds())
    assert [i.message.text for i in batch.messages] == ["ou apprendre le solaire a bignona"]
    assert batch.skipped == 4


def test_other_fields_and_empty_entries_are_fine():
    body = {"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [{"field": "account_update", "value": {}}]}]}
    batch = parse_webhook(body, ButtonIds())
    assert batch.messages == [] and batch.statuses == []
