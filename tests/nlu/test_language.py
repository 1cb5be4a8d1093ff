import pytest

from bot.nlu.language import LanguageDetector, load_glossary_words
from bot.nlu.text import tokens


@pytest.mark.parametrize(
    "text, expected",
    [
        ("dama bëgg jàng mekanik", "wo"),
        ("dama begg jang mekanik", "wo"),
        ("nanga def", "wo"),
        ("jërëjëf", "wo"),
        ("waaw", "wo"),
        ("fan laa mëna jàng solaire", "wo"),
        ("kañ la portes ouvertes yi", "wo"),
        ("ñaata la ?", "wo"),
        ("je veux apprendre la couture", "fr"),
        ("c'est combien la formation ?", "fr"),
        ("formation solaire à Bignona", "fr"),
        ("ça dure combien ?", "fr"),  # "ca" is Wolof too, but weak: a French follow-up stays French
        ("ça mène à quel métier ?", "fr"),
        ("je suis ok", "fr"),
        # Neither: the conversation keeps its language.
        ("ok", None),
        ("", None),
        ("mecanique", None),
        ("fan la ?", None),
        ("ban diir ?", "wo"),
        ("ñaata lay jar ?", "wo"),
    ],
)
def test_detects_wolof_and_french(text, expected):
    assert LanguageDetector().detect(tokens(text)) == expected


def test_glossary_words_extend_the_list(tmp_path):
    glossary = tmp_path / "glossary.csv"
    glossary.write_text('wolof,francais,usage\nxaalis,argent,\nsàkk,tricoter,\n', encoding="utf-8")
    words = load_glossary_words(glossary)
    assert words == {"xaalis", "sakk"}
    assert LanguageDetector().detect(tokens("sàkk")) is None
    assert LanguageDetector(words).detect(tokens("sàkk")) == "wo"
