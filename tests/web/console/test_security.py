"""No page without a session, CSRF on writes, territory scoping, lockout, cookies, no phone numbers."""
from __future__ import annotations

import pytest

from bot.storage.console_audit import AuditRepository
from tests.web.console.conftest import PASSWORD, csrf_of, log_in

PAGES = ("/console/", "/console/questions", "/console/catalogue", "/console/file", "/console/diffusions",
         "/console/referents", "/console/journal", "/console/questions.csv", "/console/graphiques/bassins.csv",
         "/console/catalogue/formations.csv")


@pytest.mark.parametrize("path", PAGES)
def test_no_page_without_a_session(client, path):
    response = client.get(path, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/console/connexion"


def test_a_write_without_a_session_is_refused(client):
    assert client.post("/console/referents", data={"name": "Awa", "telegram_id": "1"}).status_code == 403


def test_session_cookie_is_httponly_strict_and_secure(client):
    response = log_in(client, "admin@terrapro.test")
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict") and "Secure" in cookie


def test_missing_or_wrong_csrf_is_403_and_changes_nothing(login, console_services):
    client = login("admin@terrapro.test")
    assert client.post("/console/referents", data={"name": "Awa", "telegram_id": "123"}).status_code == 403
    assert client.post("/console/referents", data={"name": "Awa", "telegram_id": "123", "csrf": "x"}).status_code == 403
    assert "Awa" not in client.get("/console/referents").text
    ok = client.post("/console/referents", data={"name": "Awa", "telegram_id": "123", "bassin": "Bignona",
                                                 "csrf": csrf_of(client.get("/console/referents").text)})
    assert ok.status_code == 200 and "Awa" in ok.text


def test_login_form_without_csrf_is_403(client):
    response = client.post("/console/connexion", data={"email": "admin@terrapro.test", "password": PASSWORD})
    assert response.status_code == 403


def test_five_failures_lock_the_account_for_15_minutes(client):
    for _ in range(4):
        assert log_in(client, "bignona@terrapro.test", "wrong password!").status_code == 401
    assert log_in(client, "bignona@terrapro.test", "wrong password!").status_code == 429
    # Even the right password is refused while locked.
    response = log_in(client, "bignona@terrapro.test")
    assert response.status_code == 429 and "15 minutes" in response.text


def test_five_failures_from_one_ip_lock_the_ip_for_every_account(client):
    for index in range(5):
        log_in(client, f"nobody{index}@terrapro.test", "wrong password!")
    assert log_in(client, "admin@terrapro.test").status_code == 429


def test_logout_revokes_the_session_server_side(login):
    client = login("admin@terrapro.test")
    cookie = client.cookies.get("terrapro_console")
    csrf = csrf_of(client.get("/console/").text)
    assert client.post("/console/deconnexion", data={"csrf": csrf}, follow_redirects=False).status_code == 303
    client.cookies.set("terrapro_console", cookie, domain="testserver.local", path="/console")
    assert client.get("/console/", follow_redirects=False).status_code == 303


def test_admin_can_revoke_another_accounts_sessions(client, console_app):
    from starlette.testclient import TestClient

    with TestClient(console_app, base_url="https://testserver") as other:
        assert log_in(other, "savoie@terrapro.test").status_code == 303
        assert other.get("/console/", follow_redirects=False).status_code == 200
        assert log_in(client, "admin@terrapro.test").status_code == 303
        page = client.get("/console/journal").text
        savoie_id = 3
        client.post(f"/console/comptes/{savoie_id}/sessions/fermer", data={"csrf": csrf_of(page)})
        assert other.get("/console/", follow_redirects=False).status_code == 303


def _bignona_data(services):
    person = services.persons.get_or_create("telegram", "777000111", "Moussa")
    services.persons.update(person.id, territoire="bignona", bassin="Bignona")
    ticket = services.handoffs.request(person.id, "telegram", "Bignona", {}, "")
    from bot.storage.unanswered import UnansweredRepository

    UnansweredRepository(services.db).record(person.id, "ou trouver une formation en apiculture", "out_of_scope", 0.1, "fr")
    return person, ticket


def test_savoie_coordinator_cannot_read_bignona_data(login, console_services):
    _person, ticket = _bignona_data(console_services)
    client = login("savoie@terrapro.test")
    assert client.get(f"/console/file/{ticket.id}").status_code == 404
    assert f"n°{ticket.id}" not in client.get("/console/file").text
    assert "apiculture" not in client.get("/console/questions").text
    assert "apiculture" not in client.get("/console/questions.csv").text
    assert "Bignona" not in client.get("/console/catalogue/formations.csv").text.split("\n", 1)[1]
    # Marking a Bignona question by id does nothing.
    page = client.get("/console/questions").text
    client.post("/console/questions/traite", data={"csrf": csrf_of(page), "ids": "1"})
    bignona = login("bignona@terrapro.test")
    assert "apiculture" in bignona.get("/console/questions").text
    assert "Marquer traité" in bignona.get("/console/questions").text


def test_coordinator_cannot_close_tickets_and_referent_sees_only_the_queue(login, console_services):
    _person, ticket = _bignona_data(console_services)
    client = login("bignona@terrapro.test")
    csrf = csrf_of(client.get("/console/file").text)
    assert client.post(f"/console/file/{ticket.id}/fermer", data={"csrf": csrf}).status_code == 403
    referent = login("referent@terrapro.test")
    assert referent.get("/console/", follow_redirects=False).status_code == 403
    assert referent.get("/console/questions").status_code == 403
    assert f"n°{ticket.id}" in referent.get("/console/file").text


def test_no_page_shows_a_platform_id(login, console_services):
    _bignona_data(console_services)
    client = login("admin@terrapro.test")
    for path in PAGES + ("/console/file/1",):
        assert "777000111" not in client.get(path).text, path


def test_every_write_is_in_the_audit_log_visible_to_admins(login, console_services):
    _person, ticket = _bignona_data(console_services)
    client = login("admin@terrapro.test")
    csrf = csrf_of(client.get("/console/file").text)
    assert client.post(f"/console/file/{ticket.id}/fermer", data={"csrf": csrf}).status_code == 200
    actions = [e.action for e in AuditRepository(console_services.db).recent()]
    assert "ticket_closed" in actions and "login" in actions
    assert "demande fermée" in client.get("/console/journal").text


def test_set_password_link_is_one_time(client, console_services):
    from datetime import timedelta

    from bot.storage.console_accounts import ConsoleUserRepository

    ConsoleUserRepository(console_services.db).add("new@terrapro.test", "coordinator", "savoie", "tok-123", timedelta(hours=1))
    page = client.get("/console/mot-de-passe/tok-123")
    assert page.status_code == 200
    data = {"csrf": csrf_of(page.text), "password": "short", "confirm": "short"}
    refused = client.post("/console/mot-de-passe/tok-123", data=data)
    assert refused.status_code == 400
    data.update(password="a long enough secret", confirm="a long enough secret", csrf=csrf_of(refused.text))
    assert client.post("/console/mot-de-passe/tok-123", data=data, follow_redirects=False).status_code == 303
    assert client.get("/console/mot-de-passe/tok-123").status_code == 404
    assert log_in(client, "new@terrapro.test", "a long enough secret").status_code == 303


def test_referent_account_sees_own_conversations_only(client, console_services):
    from datetime import timedelta

    from bot.storage.console_accounts import ConsoleUserRepository
    from bot.storage.console_views import ConsoleViews
    from bot.storage.referents import ReferentRepository
    from tests.web.console.conftest import _password_hash

    referents = ReferentRepository(console_services.db)
    awa, ibou = referents.add("Awa", 1, "Fogny"), referents.add("Ibou", 2, "Fogny")
    users = ConsoleUserRepository(console_services.db)
    user = users.add("awa@terrapro.test", "referent", "bignona", "s-awa", timedelta(hours=1), referent_id=awa.id)
    users.set_password(user.id, _password_hash())
    tickets = []
    for index, owner in enumerate((awa, ibou)):
        person = console_services.persons.get_or_create("telegram", f"88{index}", "Jeune")
        console_services.persons.update(person.id, territoire="bignona")
        ticket = console_services.handoffs.request(person.id, "telegram", "Fogny", {}, "")
        ConsoleViews(console_services.db).reassign(ticket.id, owner.id)
        tickets.append(ticket)
    assert log_in(client, "awa@terrapro.test").status_code == 303
    queue = client.get("/console/file").text
    assert f"n°{tickets[0].id}" in queue and f"n°{tickets[1].id}" not in queue
    assert client.get(f"/console/file/{tickets[0].id}").status_code == 200
    assert client.get(f"/console/file/{tickets[1].id}").status_code == 404


def test_admin_reassigns_a_ticket(login, console_services):
    from bot.storage.referents import ReferentRepository

    _person, ticket = _bignona_data(console_services)
    ibou = ReferentRepository(console_services.db).add("Ibou", 2, "Fogny")
    client = login("admin@terrapro.test")
    csrf = csrf_of(client.get("/console/file").text)
    done = client.post(f"/console/file/{ticket.id}/confier", data={"csrf": csrf, "referent_id": str(ibou.id)})
    assert "confiée à Ibou" in done.text and "prise par Ibou" in done.text
    assert console_services.handoffs.get(ticket.id).referent_id == ibou.id
    assert client.post("/console/file/9999/confier", data={"csrf": csrf, "referent_id": str(ibou.id)}).status_code == 404
