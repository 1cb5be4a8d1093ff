import json

import pytest

from bot.nlu.engine import NluEngine
from tests.nlu.conftest import NLU_DATA, build_engine


def test_parse_has_the_rasa_shape(engine):
    result = engine.parse("c combien la formation couture a coubalan ?")
    assert set(result) == {"text", "intent", "entities", "intent_ranking", "language"}
    assert result["text"] == "c combien la formation couture a coubalan ?"
    assert result["intent"]["name"] == "training_details"
    assert 0.0 < result["intent"]["confidence"] <= 1.0
    ranking = result["intent_ranking"]
    assert len(ranking) == 10
    assert ranking[0] == result["intent"]
    assert [r["confidence"] for r in ranking] == sorted((r["confidence"] for r in ranking), reverse=True)
    assert {(e["entity"], e["value"]) for e in result["entities"]} == {("filiere", "couture"), ("lieu", "Coubalan")}
    json.dumps(result)


@pytest.mark.parametrize(
    "text, intent, language",
    [
        ("dama bëgg jàng mekanik", "search_training", "wo"),
        ("fan laa mëna jàng solaire", "search_training", "wo"),
        ("nanga def", "greet", "wo"),
        ("ba beneen", "goodbye", "wo"),
        ("jërëjëf", "thank", "wo"),
        ("dama bëgg wax ak ab nit", "talk_to_human", "wo"),
        ("supprime mes données", "delete_my_data", "fr"),
        ("t'es un robot ?", "bot_challenge", "fr"),
    ],
)
def test_typical_messages(engine, text, intent, language):
    result = engine.parse(text)
    assert result["intent"]["name"] == intent
    assert result["language"] == language


def test_payload_with_entities(engine):
    result = engine.parse('/search_training{"filiere": "solaire", "lieu": "Baïla"}')
    assert result["intent"] == {"name": "search_training", "confidence": 1.0}
    assert [(e["entity"], e["value"], e["extractor"]) for e in result["entities"]] == [
        ("filiere", "solaire", "payload"),
        ("lieu", "Baïla", "payload"),
    ]


def test_payload_without_entities(engine):
    assert engine.parse("/affirm")["intent"] == {"name": "affirm", "confidence": 1.0}


@pytest.mark.parametrize("payload", ["/unknown_intent", '/nope{"filiere": "solaire"}'])
def test_unknown_payload_intent_is_out_of_scope(engine, payload):
    result = engine.parse(payload)
    assert result["intent"] == {"name": "out_of_scope", "confidence": 0.0}
    assert result["entities"] == []


def test_malformed_payload_json_keeps_intent(engine):
    result = engine.parse('/search_training{"filiere": solaire')
    assert result["intent"]["name"] in engine.intents


@pytest.mark.parametrize("text", ["", "   ", "\n\t", "🙏🙏🔥", "\x00\x07\x1b", "?!?!", None])
def test_empty_like_input_is_out_of_scope_with_zero_confidence(engine, text):
    result = engine.parse(text)
    assert result["intent"] == {"name": "out_of_scope", "confidence": 0.0}
    assert result["entities"] == []


def test_huge_input_does_not_crash(engine):
    text = "je veux apprendre la couture " + "a" * 5000
    result = engine.parse(text)
    assert result["text"] == text
    assert result["intent"]["name"] in engine.intents
    binary = bytes(range(256)).decode("latin-1") * 20
    assert engine.parse(binary)["intent"]["name"] in engine.intents


def test_second_load_reuses_the_cache(tmp_path):
    first = build_engine(tmp_path)
    assert first.trained
    cached = list(tmp_path.glob("*.npz"))
    assert len(cached) == 1
    second = build_engine(tmp_path)
    assert not second.trained
    text = "ou apprendre la soudure a bignona"
    assert second.parse(text) == first.parse(text)


def test_changed_training_data_retrains(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    for path in NLU_DATA.glob("*.yml"):
        (data / path.name).write_bytes(path.read_bytes())
    cache = tmp_path / "cache"
    assert NluEngine.load_or_train(data, cache).trained
    assert not NluEngine.load_or_train(data, cache).trained
    with open(data / "nlu_conversation.yml", "a", encoding="utf-8") as handle:
        handle.write("\n- intent: greet\n  examples: |\n    - bonjour la famille\n")
    assert NluEngine.load_or_train(data, cache).trained


def test_corrupt_cache_is_replaced(tmp_path):
    build_engine(tmp_path)
    [cached] = tmp_path.glob("*.npz")
    cached.write_bytes(b"not a model")
    engine = build_engine(tmp_path)
    assert engine.trained
    assert engine.parse("bonjour")["intent"]["name"] == "greet"


def test_extra_values_reach_the_extractor(nlu_cache_dir):
    engine = build_engine(nlu_cache_dir, extra_values={"centre": {"ltz": "Lycée technique de Ziguinchor"}})
    entities = engine.parse("le ltz c ou ?")["entities"]
    assert [(e["entity"], e["value"]) for e in entities] == [("centre", "Lycée technique de Ziguinchor")]
