import pytest

from bot.nlu.text import normalize, normalized_tokens, tokens


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("Où apprendre l'électricité ?", "ou apprendre electricite"),
        ("Dama bëgg jàng mekanik", "dama begg jang mekanik"),
        ("ñaata la", "naata la"),
        ("Formation à Baïla, SVP!!", "formation a baila svp"),
        ("qu’est-ce qu’on apprend", "est ce on apprend"),
        ("Aix-les-Bains", "aix les bains"),
        ("MERCIIII 🙏🙏", "merci"),
        ("  plein   d'espaces\t\n", "plein espaces"),
        ("cœur", "coeur"),
    ],
)
def test_normalize_accents_elisions_punctuation(raw, expected):
    assert normalize(raw) == expected


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("ki peut m'aider", "qui peut aider"),
        ("kel centre", "quel centre"),
        ("c koi", "c est quoi"),
        ("jveu apprendre", "je veux apprendre"),
        ("jv faire couture stp", "je veux faire couture stp"),
        ("cb ca coute", "combien ca coute"),
        ("cmt on fait", "comment on fait"),
        ("slt bjr bsr", "salut bonjour bonsoir"),
        ("mrc", "merci"),
        ("pr moi ds le fogny bcp", "pour moi dans le fogny beaucoup"),
        ("fo tjr le mm niveau", "faut toujours le meme niveau"),
    ],
)
def test_normalize_expands_sms_spelling(raw, expected):
    assert normalize(raw) == expected


def test_tokens_keep_spans_in_original_text():
    text = "Jveu l'Électricité à Baïla"
    toks = normalized_tokens(text)
    assert [t.text for t in toks] == ["je", "veux", "electricite", "a", "baila"]
    assert text[toks[0].start : toks[0].end] == "Jveu"
    assert text[toks[2].start : toks[2].end] == "Électricité"
    assert text[toks[4].start : toks[4].end] == "Baïla"


@pytest.mark.parametrize("raw", ["", "   ", "🙏🔥", "\x00\x01\x02", "?!..."])
def test_blank_input_gives_no_tokens(raw):
    assert tokens(raw) == []
    assert normalize(raw) == ""


def test_huge_input_is_truncated():
    assert len(tokens("mot " * 5000)) <= 1000
