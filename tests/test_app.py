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


def test_without_redis_the_send_limits_are_the_process_s_own(tmp_path):
    from bot.channels.ratelimit import InProcessRateLimits

    app = App(Settings(data_dir=tmp_path, database_url="", redis_url=""))
    assert isinstance(app.rate_limits, InProcessRateLimits)
    assert app.rate_limits is app.rate_limits


async def test_with_redis_two_processes_sending_share_the_number_s_budget(tmp_path, async_redis_client):
    """Two Apps (two `terrapro worker`/`serve` processes) on one database and one Redis: the
    WhatsApp ports their composition builds send at most the number's rate together."""
    import asyncio
    from datetime import datetime, timezone

    from bot.channels.ratelimit_redis import RedisRateLimits
    from bot.core.messages import Reply
    from tests.conftest import REDIS_URL
    from tests.fakes.graph_api import FakeGraphAPI

    graph = FakeGraphAPI().start()
    settings = Settings(
        data_dir=tmp_path, database_url="", redis_url=REDIS_URL, whatsapp_token="test-token",
        whatsapp_phone_number_id="123456789012345", whatsapp_api_base_url=graph.base_url,
        whatsapp_app_secret="app-secret-for-tests", whatsapp_send_rate=5.0,
    )
    apps = [App(settings), App(settings)]
    try:
        assert all(isinstance(app.rate_limits, RedisRateLimits) for app in apps)
        people = [f"2217700000{i:02d}" for i in range(8)]
        for wa_id in people:
            apps[0].persons.get_or_create("whatsapp", wa_id, "Awa")
            apps[0].persons.touch_inbound("whatsapp", wa_id, datetime.now(timezone.utc))
        ports = [app.sending_broadcast() and app.handoff.ports for app in apps]
        results = await asyncio.gather(*(
            ports[i % 2].send("whatsapp", wa_id, Reply("Bonjour")) for i, wa_id in enumerate(people)
        ))
        assert all(result.sent for result in results)
        arrivals = sorted(message.at for message in graph.messages)
        assert len(arrivals) == 8
        assert max(sum(1 for t in arrivals if start <= t < start + 1.0) for start in arrivals) <= 5
    finally:
        for app in apps:
            await app.rate_limits.aclose()
            app.close()
        graph.stop()
