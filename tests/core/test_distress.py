"""The distress check and the safety content: the labelled set, normalisation, the phrase language."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from bot.core.distress import DistressCheck
from bot.core.distress_eval import evaluate, load_set
from bot.core.errors import ContentError
from bot.core.safety import SafetyContent
from bot.settings import PROJECT_ROOT

DATA = PROJECT_ROOT / "tests" / "data" / "distress.yml"
DISTRESS, ORDINARY = load_set(DATA)


@pytest.fixture(scope="module")
def content() -> SafetyContent:
    return SafetyContent.load(PROJECT_ROOT / "content")


def test_the_set_is_big_enough():
    assert len(DISTRESS) >= 40 and len(ORDINARY) >= 40
    assert {family for _, family in DISTRESS} >= {"suicide", "violence", "abus_sexuel", "harcelement",
                                                   "exploitation", "danger"}


@pytest.mark.parametrize("text,family", DISTRESS)
def test_distress_messages_trigger_with_their_family(content, text, family):
    found = content.check.detect(text)
    assert found is not None and found.family == family


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_messages_sharing_words_do_not_trigger(content, text):
    assert content.check.detect(text) is None


@pytest.mark.parametrize("text,expected", [
    ("jvé me tuer", "je veux me tuer"),
    ("Il M'A FRAPPÉÉÉ !!", "il m a frappe"),
    ("j'ai envie de mourriiir", "j ai envie de mourir"),
    ("dañu ma dóor", "danu ma door"),
])
def test_normalisation(content, text, expected):
    assert content.check.normalize(text) == expected


def test_an_exception_never_hides_a_real_phrase_in_the_same_message(content):
    assert content.check.detect("je tue le temps sur mon tel") is None
    assert content.check.detect("je tue le temps sur mon tel mais en vrai je veux me tuer") is not None
    assert content.check.detect("ça me tue de rire, mais mon père me frappe") is not None


def test_the_whole_message_is_read_even_past_what_the_classifier_sees(content):
    long = "je cherche une formation en mécanique à Bignona. " * 40 + "et mon patron me bat"
    assert len(long) > 1500 and content.check.detect(long) is not None


def test_wolof_phrases_are_reported_as_wolof(content):
    assert content.check.detect("dama bëgg dee").language == "wo"
    assert content.check.detect("je veux mourir").language == "fr"


def test_unknown_group_or_empty_phrase_is_a_clear_content_error():
    with pytest.raises(ContentError, match="groupe inconnu"):
        DistressCheck.from_content({"familles": {"x": {"fr": ["{inconnu} me tape"]}}})
    with pytest.raises(ContentError, match="phrase vide"):
        DistressCheck.from_content({"familles": {"x": {"fr": ["..."]}}})
    with pytest.raises(ContentError, match="aucune famille"):
        DistressCheck.from_content({"familles": {}})


def test_phrase_language_prefix_alternatives_optional_words_and_gaps():
    check = DistressCheck.from_content({
        "groupes": {"qui": ["mon oncle", "il"]},
        "familles": {"test": {"fr": ["{qui} ... me|m [a] frap*"]}},
    })
    assert check.detect("mon oncle le soir me frappait")
    assert check.detect("il m'a frappé")
    assert not check.detect("mon oncle dit que demain le chef me frappe")  # gap longer than 3 words
    assert not check.detect("frapper le fer")


def test_parentheses_hold_expressions_of_several_words():
    check = DistressCheck.from_content({"familles": {"test": {"fr": ["en finir (ce soir|cette nuit)"]}}})
    assert check.detect("je vais en finir cette nuit") and check.detect("en finir ce soir")
    assert not check.detect("en finir cette semaine avec les maths")


def test_evaluate_counts_misses_and_false_alarms(tmp_path: Path, content):
    labelled = tmp_path / "set.yml"
    labelled.write_text(yaml.safe_dump({
        "detresse": [{"text": "je veux mourir", "famille": "suicide"},
                     {"text": "tout va mal", "famille": "suicide"},
                     {"text": "mon père me frappe", "famille": "suicide"}],
        "ordinaire": ["formation solaire", "au secours de la planète", "tuer le temps"],
    }, allow_unicode=True), encoding="utf-8")
    figures = evaluate(content.check, labelled)
    assert (figures.true_positives, figures.false_negatives) == (2, 1)
    assert (figures.false_positives, figures.true_negatives) == (1, 2)
    assert figures.precision == pytest.approx(2 / 3) and figures.recall == pytest.approx(2 / 3)
    assert figures.missed == ["tout va mal"] and len(figures.wrong_family) == 1


def test_help_lines_have_a_source_and_unverified_ones_say_so(content):
    assert set(content.lines) == {"savoie", "bignona"}
    for lines in content.lines.values():
        assert lines and all(line.source for line in lines)
    savoie = content.help_lines("savoie", "fr")
    assert "3114" in savoie and "119" in savoie and "112" in savoie and "116 " not in savoie
    bignona = content.help_lines("bignona", "fr")
    assert "116" in bignona and "17 police" in bignona and "3114" not in bignona
    for line in content.lines["bignona"]:
        shown = next(row for row in bignona.splitlines() if line.text in row)
        assert ("à confirmer par la coordination" in shown) is (not line.verified)
    both = content.help_lines(None, "fr")
    assert "3114" in both and "116" in both


def test_every_safety_text_the_code_uses_exists_in_french(content):
    used = set()
    for path in (PROJECT_ROOT / "bot").rglob("*.py"):
        source = path.read_text(encoding="utf-8")
        used |= set(re.findall(r"""\.phrase\(\s*["']([a-z_]+)["']""", source))
        used |= {("referent", key) for key in re.findall(r"""referent_text\(\s*["']([a-z_]+)["']""", source)}
    phrases = {key for key in used if isinstance(key, str)}
    assert phrases and all("fr" in content.texts[key] for key in phrases)
    referent_keys = {k[1] for k in used if isinstance(k, tuple)}
    assert referent_keys and referent_keys <= set(content.referent_texts)
