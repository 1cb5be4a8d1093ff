"""Whole conversations where a young person says they are in danger (real core, SQLite).

Checked: the help lines of THEIR territory, an offer of a human, an urgent request in the queue,
what the referent sees — and never a menu, a course list, "pas compris" or an unsubscribe reply.
"""
from __future__ import annotations

import asyncio

import pytest

from bot.core.messages import IncomingMessage
from tests.core.conftest import Chat
from tests.handoff.conftest import FakeOutbox

SAVOIE, BIGNONA, BOTH = "savoie", "bignona", "both"
NOT_UNDERSTOOD = ("pas compris", "pas bien compris", "dégguma")


@pytest.fixture
async def outbox(services) -> FakeOutbox:
    box = FakeOutbox()
    services.handoff.ports.register("telegram", box)
    services.handoff.ports.register("whatsapp", box)
    # As in `serve`: a notification queued behind another one for the same referent is sent
    # by the outbox pump once the first is done.
    services.handoff.outbox.start()
    yield box
    await services.handoff.outbox.stop()


async def arrived(outbox: FakeOutbox, referent: str, part: str, timeout: float = 5.0) -> list[str]:
    """Referent notifications leave through the durable outbox after the turn commits: wait for them."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not any(part in text for text in outbox.texts_to(referent)):
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"nothing with {part!r} reached {referent}: {outbox.texts_to(referent)}")
        await asyncio.sleep(0.02)
    return outbox.texts_to(referent)


def savoie_youth(services, user="33612345678") -> Chat:
    return Chat(services.conversation, user=user, channel="whatsapp")


def bignona_youth(services, user="221771234567") -> Chat:
    return Chat(services.conversation, user=user, channel="whatsapp")


def urgent(services):
    return [t for t in services.handoffs.all_tickets() if t.urgent]


def assert_safety_reply(services, chat: Chat, territory: str) -> None:
    text = chat.text
    if territory in (SAVOIE, BOTH):
        assert "3114" in text and "119" in text
    if territory in (BIGNONA, BOTH):
        assert "116" in text and "17" in text
    if territory == SAVOIE:
        assert "116" not in text and "sapeurs" not in text
    if territory == BIGNONA:
        assert "3114" not in text and "119" not in text
    assert not any(phrase in text.lower() for phrase in NOT_UNDERSTOOD)
    assert "ne recevras plus" not in text  # not the unsubscribe reply
    assert not any(centre in text for centre in services.catalogue.centres)  # no course list
    titles = chat.button_titles
    assert titles and all(t in ("Parler à quelqu'un", "Wax ak ab nit") for t in titles)  # no menu


async def test_savoie_sms_suicide_gets_3114_and_an_urgent_request(services, outbox):
    chat = savoie_youth(services)
    await chat.say("slt")
    await chat.say("jvé me tuer")
    assert_safety_reply(services, chat, SAVOIE)
    [ticket] = urgent(services)
    assert ticket.trigger_text == "jvé me tuer" and ticket.status == "waiting"


async def test_bignona_wolof_answered_in_wolof_with_senegal_lines(services, outbox):
    chat = bignona_youth(services)
    await chat.say("salamaleekum")
    await chat.say("dama bëgg dee")
    assert_safety_reply(services, chat, BIGNONA)
    assert "Jërëjëf" in chat.text and chat.button_titles == ["Wax ak ab nit"]
    assert "à confirmer par la coordination" in chat.text  # next to the unverified numbers
    assert len(urgent(services)) == 1


async def test_answered_in_the_language_of_the_distress_message_itself(services, outbox):
    chat = bignona_youth(services)
    await chat.say("dama bëgg jàng mekanik")  # Wolof remembered
    await chat.say("je veux plus vivre")  # written in French: read in French
    assert_safety_reply(services, chat, BIGNONA)
    assert chat.button_titles == ["Parler à quelqu'un"] and "Jërëjëf" not in chat.text


async def test_unknown_territory_gets_both_territories_without_a_question_first(services, outbox):
    chat = Chat(services.conversation, user="jeune-x")
    await chat.say("mon oncle me touche")
    assert_safety_reply(services, chat, BOTH)
    assert "?" not in chat.text.split("\n")[0]
    assert urgent(services)[0].topic["distress"] == "abus_sexuel"


async def test_savoie_search_then_violence_at_work(services, outbox):
    chat = Chat(services.conversation, user="jeune-savoie")
    await chat.say("formation plomberie à Chambéry")
    await chat.say("le patron du garage me bat")
    assert_safety_reply(services, chat, SAVOIE)


async def test_bignona_search_then_unpaid_work(services, outbox):
    chat = Chat(services.conversation, user="jeune-bignona")
    await chat.say("je veux apprendre le solaire à Bignona")
    await chat.say("mon patron me paie pas depuis 4 mois et il a pris mon passeport")
    assert_safety_reply(services, chat, BIGNONA)
    assert urgent(services)[0].topic["distress"] == "exploitation"


async def test_distress_wins_over_the_delete_confirmation_and_a_later_yes_deletes_nothing(services, outbox):
    chat = savoie_youth(services)
    await chat.say("supprime mes données")
    assert "efface" in chat.text
    await chat.say("je veux plus vivre")
    assert_safety_reply(services, chat, SAVOIE)
    await chat.say("oui")
    assert "tout ce que je savais sur toi est effacé" not in chat.text
    assert services.persons.find("whatsapp", chat.user) is not None and len(urgent(services)) == 1


async def test_stop_in_a_distress_message_is_not_an_unsubscribe(services, outbox):
    chat = savoie_youth(services)
    await chat.say("je veux recevoir les infos")
    await chat.say("stop il va me tuer")
    assert_safety_reply(services, chat, SAVOIE)
    assert urgent(services)[0].topic["distress"] == "violence"


async def test_second_distress_message_no_duplicate_but_help_lines_again(services, outbox):
    services.handoff.referents.add("Awa", "9001", "Bignona")
    chat = bignona_youth(services)
    await chat.say("mon père me frappe")
    assert "va t'écrire" in chat.text
    await chat.say("il m'a encore frappé ce soir j'ai peur de rentrer")
    assert_safety_reply(services, chat, BIGNONA)
    assert "déjà dans la file" in chat.text
    [ticket] = services.handoffs.all_tickets()
    assert "encore frappé" in ticket.trigger_text and "mon père me frappe" in ticket.trigger_text


async def test_an_ordinary_request_is_upgraded_to_urgent(services, outbox):
    chat = Chat(services.conversation, user="jeune-y")
    await chat.say("je veux parler à un référent")
    [ticket] = services.handoffs.all_tickets()
    assert not ticket.urgent
    await chat.say("en fait mon beau-père frappe ma mère et moi aussi")
    assert_safety_reply(services, chat, BOTH)
    [upgraded] = services.handoffs.all_tickets()
    assert upgraded.id == ticket.id and upgraded.urgent


async def test_the_referent_holding_the_chat_gets_it_flagged_and_the_young_person_the_lines(services, outbox):
    awa = services.handoff.referents.add("Awa", "9001", "Bignona")
    chat = bignona_youth(services)
    await chat.say("je veux parler à quelqu'un")
    [ticket] = services.handoffs.all_tickets()
    await services.handoff.service.claim(awa, ticket.id)
    outbox.clear()
    await chat.say("j'ai envie d'en finir")
    assert "116" in chat.text and "Awa a reçu ton message" in chat.text
    [flagged] = await arrived(outbox, "9001", "URGENT")
    assert "j'ai envie d'en finir" in flagged
    await chat.say("merci")
    assert chat.last == []  # back to the referent: the bot stays silent again
    assert "merci" in (await arrived(outbox, "9001", "merci"))[-1]


async def test_nobody_on_duty_the_young_person_is_told_honestly(services, outbox):
    chat = savoie_youth(services)
    await chat.say("je suis en danger")
    assert_safety_reply(services, chat, SAVOIE)
    assert "Personne de l'équipe n'est disponible" in chat.text and "dès que possible" not in chat.text
    assert len(urgent(services)) == 1


async def test_every_present_referent_is_alerted_and_the_one_who_takes_it_sees_the_message(services, outbox):
    repo = services.handoff.referents
    awa, claire = repo.add("Awa", "9001", "Bignona"), repo.add("Claire", "9003", "Chambéry")
    absent = repo.add("Marc", "9004", "Chambéry")
    repo.set_present(absent.id, False)
    chat = bignona_youth(services)
    await chat.say("ils me harcèlent au lycée tous les jours")
    assert "va t'écrire ici" in chat.text
    for rid in ("9001", "9003"):
        await arrived(outbox, rid, "URGENT")
    assert outbox.to("9004") == []
    [ticket] = urgent(services)
    replies = await services.handoff.service.take_next(claire)
    assert "ils me harcèlent au lycée tous les jours" in replies[0].text
    assert "ils me harcèlent" not in " ".join(outbox.texts_to("9001"))  # only the taker reads it
    assert services.handoffs.get(ticket.id).referent_id == claire.id and awa.id != claire.id


async def test_wolof_violence_from_senegal(services, outbox):
    chat = bignona_youth(services)
    await chat.say("sama baay mu ngi may dóor")
    assert_safety_reply(services, chat, BIGNONA)


async def test_harassment_savoie(services, outbox):
    chat = savoie_youth(services, user="33698765432")
    await chat.say("bonjour")
    await chat.say("je suis harcelée sur insta et j'ose plus aller en cours")
    assert_safety_reply(services, chat, SAVOIE)


async def test_pressing_the_human_button_keeps_one_request(services, outbox):
    chat = savoie_youth(services)
    await chat.say("j'ai envie de mourir")
    await chat.press("Parler")
    assert "n°1" in chat.text
    assert len(services.handoffs.all_tickets()) == 1 and urgent(services)


async def test_deleting_my_data_after_an_alert_erases_the_trigger(services, outbox):
    chat = Chat(services.conversation, user="jeune-z")
    await chat.say("je veux mourir")
    assert urgent(services)
    await chat.say("supprime mes données")
    await chat.say("oui")
    assert "effacé" in chat.text
    assert services.handoffs.all_tickets() == []


async def test_a_long_message_is_read_to_the_end(services, outbox):
    chat = savoie_youth(services)
    story = "Je suis en apprentissage de mécanique à Chambéry et ça se passe moyen. " * 20
    await chat.say(story + "Et le soir mon oncle me frappe.")
    assert_safety_reply(services, chat, SAVOIE)


async def test_after_misunderstandings_distress_is_still_caught(services, outbox):
    chat = bignona_youth(services)
    await chat.say("xqzt blorp")
    await chat.say("zzz")
    await chat.say("au secours on veut me marier de force")
    assert_safety_reply(services, chat, BIGNONA)
    assert urgent(services)[0].topic["distress"] == "danger"


@pytest.mark.parametrize("text", [
    "je meurs de faim, y a une formation cuisine à Bignona ?",
    "ça me tue de rire ton bot",
    "mon patron est dur mais juste, je veux faire menuiserie",
    "le solaire c'est mortel, où apprendre ?",
    "formation pour frapper le fer, forgeron",
])
async def test_ordinary_messages_sharing_words_get_an_ordinary_answer(services, outbox, text):
    chat = bignona_youth(services)
    await chat.say(text)
    assert urgent(services) == [] and "3114" not in chat.text and "116" not in chat.text


async def test_caption_of_a_photo_is_checked_too(services, outbox):
    from bot.core.messages import MessageKind

    await services.conversation.handle(IncomingMessage(
        "whatsapp", "33611112222", text="regarde ce qu'il m'a fait, il m'a frappé", kind=MessageKind.IMAGE))
    assert len(urgent(services)) == 1


async def test_second_net_not_understood_but_worrying_gets_help_lines_without_an_alert(services, outbox):
    chat = savoie_youth(services)
    await chat.say("bonjour")
    await chat.say("ils m'insultent à la récré et moi je dis rien")
    assert "3114" in chat.text and "119" in chat.text
    assert "pas bien compris" not in chat.text and chat.button_titles == ["Parler à quelqu'un"]
    assert services.handoffs.all_tickets() == []  # no urgent request on a single word
    await chat.press("Parler")
    [ticket] = services.handoffs.all_tickets()
    assert not ticket.urgent


async def test_second_net_stays_quiet_when_the_bot_understood(services, outbox):
    chat = bignona_youth(services)
    await chat.say("j'ai peur de rater l'inscription, c'est quand les portes ouvertes ?")
    assert "116" not in chat.text and services.handoffs.all_tickets() == []


async def test_stop_after_an_alert_unsubscribes_but_keeps_the_urgent_request(services, outbox):
    chat = savoie_youth(services)
    await chat.say("je veux recevoir les infos")
    await chat.say("mon père me frappe")
    await chat.say("STOP")
    assert "ne recevras plus" in chat.text
    [ticket] = urgent(services)
    assert ticket.status == "waiting"
    await chat.say("annuler")
    assert services.handoffs.get(ticket.id).status == "cancelled"


async def test_distress_is_answered_even_past_the_flood_limit(tmp_path, nlu_cache_dir):
    from bot.app import build_services
    from bot.settings import Settings
    from tests.core.conftest import TODAY

    settings = Settings(data_dir=tmp_path / "flood", nlu_cache_dir=nlu_cache_dir, redis_url="", database_url="",
                        flood_limit_per_minute=2)
    services = build_services(settings, today=lambda: TODAY)
    try:
        chat = savoie_youth(services)
        for text in ("salut", "salut", "salut", "salut"):
            await chat.say(text)
        assert chat.last == []  # flooding: the bot went quiet
        await chat.say("je veux mourir")
        assert_safety_reply(services, chat, SAVOIE)
    finally:
        services.close()


async def test_envie_de_tout_arreter_is_heard_as_distress_not_as_leaving_school(services, outbox):
    """It was read as « I left school » and answered « C'est noté, merci »."""
    for n, words in enumerate(("jai envie de tout arreter", "des fois j'ai envie de tout lâcher"), start=1):
        chat = Chat(services.conversation, user=f"youth{n}")
        await chat.say(words)
        assert_safety_reply(services, chat, BOTH)
        assert "C'est noté" not in chat.text
        assert len(urgent(services)) == n
