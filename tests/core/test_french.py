from __future__ import annotations

import pytest

from bot.core.french import capitalised, de, is_length_of_time, le


@pytest.mark.parametrize("name,expected", [
    ("Albertville", "d'Albertville"), ("Aix-les-Bains", "d'Aix-les-Bains"), ("Ugine", "d'Ugine"),
    ("Chambéry", "de Chambéry"), ("Baïla", "de Baïla"), ("Hautecour", "de Hautecour"),
])
def test_elision(name, expected):
    assert de(name) == expected


@pytest.mark.parametrize("name,expected", [
    ("CFP de Coubanao", "le CFP de Coubanao"), ("Centre départemental de formation professionnelle de Bignona",
                                                "le Centre départemental de formation professionnelle de Bignona"),
    ("Mission locale jeunes de Chambéry", "la Mission locale jeunes de Chambéry"),
    ("AFPA Chambéry", "l'AFPA Chambéry"), ("École de la deuxième chance de Savoie (E2C 73)",
                                           "l'École de la deuxième chance de Savoie (E2C 73)"),
    ("Cité scolaire de Bourg-Saint-Maurice", "la Cité scolaire de Bourg-Saint-Maurice"),
    ("Keur Formation", "Keur Formation"),  # a proper name: no article rather than a wrong one
])
def test_article_before_a_centre_name(name, expected):
    assert le(name) == expected
    assert capitalised(le(name))[0].isupper()


@pytest.mark.parametrize("words, expected", [
    ("9 mois", True), ("6 à 12 mois", True), ("1 an", True), ("2 ans", True), ("3 semaines", True),
    ("1 rendez-vous", False), ("Accueil libre", False), ("", False), ("12", False),
])
def test_a_length_of_time_is_told_from_a_service(words, expected):
    assert is_length_of_time(words) is expected
