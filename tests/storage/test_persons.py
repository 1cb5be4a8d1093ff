from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import event

from bot.core.errors import BadInput
from bot.storage.persons import PersonRepository
from bot.storage.records import PersonRecord
from bot.storage.unit_of_work import unit_of_work


@pytest.fixture
def persons(db):
    return PersonRepository(db)


def test_get_or_create_creates_once_and_returns_plain_record(persons):
    first = persons.get_or_create("telegram", "12345", display_name="Awa")
    again = persons.get_or_create("telegram", "12345", display_name="Someone Else")
    assert isinstance(first, PersonRecord)
    assert again == first
    assert first.language == "fr"
    assert first.status == "active"
    assert first.display_name == "Awa"
    assert first.created_at.tzinfo is not None


def test_same_external_id_on_two_channels_is_two_persons(persons):
    tg = persons.get_or_create("telegram", "221771234567")
    wa = persons.get_or_create("whatsapp", "221771234567")
    assert tg.id != wa.id


def test_display_name_keeps_first_word_only(persons):
    person = persons.get_or_create("whatsapp", "33612345678", display_name="  Mamadou  Diatta Sané ")
    assert person.display_name == "Mamadou"
    assert persons.get_or_create("cli", "x", display_name="   ").display_name is None


@pytest.mark.parametrize(
    ("channel", "external_id"), [("sms", "1"), ("telegram", ""), ("telegram", "9" * 129)]
)
def test_rejects_bad_keys_with_bad_input(persons, channel, external_id):
    with pytest.raises(BadInput):
        persons.get_or_create(channel, external_id)


def test_find_and_get(persons):
    assert persons.find("cli", "nobody") is None
    assert persons.get(999999) is None
    created = persons.get_or_create("cli", "moussa")
    assert persons.find("cli", "moussa") == created
    assert persons.get(created.id) == created


def test_update_allowed_fields(persons):
    person = persons.get_or_create("telegram", "1")
    updated = persons.update(person.id, language="wo", territoire="bignona", bassin="Bignona-Kalounayes")
    assert (updated.language, updated.territoire, updated.bassin) == (
        "wo",
        "bignona",
        "Bignona-Kalounayes",
    )
    assert persons.get(person.id) == updated
    assert persons.update(424242, language="fr") is None


def test_update_refuses_unknown_fields_and_values(persons):
    person = persons.get_or_create("telegram", "1")
    with pytest.raises(ValueError):
        persons.update(person.id, external_id="2")
    with pytest.raises(BadInput):
        persons.update(person.id, language="en")
    with pytest.raises(BadInput):
        persons.update(person.id, status="banned")


def test_directory_port_inbound_and_unreachable(persons):
    at = datetime(2025, 3, 1, 10, 30, tzinfo=timezone.utc)
    assert persons.last_inbound("whatsapp", "221770000001") is None
    persons.touch_inbound("whatsapp", "221770000001", at)
    assert persons.last_inbound("whatsapp", "221770000001") == at

    persons.mark_unreachable("whatsapp", "221770000001")
    assert persons.find("whatsapp", "221770000001").status == "unreachable"
    # Writing to us again proves they are reachable.
    later = at + timedelta(hours=2)
    persons.touch_inbound("whatsapp", "221770000001", later)
    person = persons.find("whatsapp", "221770000001")
    assert person.status == "active"
    assert person.last_inbound_at == later
    assert person.last_seen_at == later


def test_touch_inbound_stores_naive_time_as_utc(persons):
    persons.touch_inbound("telegram", "5", datetime(2025, 1, 2, 3, 4, 5))
    assert persons.last_inbound("telegram", "5") == datetime(2025, 1, 2, 3, 4, 5, tzinfo=timezone.utc)


def test_touch_inbound_converts_other_timezones(persons):
    dakar_plus_one = timezone(timedelta(hours=1))
    persons.touch_inbound("telegram", "6", datetime(2025, 1, 2, 4, 0, tzinfo=dakar_plus_one))
    assert persons.last_inbound("telegram", "6") == datetime(2025, 1, 2, 3, 0, tzinfo=timezone.utc)


def test_mark_unreachable_unknown_person_is_a_no_op(persons):
    persons.mark_unreachable("telegram", "ghost")
    assert persons.find("telegram", "ghost") is None


def test_record_is_frozen(persons):
    person = persons.get_or_create("cli", "a")
    with pytest.raises(AttributeError):
        person.language = "wo"  # type: ignore[misc]


def test_a_unit_of_work_reads_its_person_once_and_sees_its_own_writes(persons, db):
    """A turn asks for its person several times: one SELECT serves them all, and what the
    turn writes (language, last message, erasure) is what the next look-up returns."""
    created = persons.get_or_create("whatsapp", "221770000042")
    selects: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT") and "persons" in statement:
            selects.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        at = datetime(2026, 11, 27, 8, 0, tzinfo=timezone.utc)
        with unit_of_work(db):
            assert persons.get_or_create("whatsapp", "221770000042") == created
            assert persons.find("whatsapp", "221770000042") == created
            assert len(selects) == 1
            assert persons.update(created.id, language="wo").language == "wo"
            assert persons.find("whatsapp", "221770000042").language == "wo"
            persons.touch_inbound("whatsapp", "221770000042", at, create=False)
            assert persons.find("whatsapp", "221770000042").last_inbound_at == at
            persons.delete_everything(created.id)
            assert persons.find("whatsapp", "221770000042") is None
        assert persons.find("whatsapp", "221770000042") is None
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
