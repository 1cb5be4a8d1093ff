"""Platform ids at rest: a keyed hash for look-ups, an encrypted copy, never the id in clear."""
from __future__ import annotations

import os
import stat

import pytest
from sqlalchemy import text

from bot.storage.database import Database
from bot.storage.identity import IdentityError, IdentityProtector
from bot.storage.persons import PersonRepository
from bot.storage.secret_key import KEY_FILE, SecretKeyError, master_key

NUMBER = "221771234567"


def test_a_whatsapp_number_is_not_in_the_sqlite_file(tmp_path):
    path = tmp_path / "t.sqlite3"
    db = Database.from_url(f"sqlite:///{path}")
    db.create_schema()
    persons = PersonRepository(db)
    created = persons.get_or_create("whatsapp", NUMBER, display_name="Awa")
    persons.touch_inbound("whatsapp", NUMBER, created.created_at)
    db.dispose()
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("t.sqlite3"))
    assert NUMBER.encode() not in raw
    assert b"1234567" not in raw
    assert b"Awa" in raw  # the file was really written and read


def test_a_whatsapp_number_is_not_in_the_postgres_row(postgres_db):
    persons = PersonRepository(postgres_db)
    persons.get_or_create("whatsapp", NUMBER)
    with postgres_db.engine.connect() as conn:
        row = conn.execute(text("SELECT * FROM persons")).one()
    assert all(NUMBER not in str(value) for value in row)


def test_records_carry_the_id_in_clear_and_look_ups_work(db):
    persons = PersonRepository(db)
    created = persons.get_or_create("whatsapp", NUMBER)
    assert created.external_id == NUMBER
    assert persons.find("whatsapp", NUMBER) == created
    assert persons.find("telegram", NUMBER) is None
    persons.mark_unreachable("whatsapp", NUMBER)
    assert persons.get(created.id).status == "unreachable"


def test_another_key_cannot_read_the_ids(tmp_path):
    url = f"sqlite:///{tmp_path / 'k.sqlite3'}"
    first = Database.from_url(url, identity=IdentityProtector(b"k" * 32))
    first.create_schema()
    PersonRepository(first).get_or_create("whatsapp", NUMBER)
    other = Database.from_url(url, identity=IdentityProtector(b"z" * 32))
    assert PersonRepository(other).find("whatsapp", NUMBER) is None  # the keyed hash differs
    same = Database.from_url(url, identity=IdentityProtector(b"k" * 32))
    assert PersonRepository(same).find("whatsapp", NUMBER).external_id == NUMBER


def test_sealed_ids_are_bound_to_their_channel_and_tamper_evident():
    protector = IdentityProtector(b"k" * 32)
    sealed = protector.seal("whatsapp", NUMBER)
    assert sealed != protector.seal("whatsapp", NUMBER)  # random nonce
    assert protector.open("whatsapp", sealed) == NUMBER
    with pytest.raises(IdentityError):
        protector.open("telegram", sealed)
    with pytest.raises(IdentityError):
        protector.open("whatsapp", sealed[:-2] + ("A" if sealed[-2] != "A" else "B") + sealed[-1])


def test_log_tokens_are_keyed_short_and_stable():
    one, two = IdentityProtector(b"k" * 32), IdentityProtector(b"z" * 32)
    token = one.log_token(NUMBER)
    assert token == one.log_token(NUMBER) != one.log_token("221771234568")
    assert token != two.log_token(NUMBER)  # cannot be recomputed without the key
    assert NUMBER not in token and len(token) <= 12
    assert one.log_token(12345) == one.log_token("12345")


def test_lookup_hash_and_log_token_use_different_keys():
    protector = IdentityProtector(b"k" * 32)
    assert protector.log_token(NUMBER)[2:] not in protector.lookup_hash("whatsapp", NUMBER)


def test_a_key_file_is_generated_once_with_owner_only_permissions(tmp_path):
    key = master_key("", tmp_path / "data")
    path = tmp_path / "data" / KEY_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert master_key("", tmp_path / "data") == key
    assert len(key) == 32


def test_a_readable_key_file_is_refused(tmp_path):
    master_key("", tmp_path)
    os.chmod(tmp_path / KEY_FILE, 0o644)
    with pytest.raises(SecretKeyError, match="chmod 600"):
        master_key("", tmp_path)


def test_a_configured_secret_wins_and_must_be_long(tmp_path):
    assert master_key("s" * 40, tmp_path) == b"s" * 40
    assert not (tmp_path / KEY_FILE).exists()
    with pytest.raises(SecretKeyError, match="trop court"):
        master_key("short", tmp_path)


def test_rows_from_before_encryption_are_protected_in_place(db):
    from bot.storage.models import Person

    with db.session() as session:  # what an older version wrote
        session.add(Person(channel="whatsapp", external_id=NUMBER, display_name="Awa"))
    persons = PersonRepository(db)
    assert persons.protect_clear_ids() == 1
    assert persons.protect_clear_ids() == 0
    found = persons.find("whatsapp", NUMBER)
    assert found is not None and found.external_id == NUMBER and found.display_name == "Awa"
    with db.engine.connect() as conn:
        row = conn.execute(text("SELECT * FROM persons")).one()
    assert all(NUMBER not in str(value) for value in row)
