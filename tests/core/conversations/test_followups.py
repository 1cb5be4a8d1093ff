"""Follow-ups that keep the thread (issue 9 §4): each answer is about *that* course or centre.

Whole conversations through the real core; the checks are on substance (which
centre, which duration, cost, contact, date), compared with the catalogue itself.
"""
from __future__ import annotations

import re

from tests.core.conftest import Chat
from tests.core.conversations.replies import first_result, plain


def course(services, course_id):
    return services.catalogue.by_id[course_id]


async def test_every_follow_up_about_the_first_result_answers_from_that_course(chat, services):
    aldabar = course(services, "BIG-ALD-01")
    await chat.say("je cherche une formation en solaire a bignona")
    assert aldabar.centre in first_result(chat.text)

    await chat.say("il est où ce centre ?")
    assert aldabar.centre in chat.text and aldabar.commune in chat.text
    await chat.say("et le numéro ?")
    assert plain(aldabar.contact) in chat.text
    await chat.say("ça dure combien ?")
    assert aldabar.duree in chat.text and "Thionck" not in chat.text
    await chat.say("c'est payant ?")
    assert aldabar.cout in chat.text
    await chat.say("il faut quel niveau ?")
    assert plain(aldabar.acces) in chat.text
    await chat.say("c'est pour les filles aussi ?")
    assert "filles" in chat.text and aldabar.formation in chat.text


async def test_trades_it_leads_to_come_from_the_filiere_debouches(chat, services):
    jobs = services.catalogue.filiere_by_code["solaire"].debouches
    await chat.say("formation solaire a bignona")
    await chat.say("ça mène à quel métier ?")
    assert all(job in chat.text for job in jobs)
    assert not re.search(r"\d", chat.text.split(":", 1)[1])  # jobs only: never a salary


async def test_their_open_day_is_the_shown_centres_own_next_open_day(chat):
    await chat.say("solaire a bignona")
    await chat.say("c'est quand leur porte ouverte ?")
    assert "12 décembre 2026" in chat.text  # CFP d'Aldabar
    assert "13 février 2027" not in chat.text and "Coubanao" not in chat.text


async def test_le_2_makes_the_second_result_that_course(chat, services):
    baila = course(services, "BIG-BAI-04")
    await chat.say("solaire a bignona")
    second = re.findall(r"^2\. .+$", chat.text, flags=re.M)[0]
    assert baila.centre in second
    await chat.say("le 2")
    assert baila.formation in chat.text and baila.duree in chat.text
    await chat.say("ça dure combien ?")
    assert baila.duree in chat.text and course(services, "BIG-ALD-01").duree not in chat.text


async def test_the_chosen_centre_has_no_open_day_announced_and_a_past_one_is_never_given(chat):
    await chat.say("solaire a bignona")
    await chat.say("le deuxième")
    await chat.say("c'est quand leur porte ouverte ?")
    assert "Baïla" in chat.text
    assert "novembre" not in chat.text  # its open day of 7 November 2026 is past
    assert "12 décembre" not in chat.text  # not Aldabar's
    assert any("prévenir" in t for t in chat.button_titles)


async def test_celui_de_baila_chooses_by_place(chat, services):
    baila = course(services, "BIG-BAI-04")
    await chat.say("jveu fer le solaire a bignona")
    await chat.say("celui de Baïla")
    assert baila.formation in chat.text and baila.cout in chat.text
    await chat.say("et le numéro ?")
    assert plain(baila.contact) in chat.text and "joindre le CFP de Baïla" in chat.text
    await chat.say("il est ou ce centre")
    assert chat.text.startswith("Le CFP de Baïla est à ")


async def test_sms_la_deuxieme_then_price(chat, services):
    coubanao = course(services, "BIG-COU-03")
    await chat.say("jve fer la couture a kafountine")
    assert "CFP d'Abéné" in first_result(chat.text)
    await chat.say("la deuxieme")
    assert coubanao.formation in chat.text
    await chat.say("c combien")
    assert coubanao.cout in chat.text and "20 000" not in chat.text


