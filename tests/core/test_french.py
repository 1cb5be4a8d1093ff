from __future__ import annotations

import pytest

from bot.core.french import de


@pytest.mark.parametrize("name,expected", [
    ("Albertville", "d'Albertville"), ("Aix-les-Bains", "d'Aix-les-Bains"), ("Ugine", "d'Ugine"),
    ("Chambéry", "de Chambéry"), ("Baïla", "de Baïla"), ("Hautecour", "de Hautecour"),
])
def test_elision(name, expected):
    assert de(name) == expected
