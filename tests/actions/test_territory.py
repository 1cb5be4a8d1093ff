"""The territory of a WhatsApp number (wa_id: country code then number, digits only)."""
from __future__ import annotations

import pytest

from actions.territory import territory_of_number

CODES = {"221": "bignona", "33": "savoie"}


@pytest.mark.parametrize("wa_id,territoire", [
    ("221771234567", "bignona"), ("+221771234567", "bignona"), ("33612345678", "savoie"),
    ("2250102030405", None), ("3212345678", None), ("", None),
])
def test_country_code(wa_id, territoire):
    assert territory_of_number(wa_id, CODES) == territoire
