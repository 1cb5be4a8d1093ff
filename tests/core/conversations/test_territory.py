"""One territory per person, never mixed: learnt once, asked once, followed everywhere, changeable."""
from __future__ import annotations

from sqlalchemy import select

from bot.app import build_services
from bot.core.messages import Location, MessageKind
from bot.storage.models import HandoffTicket, Subscription
from tests.core.conftest import TODAY, Chat
from tests.core.conversations.conftest import (
    BIGNONA_CENTRES,
    PlainChat,
    course_lines,
    mentions_any,
)


def no_savoie(text: str) -> bool:
    return not mentions_any(text, ("AFPA", "Chambéry", "E2C", "Mission locale", "Savoie (France) :"))


def no_bignona(text: str) -> bool:
    return "FCFA" not in text and not mentions_any(text, BIGNONA_CENTRES)


# -- asked once, then carried on -------------------------------------------------------


async def test_unknown_person_is_asked_once_then_gets_bignona_courses(unknown):
    await unknown.say("ou apprendre le solaire ?")
    assert unknown.asked_territory and not course_lines(unknown.text)
    assert unknown.button_titles == ["Bignona (Sénégal)", "Savoie (France)"]
    await unknown.press("Bignona")
    lines = course_lines(unknown.text)
    assert lines and all(mentions_any(line, BIGNONA_CENTRES) for line in lines)
    assert no_savoie(unknown.text) and "FCFA" in unknown.text
    await unknown.say("et à Baïla ?")
    assert "CFP de Baïla" in course_lines(unknown.text)[0]
    assert unknown.times_asked() == 1


async def test_unknown_person_answering_savoie_gets_savoie_courses_without_fcfa(unknown):
    await unknown.say("formation solaire")
    await unknown.press("Savoie")
    assert "AFPA Chambéry" in course_lines(unknown.text)[0]
    assert no_bignona(unknown.text)


async def test_typed_answer_works_like_the_button(unknown):
    await unknown.say("je cherche une formation en electricite")
    assert unknown.asked_territory
    await unknown.say("Savoie")
    assert "AFPA Chambéry" in unknown.text and no_bignona(unknown.text)


async def test_answer_naming_a_commune_sets_the_territory_and_the_nearest_centre(unknown):
    await unknown.say("ou apprendre la menuiserie ?")  # taught in both countries
    assert unknown.asked_territory
    await unknown.say("je suis à Diouloulou")
    assert "Diouloulou" in course_lines(unknown.text)[0]
    assert no_savoie(unknown.text)


async def test_open_days_ask_once_and_list_only_that_territory(unknown):
    await unknown.say("c'est quand les portes ouvertes ?")
    assert unknown.asked_territory
    await unknown.press("Savoie")
    assert "E2C" in unknown.text and no_bignona(unknown.text)
    await unknown.say("formation solaire")
    assert not unknown.asked_territory and "AFPA" in unknown.text
    assert unknown.times_asked() == 1


async def test_job_search_waits_for_the_territory_then_answers_it(unknown):
    await unknown.say("je cherche du travail")
    assert unknown.asked_territory
    await unknown.press("Savoie")
    assert "Mission locale" in unknown.text and "CFP" not in unknown.text


async def test_subscription_waits_for_the_territory(unknown, services):
    await unknown.say("previens moi des portes ouvertes")
    assert unknown.asked_territory
    await unknown.press("Savoie")
    person = services.persons.find("cli", unknown.user)
    assert services.subscriptions.get(person.id).territoire == "savoie"


# -- learnt without asking -----------------------------------------------------------------


async def test_french_whatsapp_number_means_savoie(savoyard):
    await savoyard.say("formation solaire")
    assert not savoyard.asked_territory
    assert "AFPA Chambéry" in course_lines(savoyard.text)[0] and no_bignona(savoyard.text)


async def test_senegalese_whatsapp_number_means_bignona(bignonois):
    await bignonois.say("formation solaire")
    assert not bignonois.asked_territory
    assert all(mentions_any(line, BIGNONA_CENTRES) for line in course_lines(bignonois.text))
    assert no_savoie(bignonois.text)


