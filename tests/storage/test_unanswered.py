from __future__ import annotations

import pytest

from bot.storage.persons import PersonRepository
from bot.storage.unanswered import UnansweredRepository


@pytest.fixture
def person_id(db):
    return PersonRepository(db).get_or_create("whatsapp", "221771112233").id


@pytest.fixture
def unanswered(db):
    return UnansweredRepository(db)


def test_record_scrubs_personal_data(unanswered, person_id):
    row = unanswered.record(
        person_id,
        "rappelle moi au 77 123 45 67 ou awa@mail.sn pour la formation drone",
        "nlu_fallback",
        0.21,
        "fr",
    )
    assert "77 123" not in row.text
    assert "awa@" not in row.text
    assert "[téléphone]" in row.text and "[email]" in row.text
    assert "formation drone" in row.text
    assert unanswered.recent()[0] == row


def test_record_truncates_to_500_chars(unanswered, person_id):
    row = unanswered.record(person_id, "mécanique " * 200, "search_training", 0.3, "fr")
    assert len(row.text) == 500
    assert unanswered.recent()[0].text == row.text


def test_recent_newest_first_with_limit(unanswered, person_id):
    for n in range(5):
        unanswered.record(person_id, f"question {n}", "nlu_fallback", 0.1, "wo")
    texts = [r.text for r in unanswered.recent(limit=3)]
    assert texts == ["question 4", "question 3", "question 2"]


def test_count_by_intent(unanswered, person_id):
    for intent in ["nlu_fallback", "ask_price", "nlu_fallback", "nlu_fallback", "ask_price", "greet"]:
        unanswered.record(person_id, "q", intent, 0.2, "fr")
    assert unanswered.count_by_intent() == {"nlu_fallback": 3, "ask_price": 2, "greet": 1}


def test_confidence_is_clamped(unanswered, person_id):
    assert unanswered.record(person_id, "q", "x", 1.7, "fr").confidence == 1.0
    assert unanswered.record(person_id, "q", "x", -2, "fr").confidence == 0.0
