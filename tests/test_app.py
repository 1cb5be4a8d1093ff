"""The composition root builds only what a command uses."""
from __future__ import annotations

import pytest

from bot.app import App
from bot.cli import main
from bot.settings import Settings


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("TERRAPRO_DATA_DIR", str(tmp_path))
    for name in ("TERRAPRO_DATABASE_URL", "TERRAPRO_REDIS_URL", "TERRAPRO_NLU_CACHE_DIR",
                 "TERRAPRO_TELEGRAM_TOKEN", "TERRAPRO_WHATSAPP_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


@pytest.mark.parametrize("command", [
    ["broadcast", "list"], ["referent", "list"], ["stats", "handoff"], ["stats", "envois"], ["questions"],
    ["db", "upgrade"],
])
def test_coordinator_commands_never_train_or_load_the_nlu_model(data_dir, command, capsys):
    assert main(command) == 0
    assert not (data_dir / "nlu-cache").exists()


def test_parts_are_built_on_first_use_and_kept(tmp_path):
    app = App(Settings(data_dir=tmp_path, database_url="", redis_url=""))
    assert app.__dict__.keys() == {"settings", "_today"}
    broadcast = app.admin_broadcast()
    assert broadcast.service is not None
    assert "nlu" not in app.__dict__ and "conversation" not in app.__dict__ and "runner" not in app.__dict__
    assert app.storage is app.storage and app.persons is app.storage.persons
    app.close()


def test_the_action_server_gets_its_executor_from_the_root(tmp_path):
    from actions.registry import action_classes

    app = App(Settings(data_dir=tmp_path, database_url="", redis_url=""))
    names = {a.name for a in app.action_executor.list_actions()}
    assert names == {cls().name() for cls in action_classes()}
    assert "nlu" not in app.__dict__
    app.close()