async def test_wolof_means_bignona_and_the_results_are_wrapped_in_wolof(unknown):
    unknown.language = "wo"
    await unknown.say("dama bëgg jàng mekanik")
    assert not unknown.asked_territory
    assert "Lii laa gis" in unknown.text and "Ban" not in unknown.text
    assert all(mentions_any(line, BIGNONA_CENTRES) for line in course_lines(unknown.text))
    assert any("Wax ak ab nit" in t for t in unknown.button_titles)


async def test_wolof_open_days_are_bignona_ones(unknown):
    unknown.language = "wo"
    await unknown.say("kañ la portes ouvertes yi ?")
    assert not unknown.asked_territory
    assert "Aldabar" in unknown.text and "E2C" not in unknown.text


async def test_named_centre_gives_the_territory(unknown):
    await unknown.say("les formations du cfp d abene")
    assert not unknown.asked_territory
    assert all("Abéné" in line for line in course_lines(unknown.text))


async def test_a_trade_taught_in_one_country_only_is_still_asked_where(unknown):
    """Car mechanics is taught in Bignona only: a Savoie youth must not be sent there."""
    await unknown.say("formation mecanique auto")
    assert unknown.asked_territory and not course_lines(unknown.text)
    await unknown.press("Savoie")
    assert not course_lines(unknown.text) and no_bignona(unknown.text)
    assert "Mission locale" in unknown.text  # the territory's general service instead


async def test_a_trade_taught_in_one_country_only_is_listed_once_that_country_is_chosen(unknown):
    await unknown.say("formation mecanique auto")
    await unknown.press("Bignona")
    assert course_lines(unknown.text) and no_savoie(unknown.text)
    assert "commune" in unknown.text  # the nearest centre needs a commune


async def test_a_price_question_from_someone_we_cannot_place_is_asked_where_first(unknown):
    """Sewing is taught in Bignona only: « c combien » must not quote FCFA to a Savoie youth."""
    await unknown.say("c combien la formation couture")
    assert unknown.asked_territory and "FCFA" not in unknown.text
    await unknown.press("Savoie")
    assert no_bignona(unknown.text)
    await unknown.say("c combien la formation couture")
    assert not unknown.asked_territory and no_bignona(unknown.text)


async def test_a_price_question_answered_once_the_territory_is_chosen(unknown):
    await unknown.say("c combien la formation couture")
    await unknown.press("Bignona")
    assert "FCFA" in unknown.text and "outure" in unknown.text
    await unknown.say("c ou")
    assert mentions_any(unknown.text, BIGNONA_CENTRES)


async def test_choosing_the_territory_keeps_the_course_already_shown_there(unknown):
    await unknown.say("c combien au cfp d abene")  # the centre tells the territory, not remembered
    formation = unknown.text.split(" (")[0]  # « Diagnostic automobile (CFP d'Abéné) : 20 000 FCFA… »
    await unknown.say("c'est quand les portes ouvertes ?")
    assert unknown.asked_territory
    await unknown.press("Bignona")
    await unknown.say("c combien ?")
    assert formation in unknown.text and "FCFA" in unknown.text


async def test_sms_spelling_with_a_commune(unknown):
    await unknown.say("jveu aprendre mecanik a kafountin")
    assert not unknown.asked_territory
    assert "Abéné" in course_lines(unknown.text)[0]


async def test_saying_where_you_live_first(unknown):
    await unknown.say("j'habite à Chambéry")
    assert "Chambéry" in unknown.text
    await unknown.say("formation electricite")
    assert not unknown.asked_territory and "AFPA Chambéry" in course_lines(unknown.text)[0]


async def test_shared_location_in_savoie(unknown):
    await unknown.send(kind=MessageKind.LOCATION, location=Location(45.57, 5.92))
    assert "Chambéry" in unknown.text
    await unknown.say("formation plomberie")
    assert not unknown.asked_territory and "AFPA" in unknown.text and no_bignona(unknown.text)


