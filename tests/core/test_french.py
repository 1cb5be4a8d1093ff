from __future__ import annotations

import pytest

from bot.core.french import capitalised, de, le


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
