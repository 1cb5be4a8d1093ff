"""Everything a young person says gets a real answer (issue 9 §5, except profile statements).

Long messages are read in full, off-topic messages get a calm specific answer,
named events and centres get their own date, event lists stay in the person's
territory. Checks are on substance, not wording.
"""
from __future__ import annotations

import re

from sqlalchemy import func, select

from bot.storage.models import HandoffTicket
from tests.core.conversations.replies import first_result, results

NOT_UNDERSTOOD = ("pas bien compris", "toujours pas compris", "Dégguma")


def understood(text: str) -> bool:
    return not any(phrase in text for phrase in NOT_UNDERSTOOD)


# -- long messages --------------------------------------------------------------------

async def test_a_paragraph_with_a_story_searches_the_wanted_trade_at_the_named_place(chat):
    await chat.say(
        "Bonjour, je m'appelle Awa, j'ai 19 ans. J'ai arrêté l'école l'année dernière et depuis je reste "
        "à la maison à Kafountine avec ma mère. Ma tante fait de la couture et j'aimerais beaucoup apprendre "
        "ce métier pour avoir mon propre atelier plus tard et aider ma famille. Est-ce qu'il y a une formation "
        "près de chez moi ? Merci beaucoup pour votre aide."
    )
    first = first_result(chat.text)
    assert "Couture" in first and "Kafountine" in first
    assert all("outure" in line for line in results(chat.text))


async def test_a_sms_paragraph_takes_the_trade_wanted_not_the_fathers(chat):
    await chat.say(
        "salut moi c moussa jhabite a diouloulou jai 17 an jai pas reussi le bfem mon pere est mecanicien "
        "mais moi je veux pas faire comme lui je prefere la cuisine, les gateaux et tout ca, ya une ecole "
        "pour ca pas loin ? merci"
    )
    first = first_result(chat.text)
    assert "Pâtisserie" in first and "Diouloulou" in first
    assert not any("écanique" in line for line in results(chat.text))


async def test_a_savoie_paragraph_stays_in_savoie_and_keeps_the_trade(chat):
    await chat.say(
        "Bonsoir. Je vous écris parce que je ne sais plus quoi faire. J'habite à Aix-les-Bains, j'ai 20 ans, "
        "j'ai fait un bac pro commerce mais je n'ai pas trouvé de travail. Mon oncle est électricien et il dit "
        "que c'est un bon métier. Je voudrais savoir où je peux me former en électricité dans le coin."
    )
    first = first_result(chat.text)
    assert "AFPA Chambéry" in first and "lectricien" in first
    assert "FCFA" not in chat.text


async def test_a_paragraph_then_a_follow_up_keeps_the_thread(chat, services):
    await chat.say(
        "Salut, je suis à Bignona chez mon oncle depuis la rentrée. Au collège j'étais pas trop bon mais "
        "j'aime bricoler. Je voudrais apprendre le solaire, les panneaux et tout. C'est possible ici ?"
    )
    aldabar = services.catalogue.by_id["BIG-ALD-01"]
    assert aldabar.centre in first_result(chat.text)
    await chat.say("ça dure combien ?")
    assert aldabar.duree in chat.text


async def test_a_wolof_paragraph_is_read_in_full(chat):
    await chat.say(
        "Salamaleekum, maa ngi tudd Fatou, maa ngi dëkk Bignona. Sama yaay dafa ñawkat te man itam "
        "dama bëgg jàng couture. Fan laa mëna jàng ? Jërëjëf"
    )
    assert all("outure" in line for line in results(chat.text)) and results(chat.text)


async def test_a_very_long_message_is_read_to_its_end(chat):
    story = "Je vous raconte ma vie, ma famille, mon quartier et mes amis du village. " * 16  # ~1,200 characters
    await chat.say(story + "Bref, je voudrais apprendre la plomberie à Kafountine.")
    assert "très long" not in chat.text
    first = first_result(chat.text)
    assert "Plomberie" in first and "Kafountine" in first


# -- off-topic, insults, money, phone calls -------------------------------------------

async def test_money_request_gets_a_specific_answer_and_is_not_a_miss(chat):
    await chat.say("tu peux me donner 5000 francs")
    assert understood(chat.text) and "argent" in chat.text
    assert any("référent" in t for t in chat.button_titles)
    await chat.say("j'ai besoin d'argent pour le transport")
    assert understood(chat.text)  # not "je n'ai toujours pas compris" on the second one


async def test_an_insult_gets_a_calm_answer_and_the_next_question_is_served(chat, services):
    await chat.say("t'es nul")
    assert understood(chat.text)
    assert any("référent" in t for t in chat.button_titles)
    await chat.say("formation couture a kafountine")
    assert "CFP d'Abéné" in first_result(chat.text)


async def test_off_topic_says_what_the_bot_does(chat):
    await chat.say("tu supportes le barca ?")
    assert understood(chat.text) and "formations" in chat.text


async def test_sms_insult_in_wolof(chat):
    await chat.say("ku dof nga")
    assert understood(chat.text)


async def test_asking_for_a_call_gets_a_person_who_answers_in_writing(chat, services):
    await chat.say("appelle moi stp")
    assert understood(chat.text) and "référent" in chat.text
    with services.db.session() as session:
        assert session.scalar(select(func.count()).select_from(HandoffTicket)) == 1


async def test_a_phone_request_not_understood_by_the_classifier_still_gets_the_call_answer(chat):
    await chat.say("wesh rappelez moi svp")
    assert understood(chat.text) and "référent" in chat.text


# -- events ----------------------------------------------------------------------------

async def test_the_named_forum_gets_its_own_date(chat):
    await chat.say("le forum de l'insertion c'est quand ?")
    assert "19 mars 2027" in chat.text
    assert "12 décembre" not in chat.text and "16 janvier" not in chat.text


async def test_open_day_of_a_named_place(chat):
    await chat.say("les portes ouvertes de Coubanao")
    assert "13 février 2027" in chat.text
    assert "12 décembre" not in chat.text


async def test_open_day_of_a_named_savoie_centre(chat):
    await chat.say("c'est quand la journée portes ouvertes de l'E2C ?")
    assert "6 février 2027" in chat.text and "Aldabar" not in chat.text


async def test_open_day_list_stays_in_savoie_for_a_savoie_person(chat):
    await chat.say("formation cuisine a chambery")
    await chat.say("c'est quand les portes ouvertes ?")
    assert "E2C" in chat.text
    assert not re.search(r"Aldabar|Abéné|Coubanao|Forum", chat.text)


async def test_open_day_list_stays_in_bignona_for_a_bignona_person(chat):
    await chat.say("dama bëgg jàng couture ci Kafountine")
    await chat.say("kañ la portes ouvertes yi")
    assert "16 janvier 2027" in chat.text  # Abéné, in the person's own area, first
    assert "E2C" not in chat.text and "Chambéry" not in chat.text


async def test_a_past_open_day_is_never_given(chat):
    await chat.say("les portes ouvertes du CFP de Baïla c'est quand ?")
    assert "novembre" not in chat.text  # 7 November 2026 is past
    assert any("prévenir" in t.lower() for t in chat.button_titles)
