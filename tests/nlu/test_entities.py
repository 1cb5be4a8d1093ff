import pytest

from bot.nlu.dataset import load_examples
from bot.nlu.engine import training_words
from bot.nlu.entities import EXTRACTOR, EntityExtractor, build_dictionaries
from tests.nlu.conftest import NLU_DATA


@pytest.fixture(scope="module")
def extractor():
    return EntityExtractor(build_dictionaries(NLU_DATA), training_words(load_examples(NLU_DATA)))


def found(extractor, text):
    return [(e["entity"], e["value"], text[e["start"] : e["end"]]) for e in extractor.extract(text)]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("je veux apprendre le solaire a baila", [("filiere", "solaire", "solaire"), ("lieu", "Baïla", "baila")]),
        ("ds la zone de kafountine", [("lieu", "Kafountine", "kafountine")]),
        ("formation a dioulouloo stp", [("lieu", "Diouloulou", "dioulouloo")]),
        ("formation a Diouloulu", [("lieu", "Diouloulou", "Diouloulu")]),
        ("dama bëgg jàng mekanik", [("filiere", "mecanique_auto", "mekanik")]),
        ("fan laa mëna jàng ñawkat", [("filiere", "couture", "ñawkat")]),
        ("dama bëgg nekk toggkat", [("filiere", "hotellerie_restauration", "toggkat")]),
        ("panneaux solaires à Thionk Esil", [("filiere", "solaire", "panneaux solaires"), ("lieu", "Thionck-Essyl", "Thionk Esil")]),
        ("la plombrie a chambery", [("filiere", "plomberie", "plombrie"), ("lieu", "Chambéry", "chambery")]),
        ("mecaniqe moto", [("filiere", "mecanique_moto", "mecaniqe moto")]),
        ("c'est où le CFP d'Aldabar ?", [("centre", "CFP d'Aldabar", "CFP d'Aldabar")]),
        ("l'e2c", [("centre", "École de la deuxième chance de Savoie (E2C 73)", "e2c")]),
        ("dans le Fogny", [("lieu", "Fogny", "Fogny")]),
        ("St Jean de Morienne", [("lieu", "Saint-Jean-de-Maurienne", "St Jean de Morienne")]),
    ],
)
def test_extracts_canonical_values_with_original_spans(extractor, text, expected):
    assert found(extractor, text) == expected


@pytest.mark.parametrize(
    "text",
    ["je suis au courant", "quelles sont les formations", "les metiers du futur", "merci pour la mission", "c est la mode"],
)
def test_everyday_words_are_not_entities(extractor, text):
    assert found(extractor, text) == []


def test_entity_shape_is_rasa_like(extractor):
    [entity] = extractor.extract("formation couture")
    assert entity == {
        "entity": "filiere",
        "start": 10,
        "end": 17,
        "value": "couture",
        "confidence_entity": 1.0,
        "extractor": EXTRACTOR,
    }


def test_same_word_as_place_and_centre_gives_both(extractor):
    values = {(e["entity"], e["value"]) for e in extractor.extract("formation a abene")}
    assert values == {("lieu", "Kafountine"), ("centre", "CFP d'Abéné")}


def test_extra_values_are_added_at_run_time():
    extra = {"centre": {"Lycée technique de Ziguinchor": "Lycée technique de Ziguinchor", "ltz": "Lycée technique de Ziguinchor"}}
    extractor = EntityExtractor(build_dictionaries(NLU_DATA, extra))
    assert found(extractor, "le LTZ c ou") == [("centre", "Lycée technique de Ziguinchor", "LTZ")]
    assert found(extractor, "lycee technique de ziguinchor") == [
        ("centre", "Lycée technique de Ziguinchor", "lycee technique de ziguinchor")
    ]
