"""content/phrases.yml: which fact a follow-up asks, which result is chosen, which trade is wanted."""
from __future__ import annotations

import pytest

from bot.core.errors import ContentError
from bot.core.long_message import focus
from bot.core.phrases import PhraseLists
from bot.core.texts import Texts
from bot.settings import Settings

CONTENT = Settings().content_dir


@pytest.fixture(scope="module")
def phrases() -> PhraseLists:
    return PhraseLists.load(CONTENT)


@pytest.mark.parametrize("text, aspect", [
    ("ça dure combien ?", "duration"),
    ("c combien par mois", "cost"),  # a price per month, not a duration
    ("c'est payant ?", "cost"),
    ("ñaata la ?", "cost"),
    ("ñaata weer la", "duration"),
    ("il faut quel niveau ?", "level"),
    ("on a quel diplome a la fin", "certification"),
    ("et le numéro ?", "contact"),
    ("il est où ce centre ?", "where"),
    ("c'est pour les filles aussi ?", "girls"),
    ("ça mène à quel métier ?", "debouches"),
    ("infos sur le CFP d'Aldabar", None),
])
def test_aspect_of_a_follow_up(phrases, text, aspect):
    assert phrases.aspect(text) == aspect


@pytest.mark.parametrize("text, rank", [
    ("le 2", "2"), ("3", "3"), ("la deuxième", "2"), ("bu njëkk bi", "1"), ("ñaareel bi", "2"),
    ("le dernier", "last"), ("j'ai 15 ans", None), ("pour", None),
])
def test_rank_of_a_chosen_result(phrases, text, rank):
    assert phrases.rank(text) == rank


def test_whole_words_only(phrases):
    assert phrases.aspect("pour") is None  # "ou" is a place question, "pour" is not
    assert phrases.off_topic_kind("je suis content") is None  # not the insult "con"


def test_every_named_list_has_its_reply_text(phrases):
    texts = Texts.load(CONTENT)
    for name, _ in phrases.aspects:
        assert texts.get(f"followup_{name}", formation="", centre="", commune="", duree="", cout="", debouches="",
                         acces="", certification="", contact="", unconfirmed="", le_centre="", Le_centre="")
    for name, _ in phrases.off_topic:
        assert texts.get(f"off_topic_{name}")
    assert texts.get("off_topic_other")


def test_a_missing_section_is_refused_with_the_file_name(tmp_path):
    (tmp_path / "phrases.yml").write_text("aspects: {}\n", encoding="utf-8")
    with pytest.raises(ContentError) as info:
        PhraseLists.load(tmp_path)
    assert info.value.file == "phrases.yml" and "ranks" in info.value.reason


def _parse(text: str, *trades: str) -> dict:
    entities = []
    for word, code in trades:
        start = text.index(word)
        entities.append({"entity": "filiere", "value": code, "start": start, "end": start + len(word)})
    return {"text": text, "intent": {"name": "orientation_help", "confidence": 0.5}, "entities": entities}


def test_long_message_puts_the_wanted_trade_first(phrases):
    text = ("salut moi c moussa jhabite a diouloulou jai 17 an mon pere est mecanicien mais moi "
            "je veux pas faire comme lui je prefere la cuisine ya une ecole ?")
    focused = focus(_parse(text, ("mecanicien", "mecanique_auto"), ("cuisine", "hotellerie_restauration")), phrases)
    assert focused["wanted_filiere"] == "hotellerie_restauration"
    assert focused["entities"][0]["value"] == "hotellerie_restauration"


def test_long_message_with_a_refused_trade_only_wants_nothing(phrases):
    text = "bonjour je vous ecris car mon pere insiste mais moi je veux pas du tout faire la mecanique comme lui voila"
    focused = focus(_parse(text, ("mecanique", "mecanique_auto")), phrases)
    assert focused["wanted_filiere"] is None


def test_short_messages_are_left_as_they_are(phrases):
    parse = _parse("je veux la couture", ("couture", "couture"))
    assert focus(parse, phrases) is parse
