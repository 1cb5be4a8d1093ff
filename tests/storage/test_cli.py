"""`terrapro db current|upgrade` on a fresh data dir, and refusal on a database behind the code."""
from __future__ import annotations

import pytest

from bot.cli import main
from bot.storage import schema
from bot.storage.database import Database


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("TERRAPRO_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("TERRAPRO_DATABASE_URL", raising=False)
    monkeypatch.delenv("TERRAPRO_REDIS_URL", raising=False)
    return tmp_path


def test_db_current_then_upgrade(data_dir, capsys):
    assert main(["db", "current"]) == 1
    assert "En retard : terrapro db upgrade" in capsys.readouterr().out
    assert main(["db", "upgrade"]) == 0
    assert f"vide → {schema.head()}" in capsys.readouterr().out
    assert main(["db", "current"]) == 0
    assert "À jour." in capsys.readouterr().out


@pytest.mark.parametrize("command", [["worker", "--once"], ["serve", "--port", "1"], ["telegram"]])
def test_servers_refuse_a_postgres_database_behind_the_code(command, postgres_db, monkeypatch, tmp_path, capsys):
    from tests.core.test_scale_out import schema_url
    from tests.fakes.telegram_api import TOKEN

    schema.downgrade(postgres_db, schema.BASELINE)
    monkeypatch.setenv("TERRAPRO_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("TERRAPRO_DATABASE_URL", schema_url(postgres_db))
    monkeypatch.setenv("TERRAPRO_TELEGRAM_TOKEN", TOKEN if command == ["telegram"] else "")
    monkeypatch.delenv("TERRAPRO_REDIS_URL", raising=False)
    assert main(command) == 2
    err = capsys.readouterr().err
    assert "n'est pas à jour" in err and "terrapro db upgrade" in err
    assert schema.status(postgres_db).current == schema.BASELINE  # untouched


def test_sqlite_upgrades_itself_on_first_start(data_dir, capsys):
    assert main(["broadcast", "list"]) == 0
    db = Database.from_url(f"sqlite:///{data_dir / 'terrapro.sqlite3'}")
    assert schema.status(db).up_to_date
    db.dispose()
