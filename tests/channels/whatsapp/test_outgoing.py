from __future__ import annotations

from bot.channels.whatsapp.button_ids import ButtonIds
from bot.channels.whatsapp.outgoing import render, shorten, split_tail, split_text
from bot.core.messages import Button, Reply

WA = "221770000001"


def test_plain_reply_is_one_text_message():
    [message] = render(WA, Reply("Salut !"), ButtonIds())
    assert message == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": WA,
        "type": "text",
        "text": {"body": "Salut !", "preview_url": False},
    }


def test_long_text_is_split_under_4096_at_word_boundaries():
    words = ["formation"] * 1000  # 9999 characters
    parts = render(WA, Reply(" ".join(words)), ButtonIds())
    bodies = [p["text"]["body"] for p in parts]
    assert len(bodies) == 3
    assert all(len(b) <= 4096 for b in bodies)
    assert " ".join(bodies).split() == words


def test_split_prefers_paragraphs_and_hard_cuts_unbroken_text():
    text = "a" * 3000 + "\n\n" + "b" * 3000
    assert split_text(text, 4096) == ["a" * 3000, "b" * 3000]
    assert [len(c) for c in split_text("x" * 5000, 4096)] == [4096, 904]
    assert split_text("   ", 4096) == []


def test_up_to_three_short_buttons_become_reply_buttons():
    reply = Reply("Tu cherches quoi ?", (Button("Solaire", "/s"), Button("Couture", "/c"), Button("Mécanique", "/m")))
    [message] = render(WA, reply, ButtonIds())
    interactive = message["interactive"]
    assert interactive["type"] == "button"
    assert interactive["body"]["text"] == "Tu cherches quoi ?"
    assert [b["reply"] for b in interactive["action"]["buttons"]] == [
        {"id": "/s", "title": "Solaire"},
        {"id": "/c", "title": "Couture"},
        {"id": "/m", "title": "Mécanique"},
    ]


def test_four_buttons_or_a_long_title_become_a_list():
    four = Reply("Choisis", tuple(Button(f"Choix {i}", f"/c{i}") for i in range(4)))
    long_title = Reply("Choisis", (Button("Installation photovoltaïque", "/pv"),))
    for reply in (four, long_title):
        [message] = render(WA, reply, ButtonIds())
        interactive = message["interactive"]
        assert interactive["type"] == "list"
        assert interactive["action"]["button"] == "Choisir"
        rows = interactive["action"]["sections"][0]["rows"]
        assert all(len(r["title"]) <= 24 for r in rows)
    assert rows == [
        {"id": "/pv", "title": "Installation…", "description": "Installation photovoltaïque"}
    ]


def test_more_than_ten_buttons_keep_the_first_ten():
    reply = Reply("Choisis", tuple(Button(f"Centre {i}", f"/c{i}") for i in range(14)))
    [message] = render(WA, reply, ButtonIds())
    rows = message["interactive"]["action"]["sections"][0]["rows"]
    assert [r["id"] for r in rows] == [f"/c{i}" for i in range(10)]


def test_long_body_with_buttons_sends_text_first_then_a_short_body():
    text = "\n".join(f"Ligne {i} : des informations sur la formation." for i in range(60))
    messages = render(WA, Reply(text, (Button("Oui", "/oui"),)), ButtonIds())
    assert [m["type"] for m in messages] == ["text", "interactive"]
    body = messages[-1]["interactive"]["body"]["text"]
    assert len(body) <= 1024
    assert messages[0]["text"]["body"] + "\n" + body == text


def test_buttons_without_text_get_a_body():
    [message] = render(WA, Reply("", (Button("Oui", "/oui"),)), ButtonIds())
    assert message["interactive"]["body"]["text"]


def test_long_payload_gets_a_short_key_that_another_process_decodes(sqlite_db):
    from bot.channels.whatsapp.button_ids import button_keys
    from bot.storage.shared_keys import SqlSharedKeyStore

    ids = ButtonIds(button_keys(SqlSharedKeyStore(sqlite_db)))
    payload = "/x" + "y" * 400
    [message] = render(WA, Reply("?", (Button("Ok", payload),)), ids)
    key = message["interactive"]["action"]["buttons"][0]["reply"]["id"]
    assert len(key) <= 256
    # Another process (its own store object on the same database), also after a restart.
    assert ButtonIds(button_keys(SqlSharedKeyStore(sqlite_db))).decode(key) == payload
    assert ButtonIds().decode(key) is None  # no store: unknown, never a crash


def test_shorten_cuts_at_a_word_with_an_ellipsis():
    assert shorten("Électricité du bâtiment et solaire", 20) == "Électricité du…"
    assert shorten("Court", 20) == "Court"
    assert shorten("x" * 30, 10) == "x" * 9 + "…"


def test_split_tail_keeps_tail_within_limit():
    head, tail = split_tail("mot " * 500, 1024)
    assert len(tail) <= 1024 and tail.startswith("mot")
    assert (head + " " + tail).split() == ["mot"] * 500


def test_repeated_payloads_are_sent_once_and_repeated_titles_use_a_list():
    same_payload = Reply("?", (Button("Oui", "/oui"), Button("D'accord", "/oui")))
    [message] = render(WA, same_payload, ButtonIds())
    assert [b["reply"]["id"] for b in message["interactive"]["action"]["buttons"]] == ["/oui"]
    same_title = Reply("?", (Button("Voir", "/a"), Button("Voir", "/b")))
    [message] = render(WA, same_title, ButtonIds())
    assert message["interactive"]["type"] == "list"
