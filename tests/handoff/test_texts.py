"""content/handoff.yml: the shipped file loads whole, and a broken one is refused at start-up, naming the key."""
from __future__ import annotations

import shutil
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.core.errors import ContentError
from bot.handoff.texts import CHANNELS, FILE_NAME, MEDIA_KINDS, RATINGS, HandoffTexts
from bot.settings import PROJECT_ROOT
from tests.handoff.conftest import make_world

CONTENT = PROJECT_ROOT / "content"
MAPPINGS = {"channel_names": CHANNELS, "media": MEDIA_KINDS}
TEXT_KEYS = [f.name for f in fields(HandoffTexts) if f.name not in MAPPINGS and f.name != "rating_titles"]


def shipped() -> dict[str, Any]:
    return yaml.safe_load((CONTENT / FILE_NAME).read_text(encoding="utf-8"))


def write(folder: Path, data: dict[str, Any]) -> Path:
    (folder / FILE_NAME).write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return folder


def refused(folder: Path) -> ContentError:
    with pytest.raises(ContentError) as caught:
        HandoffTexts.load(folder)
    assert caught.value.file == FILE_NAME
    return caught.value


def test_the_shipped_file_loads_with_every_text():
    texts = HandoffTexts.load(CONTENT)
    for key in TEXT_KEYS:
        value = getattr(texts, key)
        assert isinstance(value, str) and value.strip(), key
    for key, names in MAPPINGS.items():
        mapping = getattr(texts, key)
        assert set(names) <= set(mapping), key
        assert all(isinstance(v, str) and v.strip() for v in mapping.values()), key
    assert isinstance(texts.rating_titles, tuple) and len(texts.rating_titles) == RATINGS
    assert [title.split()[0] for title in texts.rating_titles] == ["1", "2", "3", "4", "5"]


def test_the_shipped_file_has_no_key_the_code_ignores():
    assert set(shipped()) == {f.name for f in fields(HandoffTexts)}


def test_the_object_cannot_be_changed_once_loaded():
    texts = HandoffTexts.load(CONTENT)
    with pytest.raises(AttributeError):
        texts.taken = "autre chose"  # type: ignore[misc]
    with pytest.raises(TypeError):
        texts.media["image"] = "[image]"  # type: ignore[index]


def test_multi_line_texts_keep_their_line_breaks():
    texts = HandoffTexts.load(CONTENT)
    assert texts.help.startswith("Commandes référent :\n/file — les demandes en attente")
    assert texts.help.count("\n") == 8 and not texts.help.endswith("\n")
    assert texts.claimed.split("\n") == [
        "Tu parles maintenant avec {who} ({bassin}, {channel}), demande n°{id}.",
        "{summary}",
        "Écris tes messages ici, ils lui sont transmis signés « {name} ». "
        "/terminer [note] pour finir, /transferer pour rendre la demande à la file.",
    ]
    assert texts.notice == "🔔 Demande n°{id} — {bassin}\n{who} ({channel}) · en attente depuis {minutes} min\n{summary}"


@pytest.mark.parametrize("key", [f.name for f in fields(HandoffTexts)])
def test_a_missing_key_is_refused_naming_it(tmp_path, key):
    data = shipped()
    del data[key]
    error = refused(write(tmp_path, data))
    assert f"« {key} »" in str(error) and "manque" in str(error)
    assert str(error).startswith(f"{FILE_NAME} : ")


def test_a_missing_media_kind_is_refused_naming_it(tmp_path):
    data = shipped()
    del data["media"]["sticker"]
    assert "« media.sticker » manque" in str(refused(write(tmp_path, data)))


@pytest.mark.parametrize(("key", "value"), [
    ("taken", ["une", "liste"]), ("help", 12), ("cancelled", None), ("notice", ""), ("media", "[photo]"),
])
def test_a_text_that_is_not_a_sentence_is_refused_naming_it(tmp_path, key, value):
    data = shipped()
    data[key] = value
    assert f"« {key} »" in str(refused(write(tmp_path, data)))


def test_rating_titles_must_be_five_buttons(tmp_path):
    data = shipped()
    data["rating_titles"] = data["rating_titles"][:4]
    assert "« rating_titles »" in str(refused(write(tmp_path, data)))


def test_a_placeholder_the_bot_does_not_fill_is_refused(tmp_path):
    data = shipped()
    data["taken"] = data["taken"].replace("{name}", "{nom}")
    error = str(refused(write(tmp_path, data)))
    assert "« taken »" in error and "{nom}" in error and "{name}" in error


def test_an_unclosed_brace_is_refused(tmp_path):
    data = shipped()
    data["busy"] = data["busy"].replace("{id}", "{id")
    assert "« busy »" in str(refused(write(tmp_path, data)))


def test_a_missing_file_is_refused(tmp_path):
    refused(tmp_path)


def test_the_hand_off_does_not_start_without_a_key(tmp_path, sqlite_db):
    content = tmp_path / "content"
    shutil.copytree(CONTENT, content)
    data = shipped()
    del data["taken"]
    write(content, data)
    with pytest.raises(ContentError, match="« taken »"):
        make_world(sqlite_db, content_dir=content)


async def test_what_is_sent_comes_from_the_content_file(tmp_path, sqlite_db):
    content = tmp_path / "content"
    shutil.copytree(CONTENT, content)
    data = shipped()
    data["taken"] = "{name} arrive. (texte modifié)"
    data["help"] = "Aide\nsur deux lignes"
    write(content, data)
    world = make_world(sqlite_db, content_dir=content)
    world.handoff.referents.add("Awa", "9001", "Fogny")
    ticket = world.ask(world.young("5001"))
    await world.handoff.service.announce(ticket)
    await world.press("9001", f"/prendre {ticket.id}", name="Awa")
    assert world.outbox.texts_to("5001") == ["Awa arrive. (texte modifié)"]
    assert [r.text for r in await world.say("9001", "/aide", name="Awa")] == ["Aide\nsur deux lignes"]
