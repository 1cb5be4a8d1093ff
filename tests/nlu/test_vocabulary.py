from bot.nlu.dataset import load_examples, parse_annotated
from bot.nlu.vocabulary import load_lookups, load_synonyms
from tests.nlu.conftest import NLU_DATA

FILIERES = {
    "solaire", "electricite", "froid", "mecanique_auto", "plomberie", "hotellerie_restauration",
    "couture", "agroalimentaire", "agriculture_elevage", "bois", "entrepreneuriat", "informatique",
    "soudure_metallerie", "coiffure_esthetique", "mecanique_moto", "btp", "peche_transformation",
    "orientation", "accompagnement", "remise_a_niveau",
}
INTENTS = {
    "greet", "goodbye", "thank", "affirm", "deny", "search_training", "training_details", "centre_info",
    "orientation_help", "job_search", "entrepreneurship", "open_days", "subscribe_alerts",
    "unsubscribe_alerts", "talk_to_human", "bot_challenge", "delete_my_data", "help", "out_of_scope",
    "inform_location", "inform_profile",
}


def test_synonyms_map_surface_words_to_filiere_codes():
    synonyms = load_synonyms(NLU_DATA)
    assert synonyms["panneaux"] == "solaire"
    assert synonyms["photovoltaique"] == "solaire"
    assert synonyms["mekanik"] == "mecanique_auto"
    assert synonyms["nawkat"] == "couture"  # ñawkat without its tilde
    assert synonyms["kurant"] == "electricite"
    assert synonyms["jakarta"] == "mecanique_moto"
    assert synonyms["tabax"] == "btp"
    assert FILIERES <= set(synonyms.values())


def test_lookups_cover_every_place_and_centre():
    lookups = load_lookups(NLU_DATA)
    assert {"filiere", "lieu", "centre"} <= set(lookups)
    assert {"Kafountine", "Diouloulou", "Fogny", "Littoral-Kafountine", "Chambéry"} <= set(lookups["lieu"])
    assert {"CFP d'Aldabar", "aldabar", "e2c"} <= set(lookups["centre"])


def test_training_data_has_exactly_the_intents_and_enough_examples():
    examples = load_examples(NLU_DATA)
    counts = {}
    for example in examples:
        counts[example.intent] = counts.get(example.intent, 0) + 1
    assert set(counts) == INTENTS
    assert min(counts.values()) >= 30


def test_entity_annotations_use_known_values():
    for example in load_examples(NLU_DATA):
        for entity, value, start, end in example.entities:
            assert entity in {"filiere", "lieu", "centre"}
            assert 0 <= start < end <= len(example.text)
            if entity == "filiere":
                assert value in FILIERES


def test_parse_annotated_reads_both_rasa_forms():
    text, entities = parse_annotated('formation [solaire](filiere) a [baila]{"entity": "lieu", "value": "Baïla"}')
    assert text == "formation solaire a baila"
    assert entities == (("filiere", "solaire", 10, 17), ("lieu", "Baïla", 20, 25))
