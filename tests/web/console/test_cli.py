"""`terrapro console user …`: the first admin is created from the shell with a one-time link."""
from __future__ import annotations

import re

from bot.cli import main
from bot.settings import Settings
from bot.storage.console_accounts import ConsoleSessionRepository, ConsoleUserRepository
from bot.storage.database import Database


def test_user_add_prints_a_one_time_link(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("TERRAPRO_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("TERRAPRO_CONSOLE_BASE_URL", "https://bot.exemple.org/")
    monkeypatch.delenv("TERRAPRO_DATABASE_URL", raising=False)
    monkeypatch.delenv("TERRAPRO_REDIS_URL", raising=False)
    assert main(["console", "user", "add", "--email", "Chef@Exemple.org", "--role", "admin", "--territoire", "all"]) == 0
    out = capsys.readouterr().out
    token = re.search(r"https://bot\.exemple\.org/console/mot-de-passe/(\S+)", out).group(1)
    db = Database.from_url(Settings().effective_database_url)
    users = ConsoleUserRepository(db)
    user = users.by_setup_token(token)
    assert user is not None and user.email == "chef@exemple.org" and user.role == "admin"
    assert user.password_hash is None

    assert main(["console", "user", "list"]) == 0
    assert "mot de passe à choisir" in capsys.readouterr().out
    assert main(["console", "user", "add", "--email", "chef@exemple.org", "--role", "admin", "--territoire", "all"]) == 2
    ConsoleSessionRepository(db).create(user.id, "tok", "csrf", __import__("datetime").timedelta(hours=1))
    assert main(["console", "user", "logout", "--email", "chef@exemple.org"]) == 0
    assert "1 session(s)" in capsys.readouterr().out
    assert ConsoleSessionRepository(db).active("tok") is None
    db.dispose()