async def test_the_territory_is_remembered_across_restarts(settings):
    first = build_services(settings, today=lambda: TODAY)
    chat = PlainChat(first.conversation, user="durable", channel="cli")
    await chat.say("formation solaire")
    await chat.press("Savoie")
    first.close()
    second = build_services(settings, today=lambda: TODAY)
    chat = PlainChat(second.conversation, user="durable", channel="cli")
    await chat.say("c'est quand les portes ouvertes ?")
    assert not chat.asked_territory and "E2C" in chat.text
    second.close()


# -- changing territory ----------------------------------------------------------------------


async def test_moving_to_aix_moves_the_search_and_the_open_days(bignonois):
    await bignonois.say("formation solaire")
    assert "FCFA" in bignonois.text
    await bignonois.say("en fait j'habite à Aix")
    assert "AFPA Chambéry" in course_lines(bignonois.text)[0] and no_bignona(bignonois.text)
    await bignonois.say("c'est quand les portes ouvertes ?")
    assert "E2C" in bignonois.text and "Aldabar" not in bignonois.text


async def test_moving_to_kafountine_from_savoie(savoyard):
    await savoyard.say("je suis à Kafountine maintenant")
    await savoyard.say("formation mecanique")
    assert "Abéné" in course_lines(savoyard.text)[0] and no_savoie(savoyard.text)


async def test_moving_away_forgets_the_course_of_the_other_country(bignonois):
    await bignonois.say("formation couture")
    await bignonois.say("je suis à Chambéry maintenant")
    await bignonois.say("c'est combien ?")
    assert "FCFA" not in bignonois.text and "Coubanao" not in bignonois.text


# -- nothing here: honest, and the territory's own service ---------------------------------


async def test_trade_missing_in_savoie_never_points_to_senegal(savoyard, services):
    await savoyard.say("je veux apprendre la couture")
    assert no_bignona(savoyard.text)
    assert "Mission locale" in savoyard.text and "pas de formation" in savoyard.text
    assert any("référent" in t for t in savoyard.button_titles)


async def test_trade_missing_in_bignona_never_points_to_chambery(bignonois):
    await bignonois.say("je veux une remise a niveau")
    assert no_savoie(bignonois.text) and "E2C" not in bignonois.text
    assert "référent" in bignonois.text.lower() or any("référent" in t for t in bignonois.button_titles)


async def test_savoie_place_with_a_bignona_only_trade(unknown):
    await unknown.say("formation peche a chambery")
    assert no_bignona(unknown.text) and "Mission locale" in unknown.text


# -- guidance per territory ------------------------------------------------------------------


async def test_job_search_in_savoie_names_savoie_services(savoyard):
    await savoyard.say("je cherche du travail")
    assert "Mission locale" in savoyard.text and "apprentissage" in savoyard.text
    assert "1jeune1solution" in savoyard.text and "CFP" not in savoyard.text


async def test_job_search_in_bignona_names_bignona_services(bignonois):
    await bignonois.say("je cherche un emploi")
    assert "CFP" in bignonois.text and "ReActE" in bignonois.text
    assert "Mission locale" not in bignonois.text


async def test_a_trade_named_with_a_job_search_leads_the_answer(savoyard, bignonois):
    await savoyard.say("je cherche un apprentissage en mecanique")  # not taught in Savoie
    assert "Mécanique" in savoyard.text and "pas de formation" in savoyard.text
    assert "Mission locale" in savoyard.text and no_bignona(savoyard.text)
    await savoyard.say("je cherche du travail en cuisine")  # taught in Savoie: a button to the courses
    assert "Cuisine" in savoyard.text and "Mission locale" in savoyard.text
    assert "Cuisine, hôtellerie" in savoyard.button_titles
    await bignonois.say("je cherche un apprentissage en mecanique")
    assert "Mécanique" in bignonois.text and "pas de formation" not in bignonois.text
    assert "Mission locale" not in bignonois.text


