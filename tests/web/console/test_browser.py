"""The console in a real browser: Debian's Chromium driven by Playwright, against a real uvicorn server.

Screenshots go to tests/artifacts/console/ (git-ignored); the 360-px run is the phone check.
"""
from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from bot.core.ports import TurnFacts
from bot.storage.subscriptions import SubscriptionRepository
from bot.storage.turn_facts import TurnFactRepository
from tests.web.console.conftest import PASSWORD

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "console"
HEADER = ("id,territoire,centre,commune,bassin,filiere,formation,duree,acces,cout,certification,contact,source\n")
GOOD = HEADER + ("BGN-99,bignona,CFP Test,Bignona,Bignona,solaire,Installateur solaire,6 mois,libre,gratuit,"
                 "attestation,cfp@example.org,exemple\n")
BAD = GOOD.replace(",solaire,", ",astronautique,")

sync_api = pytest.importorskip("playwright.sync_api")


def _browser_or_skip():
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail("Chromium missing at /usr/bin/chromium (apt-get install chromium)")
        pytest.skip("Chromium missing at /usr/bin/chromium")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def server(console_app, console_services):
    import uvicorn

    person = console_services.persons.get_or_create("telegram", "42424242", "Moussa")
    console_services.persons.update(person.id, territoire="bignona", bassin="Bignona-Kalounayes")
    SubscriptionRepository(console_services.db).subscribe(person.id, "bignona")
    turns = TurnFactRepository(console_services.db)
    for index, filiere in enumerate(["solaire"] * 5 + ["mecanique"] * 3 + ["couture"] * 2):
        turns.record_turn(TurnFacts(person.id, "telegram", "bignona", "Bignona-Kalounayes", "search_training", filiere,
                                    index % 4 != 0))
    # Earlier weeks, so the charts show a history (and the screenshot in docs/ means something).
    history = [("solaire", "Bignona-Kalounayes"), ("mecanique", "Littoral-Kafountine"), ("couture", "Fogny"),
               ("informatique", "Bignona-Kalounayes"),
               ("agriculture", "Fogny"), ("solaire", "Littoral-Kafountine")]
    for week in range(1, 7):
        for index, (filiere, bassin) in enumerate(history):
            for _ in range((week * (index + 2)) % 7 + 1):
                turns.record_turn(TurnFacts(person.id, "telegram", "bignona", bassin, "search_training", filiere, True),
                                  at=datetime.now(timezone.utc) - timedelta(weeks=week))
    console_services.handoffs.request(person.id, "telegram", "Bignona-Kalounayes", {"filiere": "solaire"}, "")
    port = _free_port()
    config = uvicorn.Config(console_app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    uv = uvicorn.Server(config)
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not uv.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert uv.started, "uvicorn did not start"
    yield f"http://127.0.0.1:{port}"
    uv.should_exit = True
    thread.join(timeout=10)


@pytest.mark.parametrize("viewport", [(1280, 900), (360, 740)], ids=["desktop", "phone"])
def test_coordinator_flow_in_chromium(server, tmp_path, viewport):
    _browser_or_skip()
    shots = ARTIFACTS / f"{viewport[0]}px"
    shutil.rmtree(shots, ignore_errors=True)
    shots.mkdir(parents=True)
    bad, good = tmp_path / "mauvais.csv", tmp_path / "bon.csv"
    bad.write_text(BAD, encoding="utf-8")
    good.write_text(GOOD, encoding="utf-8")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        page = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]})
        page.set_default_timeout(15_000)

        page.goto(f"{server}/console/")
        assert page.url.endswith("/console/connexion")
        page.fill("input[name=email]", "admin@terrapro.test")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{server}/console/")
        charts = page.locator("svg.chart")
        assert charts.count() == 2
        assert charts.first.locator("rect").count() >= 3
        assert charts.first.bounding_box()["width"] > 200
        assert page.locator("text=mecanique").count() >= 1
        page.screenshot(path=str(shots / "0-ecran.png"))
        page.screenshot(path=str(shots / "1-tableau-de-bord.png"), full_page=True)
        # Readable on a phone: nothing wider than the screen.
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport[0] + 1

        page.click("nav >> text=Catalogue")
        page.set_input_files("input[type=file]", str(bad))
        page.click("button:has-text('Importer')")
        assert "refusé" in page.locator(".error").first.inner_text()
        assert "ligne 2" in page.locator("#problemes").inner_text()
        page.screenshot(path=str(shots / "2-import-refuse.png"), full_page=True)
        page.set_input_files("input[type=file]", str(good))
        page.click("button:has-text('Importer')")
        assert "Import réussi" in page.locator(".notice").inner_text()
        page.screenshot(path=str(shots / "3-import-reussi.png"), full_page=True)

        page.click("nav >> text=Diffusions")
        page.fill("textarea[name=text]", "Portes ouvertes du CFP samedi !")
        page.select_option("select[name=territoire]", "bignona")
        page.fill("input[name=at]", "2099-01-01T10:00")
        page.click("button:has-text('Compter les destinataires')")
        assert "1 destinataire" in page.locator("#apercu").inner_text()
        page.click("button:has-text('Programmer')")
        assert "programmée pour 1 destinataire" in page.locator(".notice").inner_text()
        assert "programmée" in page.locator("#etat").inner_text()
        page.screenshot(path=str(shots / "4-diffusion.png"), full_page=True)

        page.click("nav >> text=File d'attente")
        assert page.locator("#file tbody tr").count() == 1
        assert "Moussa" in page.locator("#file").inner_text()
        assert "42424242" not in page.content()
        page.screenshot(path=str(shots / "5-file.png"), full_page=True)

        page.click("button:has-text('Se déconnecter')")
        page.wait_for_url(f"{server}/console/connexion")
        page.goto(f"{server}/console/")
        assert page.url.endswith("/console/connexion")
        browser.close()
