from __future__ import annotations

from bot.catalogue.model import TERRITORIES


def test_confirmed_only_for_document_rows(catalogue):
    assert catalogue.by_id["BIG-ALD-01"].confirmed is True
    assert catalogue.by_id["BIG-ALD-03"].confirmed is False


def test_every_catalogue_filiere_has_a_short_label(catalogue):
    used = {c.filiere for c in catalogue.courses}
    assert used <= set(catalogue.filiere_by_code)
    assert len(catalogue.filieres) == 20
    for filiere in catalogue.filieres:
        assert 0 < len(filiere.label) <= 20, filiere


def test_derived_indexes(catalogue):
    assert len(catalogue.by_id) == len(catalogue.courses) == 38
    assert "CFP d'Aldabar" in catalogue.centres
    assert len(catalogue.centres) == len(set(catalogue.centres))
    assert {"Fogny", "Littoral-Kafountine", "Bignona-Kalounayes"} <= set(catalogue.bassins)
    assert set(catalogue.territories) == set(TERRITORIES)


def test_courses_of_centre_ignores_case(catalogue):
    ids = [c.id for c in catalogue.courses_of_centre("cfp d'abéné")]
    assert ids == ["BIG-ABE-01", "BIG-ABE-02", "BIG-ABE-03", "BIG-ABE-04"]
    assert catalogue.courses_of_centre("Inconnu") == []


def test_filiere_label_and_place_lookup(catalogue):
    assert catalogue.filiere_label("mecanique_auto") == "Mécanique auto"
    assert catalogue.filiere_label("zzz") == "zzz"
    assert catalogue.place_of("baïla").bassin == "Fogny"