async def test_examples_name_places_of_the_persons_territory(savoyard, bignonois):
    for said in ("c payant ?", "aide", "blablabla xyz"):
        await savoyard.say(said)
        assert no_bignona(savoyard.text) and not mentions_any(savoyard.text, ("Kafountine", "Coubalan", "Bignona"))
    await bignonois.say("c payant ?")
    assert "Chambéry" not in bignonois.text


async def test_starting_a_business_per_territory(savoyard, bignonois):
    await savoyard.say("je veux creer mon entreprise")
    assert "création d'entreprise" in savoyard.text and "Baïla" not in savoyard.text
    await bignonois.say("je veux creer mon entreprise")
    assert "Baïla" in bignonois.text and "Mission locale" not in bignonois.text


async def test_choosing_a_path_per_territory(savoyard, bignonois):
    await savoyard.say("je sais pas quoi faire comme metier")
    assert "CIO" in savoyard.text and "PIJ" in savoyard.text and "psychologue" in savoyard.text
    await bignonois.say("je sais pas quoi faire comme metier")
    assert "référents orientation" in bignonois.text and "9h00" in bignonois.text
    assert "CIO" not in bignonois.text


# -- referent routing ------------------------------------------------------------------------


async def test_referent_request_goes_to_the_referents_of_the_territory(savoyard, services):
    referents = services.handoff.referents
    referents.add("Awa", 5001, "Fogny")
    referents.add("Claire", 5002, "Chambéry")
    await savoyard.say("je veux parler a un referent")
    with services.db.session() as session:
        ticket = session.scalars(select(HandoffTicket)).one()
    assert ticket.topic["territoire"] == "savoie"
    record = services.handoffs.get(ticket.id)
    names = [r.name for r in services.handoff.service.recipients(record.bassin, territoire=record.topic["territoire"])]
    assert names == ["Claire"]


async def test_stop_still_works_after_the_question(unknown, services):
    await unknown.say("c'est quand les portes ouvertes ?")
    await unknown.say("STOP")
    assert "annonces" in unknown.text
    with services.db.session() as session:
        assert session.scalars(select(Subscription)).first() is None


async def test_after_a_trade_named_with_a_job_search_follow_ups_are_about_its_nearest_course(savoyard, bignonois):
    await savoyard.say("je suis a chambery jcherche un apprentissage en cuisine")
    await savoyard.say("c ou")  # nothing shown yet: the trade's nearest course, not any centre of Chambéry
    assert "Bourg-Saint-Maurice" in savoyard.text and "CIO" not in savoyard.text
    await savoyard.say("c payant?")
    assert "Bac pro cuisine" in savoyard.text and "Gratuit" in savoyard.text
    await bignonois.say("je cherche un apprentissage en mecanique")
    await bignonois.say("c combien")
    assert "FCFA" in bignonois.text and no_savoie(bignonois.text)


async def test_the_services_a_guidance_names_come_nearest_first(services):
    """Nearest first holds for the Mission locale named with the job advice too."""
    aix, chambery = Chat(services.conversation, user="aix"), Chat(services.conversation, user="chambery")
    await aix.say("bonjour je suis a aix les bains je cherche un apprentissage en boulangerie")
    await chambery.say("je cherche du travail a chambery")
    for chat, here, there in ((aix, "Aix-les-Bains", "Chambéry"), (chambery, "Chambéry", "Aix-les-Bains")):
        named = [line for line in chat.text.splitlines() if "👉" in line]
        assert here in named[0] and there in named[1]


async def test_a_trade_the_catalogue_lacks_gets_the_territorys_service_and_only_its_own_words_quoted(services):
    savoyard = Chat(services.conversation, user="albertville")
    await savoyard.say("salut je suis a albertville")
    await savoyard.say("je cherche une formation dans la vente")
    assert "« vente »" in savoyard.text and "Mission locale" in savoyard.text and "cherche" not in savoyard.text