async def test_et_a_diouloulou_searches_the_same_trade_there_then_follow_ups_follow(chat, services):
    diouloulou = course(services, "BIG-DIO-02")
    await chat.say("formation mecanique auto a kafountine")
    await chat.say("et à Diouloulou ?")
    assert diouloulou.centre in first_result(chat.text)
    await chat.say("ça dure combien ?")
    assert diouloulou.duree in chat.text and diouloulou.formation in chat.text


async def test_a_number_beyond_the_list_asks_which_one(chat):
    await chat.say("solaire a bignona")
    await chat.say("le 6")
    assert "Durée" not in chat.text and "numéro" in chat.text


async def test_a_follow_up_without_any_result_asks_what_course(chat):
    await chat.say("ça dure combien ?")
    assert "Durée" not in chat.text and "mois" not in chat.text
    assert [b.payload for r in chat.last for b in r.buttons] == ["/search_training"]


async def test_everything_button_after_a_short_answer_gives_the_whole_sheet(chat, services):
    abene = course(services, "BIG-ABE-04")
    await chat.say("couture a kafountine")
    await chat.say("c'est payant ?")
    await chat.press("Tout sur cette formation")
    assert all(v in chat.text for v in (abene.duree, abene.cout, plain(abene.acces), plain(abene.certification), plain(abene.contact)))


async def test_open_days_button_after_a_detail_is_that_centres_date(chat):
    await chat.say("couture a kafountine")
    await chat.say("ça dure combien ?")
    await chat.press("Portes ouvertes")
    assert "16 janvier 2027" in chat.text  # CFP d'Abéné
    assert "12 décembre" not in chat.text


async def test_savoie_electricity_contact_cost_and_trades(chat, services):
    afpa = course(services, "SAV-AFP-01")
    await chat.say("formation electricien a chambery")
    assert afpa.centre in first_result(chat.text)
    await chat.say("comment je les contacte ?")
    assert plain(afpa.contact) in chat.text and "Cellule" not in chat.text and "joindre l'AFPA" in chat.text
    await chat.say("c'est payant ?")
    assert afpa.cout in chat.text and "FCFA" not in chat.text
    await chat.say("ça mène à quel métier ?")
    assert services.catalogue.filiere_by_code["electricite"].debouches[0] in chat.text


async def test_savoie_cuisine_duration_and_level(chat, services):
    bourg = course(services, "SAV-BSM-01")
    await chat.say("je veux faire cuisine vers bourg saint maurice")
    assert bourg.centre in first_result(chat.text)
    await chat.say("ça dure combien ?")
    assert bourg.duree in chat.text
    await chat.say("il faut quel niveau ?")
    assert plain(bourg.acces) in chat.text


async def test_savoie_e2c_their_open_day(chat):
    await chat.say("remise a niveau a chambery")
    assert "E2C" in first_result(chat.text)
    await chat.say("c'est quand leur porte ouverte ?")
    assert "6 février 2027" in chat.text and "Aldabar" not in chat.text


async def test_wolof_price_and_place_of_the_shown_course(chat, services):
    abene = course(services, "BIG-ABE-04")
    await chat.say("dama bëgg jàng couture ci Kafountine")
    assert abene.centre in first_result(chat.text)
    await chat.say("ñaata la ?")
    assert abene.cout in chat.text
    await chat.say("fan la nekk ?")
    assert abene.commune in chat.text and abene.centre in chat.text


async def test_wolof_second_result(chat, services):
    await chat.say("dama bëgg jàng solaire ci Bignona")
    await chat.say("ñaareel bi")
    assert course(services, "BIG-BAI-04").formation in chat.text


async def test_wolof_follow_ups_and_buttons_are_answered_in_wolof(chat, services):
    """Short follow-ups (« fan la ? », « ban diir ? ») and button presses carry no language of
    their own: a Wolof conversation stays in Wolof."""
    abene = course(services, "BIG-ABE-04")
    await chat.say("dama bëgg jàng couture ci Kafountine")
    await chat.say("fan la ?")
    assert abene.commune in chat.text and "nekk na ci" in chat.text and " est à " not in chat.text
    await chat.say("ban diir ?")
    assert abene.duree in chat.text and "diir" in chat.text and "dure " not in chat.text
    await chat.press("Lépp")
    assert abene.cout in chat.text and "Xaalis" in chat.text and "Coût" not in chat.text
    assert "Wax ak ab nit" in chat.button_titles
    await chat.say("je veux apprendre la menuiserie")  # French again: answered in French
    assert "J'ai trouvé" in chat.text


