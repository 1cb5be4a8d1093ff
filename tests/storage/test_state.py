from __future__ import annotations

import pytest

from bot.storage.persons import PersonRepository
from bot.storage.state import SqlConversationStateStore


@pytest.fixture
def person_id(db):
    return PersonRepository(db).get_or_create("telegram", "42").id


@pytest.fixture
def sql_store(db):
    return SqlConversationStateStore(db)


def test_sql_store_round_trip_and_version(sql_store, person_id):
    assert sql_store.load(person_id) == {}
    assert sql_store.version(person_id) == 0
    sql_store.save(person_id, {"slots": {"filiere": "solaire"}, "turns": 1})
    sql_store.save(person_id, {"slots": {"filiere": "couture"}, "turns": 2, "lieu": "Bignona"})
    assert sql_store.load(person_id) == {"slots": {"filiere": "couture"}, "turns": 2, "lieu": "Bignona"}
    assert sql_store.version(person_id) == 2


def test_sql_store_does_not_alias_caller_dict(sql_store, person_id):
    data = {"slots": {"filiere": "solaire"}}
    sql_store.save(person_id, data)
    data["slots"]["filiere"] = "changed"
    loaded = sql_store.load(person_id)
    loaded["slots"]["filiere"] = "changed again"
    assert sql_store.load(person_id) == {"slots": {"filiere": "solaire"}}


def test_sql_store_delete(sql_store, person_id):
    sql_store.save(person_id, {"a": 1})
    sql_store.delete(person_id)
    assert sql_store.load(person_id) == {}
    sql_store.delete(person_id)  # deleting twice is fine


def test_sql_store_rejects_non_json_state(sql_store, person_id):
    with pytest.raises(TypeError):
        sql_store.save(person_id, {"when": object()})
    with pytest.raises(TypeError):
        sql_store.save(person_id, ["not", "a", "dict"])  # type: ignore[arg-type]


def test_a_rolled_back_turn_leaves_the_state_as_it_was(db, sql_store, person_id):
    from bot.storage.unit_of_work import unit_of_work

    sql_store.save(person_id, {"step": "before"})
    with pytest.raises(RuntimeError):
        with unit_of_work(db):
            sql_store.save(person_id, {"step": "rolled back"})
            raise RuntimeError("the turn failed after saving")
    assert sql_store.load(person_id) == {"step": "before"}
    with unit_of_work(db):
        sql_store.save(person_id, {"step": "committed"})
    assert sql_store.load(person_id) == {"step": "committed"}
