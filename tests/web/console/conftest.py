"""Console test rig: a real SQLite database, a copy of content/, accounts of each kind, a TestClient."""
from __future__ import annotations

import functools
import re
import shutil
from datetime import timedelta
from types import SimpleNamespace

import pytest
from starlette.testclient import TestClient

from bot.broadcast.compose import build_broadcast
from bot.catalogue.loader import load_catalogue
from bot.core.outbound import ChannelPorts
from bot.settings import PROJECT_ROOT, Settings
from bot.storage.console_accounts import ConsoleUserRepository
from bot.storage.handoff import HandoffRepository
from bot.storage.persons import PersonRepository
from bot.storage.subscriptions import SubscriptionRepository
from bot.web.app import create_app
from bot.web.console import build_console
from bot.web.console.security import hash_password

PASSWORD = "correct horse battery"
ACCOUNTS = {
    "admin@terrapro.test": ("admin", "all"),
    "bignona@terrapro.test": ("coordinator", "bignona"),
    "savoie@terrapro.test": ("coordinator", "savoie"),
    "referent@terrapro.test": ("referent", "bignona"),
}


@functools.cache
def _password_hash() -> str:
    return hash_password(PASSWORD)


@pytest.fixture
def console_services(tmp_path, sqlite_db):
    content = tmp_path / "content"
    shutil.copytree(PROJECT_ROOT / "content", content)
    settings = Settings(data_dir=tmp_path / "data", content_dir=content, dev_mode="")
    services = SimpleNamespace(
        settings=settings, db=sqlite_db, catalogue=load_catalogue(content),
        handoffs=HandoffRepository(sqlite_db), persons=PersonRepository(sqlite_db),
        subscriptions=SubscriptionRepository(sqlite_db),
    )
    users = ConsoleUserRepository(sqlite_db)
    password_hash = _password_hash()
    for email, (role, territoire) in ACCOUNTS.items():
        user = users.add(email, role, territoire, f"setup-{email}", timedelta(hours=1))
        users.set_password(user.id, password_hash)
    return services


@pytest.fixture
def console_app(console_services):
    broadcast = build_broadcast(console_services, ChannelPorts())
    return create_app([build_console(console_services, broadcast.service)])


@pytest.fixture
def client(console_app):
    with TestClient(console_app, base_url="https://testserver") as test_client:
        yield test_client


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match, "no CSRF field in the page"
    return match.group(1)


def log_in(client: TestClient, email: str, password: str = PASSWORD):
    page = client.get("/console/connexion")
    return client.post("/console/connexion", data={"csrf": csrf_of(page.text), "email": email, "password": password},
                       follow_redirects=False)


@pytest.fixture
def login(client):
    def _login(email: str) -> TestClient:
        response = log_in(client, email)
        assert response.status_code == 303, response.text
        return client

    return _login