async def test_two_people_keep_their_own_thread(services):
    awa, paul = Chat(services.conversation, user="awa"), Chat(services.conversation, user="paul")
    await awa.say("couture a kafountine")
    await paul.say("electricien a chambery")
    await awa.say("ça dure combien ?")
    await paul.say("ça dure combien ?")
    assert course(services, "BIG-ABE-04").duree in awa.text and "AFPA" not in awa.text
    assert course(services, "SAV-AFP-01").duree in paul.text and "Abéné" not in paul.text


async def test_sms_and_wolof_follow_ups_about_their_centre(chat, services):
    abene = course(services, "BIG-ABE-04")
    await chat.say("jvé fer la couture a kafountine")
    await chat.say("sa dure cb")
    assert abene.duree in chat.text and abene.formation in chat.text
    await chat.say("kañ la seen portes ouvertes")  # "seen": their
    assert "16 janvier 2027" in chat.text and "12 décembre" not in chat.text
    await chat.say("ndax jigéen yi mën nañu ko jàng ?")
    assert abene.formation in chat.text and "Waaw" in chat.text


async def test_a_follow_up_the_classifier_hesitates_on_still_keeps_the_thread(chat, services):
    abene = course(services, "BIG-ABE-04")
    await chat.say("couture a kafountine")
    await chat.say("cé payan ?")
    assert abene.cout in chat.text and "compris" not in chat.text


async def test_a_service_is_not_a_course_of_some_months(chat, services):
    """The CIO's interview is « 1 rendez-vous », the PIJ's « Accueil libre »: never « dure 1
    rendez-vous » or « une formation de Accueil libre »."""
    cio = course(services, "SAV-CIO-01")
    await chat.say("cio chambery")
    assert cio.centre in first_result(chat.text)
    assert "ta commune" not in chat.text  # the centre asked for by name is the one wanted
    await chat.say("ça dure combien ?")
    assert cio.duree in chat.text and " dure " not in chat.text
    await chat.say("c'est payant ?")
    assert cio.cout in chat.text and cio.duree in chat.text and "formation de" not in chat.text


async def test_c_paye_is_a_question_about_the_cost_not_a_worry(chat, services):
    """« payé » is also a worrying word (« mon patron ne me paye pas »): a plain « c payé ? »
    must be understood as the question it is, not answered with help lines."""
    bourg = course(services, "SAV-BSM-01")
    await chat.say("formation cuisine a chambery")
    for question in ("c payé ?", "l apprenti est payé ?", "c'est rémunéré ?"):
        await chat.say(question)
        assert bourg.cout in chat.text and "3114" not in chat.text


async def test_papers_housing_and_salary_get_honest_answers_about_that_course(chat, services):
    coubanao = course(services, "BIG-COU-03")
    jobs = services.catalogue.filiere_by_code[coubanao.filiere].debouches
    await chat.say("formation couture a bignona")
    assert coubanao.centre in first_result(chat.text)
    await chat.say("il faut quels papiers pour s inscrire ?")
    assert coubanao.cout in chat.text and plain(coubanao.contact) in chat.text
    await chat.say("ya un internat ?")
    assert "Je ne sais pas" in chat.text and plain(coubanao.contact) in chat.text
    await chat.say("c quoi le salaire apres ?")
    assert jobs[0] in chat.text and not re.search(r"\d", chat.text)  # the trades, never a figure


async def test_a_statement_about_oneself_inside_a_follow_up_gets_its_own_answer(chat, services):
    """« j'ai pas de papiers, je peux faire la formation ? » is not a request for the course sheet."""
    said = services.texts.guidance["profile"]
    await chat.say("formation couture a bignona")
    await chat.say("j ai pas de papiers je peux faire la formation ?")
    assert said["no_papers"]["fr"] in chat.text and "Durée" not in chat.text
    await chat.say("je suis en fauteuil c est accessible ?")
    assert said["wheelchair"]["fr"] in chat.text
