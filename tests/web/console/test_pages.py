"""What the pages do: catalogue upload, broadcasts, questions, dashboard figures."""
from __future__ import annotations

from bot.core.ports import TurnFacts
from bot.reports.csvsafe import neutralise
from bot.storage.subscriptions import SubscriptionRepository
from bot.storage.turn_facts import TurnFactRepository
from bot.storage.unanswered import UnansweredRepository
from tests.web.console.conftest import csrf_of

GOOD_ROW = ("BGN-99,bignona,CFP Test,Bignona,Bignona,solaire,Installateur solaire test,6 mois,libre,gratuit,"
            "attestation,cfp@example.org,exemple\n")


def _upload(client, data: bytes, kind: str = "formations"):
    csrf = csrf_of(client.get("/console/catalogue").text)
    return client.post("/console/catalogue", data={"csrf": csrf, "kind": kind},
                       files={"file": ("catalogue.csv", data, "text/csv")})


def test_bad_catalogue_is_refused_whole_with_line_and_reason(login, console_services):
    client = login("admin@terrapro.test")
    before = (console_services.settings.content_dir / "catalogue.csv").read_bytes()
    header = client.get("/console/catalogue/formations.csv").text.lstrip("\ufeff").splitlines()[0]
    response = _upload(client, (header + "\n" + GOOD_ROW.replace("solaire,", "inconnue,", 1)).encode())
    assert response.status_code == 422
    assert "ligne 2" in response.text and "refusé" in response.text
    assert (console_services.settings.content_dir / "catalogue.csv").read_bytes() == before


def test_territory_coordinator_replaces_only_their_rows(login, console_services):
    client = login("bignona@terrapro.test")
    header = client.get("/console/catalogue/formations.csv").text.lstrip("\ufeff").splitlines()[0]
    savoie_row = GOOD_ROW.replace("BGN-99,bignona", "SAV-99,savoie").replace("Bignona,Bignona", "Chambéry,Chambéry")
    refused = _upload(client, (header + "\n" + GOOD_ROW + savoie_row).encode())
    assert refused.status_code == 422 and "ligne 3" in refused.text
    done = _upload(client, (header + "\n" + GOOD_ROW).encode())
    assert done.status_code == 200 and "Import réussi" in done.text
    text = (console_services.settings.content_dir / "catalogue.csv").read_text(encoding="utf-8")
    assert "BGN-99" in text and ",savoie," in text  # Savoie rows kept
    assert sum(1 for line in text.splitlines() if ",bignona," in line) == 1


def test_upload_size_limit(login):
    client = login("admin@terrapro.test")
    response = _upload(client, b"a" * (600 * 1024))
    assert response.status_code == 413 and "trop gros" in response.text


def test_test_a_question_box_shows_search_results(login):
    client = login("bignona@terrapro.test")
    page = client.get("/console/catalogue", params={"q": "ou apprendre le solaire"})
    assert 'id="resultats"' in page.text and "<ol>" in page.text.split('id="resultats"')[1]


def test_broadcast_count_schedule_and_cancel(login, console_services):
    person = console_services.persons.get_or_create("telegram", "555", "Awa")
    SubscriptionRepository(console_services.db).subscribe(person.id, "bignona")
    client = login("bignona@terrapro.test")
    csrf = csrf_of(client.get("/console/diffusions").text)
    draft = {"csrf": csrf, "text": "Portes ouvertes samedi", "bassin": "", "filiere": "", "event_id": "",
             "at": "2099-01-01T10:00"}
    preview = client.post("/console/diffusions/apercu", data=draft)
    assert "<strong>1</strong> destinataire" in preview.text
    created = client.post("/console/diffusions", data=draft)
    assert "programmée pour 1 destinataire" in created.text
    campaign_id = int(created.url.path.rsplit("/", 1)[1])
    cancelled = client.post(f"/console/diffusions/{campaign_id}/annuler", data={"csrf": csrf})
    assert "annulée" in cancelled.text
    savoie = login("savoie@terrapro.test")
    assert savoie.get(f"/console/diffusions/{campaign_id}").status_code == 404


def test_broadcast_refusal_is_shown(login):
    client = login("admin@terrapro.test")
    csrf = csrf_of(client.get("/console/diffusions").text)
    response = client.post("/console/diffusions/apercu", data={"csrf": csrf, "text": "x", "filiere": "nope"})
    assert response.status_code == 400 and "inconnue" in response.text


def test_questions_grouped_marked_and_exported_safely(login, console_services):
    person = console_services.persons.get_or_create("telegram", "9", "Ami")
    console_services.persons.update(person.id, territoire="bignona")
    repo = UnansweredRepository(console_services.db)
    for text in ("ou apprendre apiculture", "où apprendre l'apiculture ?", "=HYPERLINK(\"x\")"):
        repo.record(person.id, text, "out_of_scope", 0.1, "fr")
    client = login("bignona@terrapro.test")
    page = client.get("/console/questions").text
    assert page.count("Marquer traité") == 2
    exported = client.get("/console/questions.csv").text
    assert "'=HYPERLINK" in exported and ",2," in exported
    client.post("/console/questions/traite", data={"csrf": csrf_of(page), "ids": ["1", "2"]})
    assert client.get("/console/questions").text.count("Marquer traité") == 1


def test_formula_cells_are_neutralised():
    assert [neutralise(v) for v in ("=1+1", "+33", "-2", "@x", "ok")] == ["'=1+1", "'+33", "'-2", "'@x", "ok"]


def test_dashboard_figures_and_charts(login, console_services):
    person = console_services.persons.get_or_create("whatsapp", "221770000000", "Fatou")
    console_services.persons.update(person.id, territoire="bignona", bassin="Bignona")
    turns = TurnFactRepository(console_services.db)
    for answered in (True, True, True, False):
        turns.record_turn(TurnFacts(person.id, "whatsapp", "bignona", "Bignona", "search_training", "solaire", answered))
    client = login("bignona@terrapro.test")
    page = client.get("/console/").text
    assert "<svg" in page and "solaire : 4" in page and "25 %" in page
    assert "221770000000" not in page
    csv_text = client.get("/console/graphiques/filieres.csv").text
    assert csv_text.splitlines()[1].startswith("solaire,") and csv_text.splitlines()[1].endswith(",4")
    assert "solaire" not in login("savoie@terrapro.test").get("/console/").text


def test_notice_comes_once_and_never_from_the_address(login):
    client = login("admin@terrapro.test")
    assert "trompé" not in client.get("/console/?ok=Vous+êtes+trompé").text
    csrf = csrf_of(client.get("/console/referents").text)
    added = client.post("/console/referents", data={"csrf": csrf, "name": "Awa", "telegram_id": "77", "bassin": "Fogny"})
    assert "Awa ajouté" in added.text
    assert "Awa ajouté" not in client.get("/console/referents").text


def test_test_a_question_stays_in_the_coordinators_territory(login):
    savoie = login("savoie@terrapro.test").get("/console/catalogue", params={"q": "formation solaire"}).text
    assert "Bignona" not in savoie.split('id="resultats"')[1].split("</div>")[0]
