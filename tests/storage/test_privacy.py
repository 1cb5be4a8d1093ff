"""bot.storage.privacy: guards what storage writes and what logs show."""
from __future__ import annotations

import pytest

from bot.storage.privacy import redact_id, scrub


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("appelle moi au +221 77 123 45 67 stp", "appelle moi au [téléphone] stp"),
        ("mon num 771234567", "mon num [téléphone]"),
        ("00221 76-123-45-67", "[téléphone]"),
        ("fixe 33 991 23 45", "fixe [téléphone]"),
        ("06 12 34 56 78 ou 06.12.34.56.78", "[téléphone] ou [téléphone]"),
        ("0612345678", "[téléphone]"),
        ("+33 6 12 34 56 78", "[téléphone]"),
        ("+33 (0)6 12 34 56 78", "[téléphone]"),
        ("+44 20 7946 0958", "[téléphone]"),
        ("j ai 17 ans 77 123 45 67", "j ai 17 ans [téléphone]"),
        ("écris à awa.diatta@gmail.com merci", "écris à [email] merci"),
        ("voir https://cfp.sn/inscription?id=3", "voir [lien]"),
        ("www.exemple.fr et wa.me/221771234567", "[lien] et [lien]"),
        ("dossier 12345678 urgent", "dossier [numéro] urgent"),
        ("mon pseudo @awa_d", "mon pseudo [pseudo]"),
    ],
)
def test_scrub_replaces_personal_data(text, expected):
    assert scrub(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "où apprendre le solaire ?",
        "c'est combien la formation couture ? 25 000 FCFA",
        "dama bëgg jàng mekanik",
        "j'ai 17 ans, formation de 6 mois en 2025",
        "CFP de Bignona, BP 12",
        "",
    ],
)
def test_scrub_leaves_ordinary_text_alone(text):
    assert scrub(text) == text


def test_redact_id_is_short_stable_and_never_the_raw_id():
    token = redact_id("221771234567")
    assert token == redact_id("221771234567")
    assert token != redact_id("221771234568")
    assert "221771234567" not in token and "1234567" not in token
    assert len(token) <= 12
    assert redact_id(12345) == redact_id("12345")
