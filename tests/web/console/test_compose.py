"""`terrapro serve`'s real app mounts the console with the real hand-off and broadcast services."""
from __future__ import annotations

from datetime import date, timedelta

from starlette.testclient import TestClient

from bot.app import build_services
from bot.settings import Settings
from bot.storage.console_accounts import ConsoleUserRepository
from bot.web.compose import build_web_app
from bot.web.console.security import hash_password
from tests.web.console.conftest import PASSWORD, csrf_of, log_in


def test_serve_app_has_the_console(tmp_path, tmp_path_factory):
    settings = Settings(data_dir=tmp_path / "data", nlu_cache_dir=tmp_path_factory.mktemp("nlu"), redis_url="",
                        database_url="", dev_mode="insecure-local")
    services = build_services(settings, today=lambda: date(2026, 11, 26))
    users = ConsoleUserRepository(services.db)
    admin = users.add("admin@exemple.org", "admin", "all", "setup", timedelta(hours=1))
    users.set_password(admin.id, hash_password(PASSWORD))
    awa = services.handoff.referents.add("Awa", 9001, "Fogny")
    person = services.persons.get_or_create("telegram", "5001", "Moussa")
    ticket = services.handoffs.request(person.id, "telegram", "Fogny", {}, "")
    services.handoffs.assign(ticket.id, awa.id)
    with TestClient(build_web_app(services)) as client:
        assert client.get("/health").json()["status"] == "ok"
        assert log_in(client, "admin@exemple.org").status_code == 303
        cookie = client.cookies.get("terrapro_console")
        assert cookie
        page = client.get("/console/file")
        assert "prise par Awa" in page.text
        closed = client.post(f"/console/file/{ticket.id}/fermer", data={"csrf": csrf_of(page.text)})
        assert "fermée" in closed.text
        assert "Diffusions récentes" in client.get("/console/diffusions").text
    assert services.handoffs.get(ticket.id).status == "closed"
