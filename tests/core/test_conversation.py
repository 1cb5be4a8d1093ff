"""Whole turns through the real core: NLU → policy → rasa-sdk actions → replies."""
from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from bot.app import build_services
from bot.core.messages import IncomingMessage, Location, MessageKind
from bot.core.pump import Receipt, handling
from bot.storage.locks import InProcessUserLocks, UserLocks
from bot.storage.models import ConversationState, HandoffTicket, Person, Subscription, UnansweredQuestion
from bot.storage.queue import DurableQueue, InboxItem, QueueItem
from tests.core.conftest import BIGNONA_WHATSAPP, TODAY, Chat


def count(services, model) -> int:
    with services.db.session() as session:
        return session.scalar(select(func.count()).select_from(model))


def course_lines(text: str) -> list[str]:
    return re.findall(r"^\d+\. .+$", text, flags=re.M)


async def test_greeting_offers_the_menu(chat):
    await chat.say("bonjour")
    assert "TerraPro" in chat.text
    titles = chat.button_titles
    assert any("formation" in t for t in titles)
    assert any("Portes ouvertes" in t for t in titles)
    assert any("activité" in t for t in titles)
    assert any("référent" in t for t in titles)


async def test_wolof_greeting_is_answered_in_wolof(chat):
    await chat.say("nanga def")
    assert re.search(r"Salamaleekum|Nanga def|Maa ngi", chat.text)
    assert "Bonjour" not in chat.text


async def test_search_then_place_then_price_keeps_the_context(chat):
    await chat.say("ou apprendre le solaire ?")
    lines = course_lines(chat.text)
    assert 1 <= len(lines) <= 3
    assert "photovolta" in chat.text.lower() or "solaire" in chat.text.lower()

    await chat.say("et à Baïla ?")
    first = course_lines(chat.text)[0]
    assert "CFP de Baïla" in first and "solaire" in first.lower()

    await chat.say("c'est combien ?")
    assert "10 000 FCFA" in chat.text
    assert "4 mois" in chat.text


async def test_place_in_the_question_puts_that_centre_first(chat):
    await chat.say("formation mecanique a diouloulou")
    assert "CFP de Diouloulou" in course_lines(chat.text)[0]
    assert "filles comme aux garçons" in chat.text


async def test_more_results_button_pages_through(chat):
    await chat.say("les formations du cfp d abene")
    assert len(course_lines(chat.text)) == 3
    await chat.press("Voir plus")
    assert course_lines(chat.text) and course_lines(chat.text)[0].startswith("4.")


async def test_open_days_never_lists_past_events(chat):
    await chat.say("c'est quand les portes ouvertes ?")
    assert "Aldabar" in chat.text
    assert "7 novembre 2026" not in chat.text and "Baïla" not in chat.text
    assert any("prévenir" in t for t in chat.button_titles)


async def test_conversation_survives_a_restart(settings):
    first = build_services(settings, today=lambda: TODAY)
    await Chat(first.conversation, user=BIGNONA_WHATSAPP, channel="whatsapp").say("formation couture")
    first.close()
    second = build_services(settings, today=lambda: TODAY)
    chat = Chat(second.conversation, user=BIGNONA_WHATSAPP, channel="whatsapp")
    await chat.say("et a Kafountine ?")
    assert "Couture" in course_lines(chat.text)[0] and "Kafountine" in course_lines(chat.text)[0]
    second.close()


async def test_delete_my_data_after_confirmation(chat, services):
    await chat.say("formation couture a coubalan")
    await chat.say("previens moi des portes ouvertes")
    assert count(services, Subscription) == 1
    await chat.say("supprime mes données")
    assert "définitif" in chat.text
    await chat.press("Oui")
    assert "effacé" in chat.text
    for model in (Person, ConversationState, Subscription, HandoffTicket, UnansweredQuestion):
        assert count(services, model) == 0, model.__name__


async def test_delete_my_data_refused_keeps_everything(chat, services):
    await chat.say("efface mes donnees")
    await chat.press("Non")
    assert "n'efface rien" in chat.text
    assert count(services, Person) == 1


async def test_talk_to_human_records_a_durable_request(chat, services):
    await chat.say("je veux parler a un referent")
    assert "référent" in chat.text and "n°1" in chat.text
    with services.db.session() as session:
        ticket = session.scalars(select(HandoffTicket)).one()
        assert ticket.status == "waiting"
    await chat.say("je veux parler a un referent")
    assert count(services, HandoffTicket) == 1


async def test_second_miss_offers_a_referent(chat, services):
    # Not understood at all (off-topic questions get their own answer: tests/core/conversations).
    await chat.say("blorp zzgrr")
    assert "autrement" in chat.text
    await chat.say("frumpi xkwa")
    assert "référent" in chat.text
    await chat.press("Oui")
    assert count(services, HandoffTicket) == 1


async def test_unanswered_questions_are_recorded_without_phone_numbers(chat, services):
    await chat.say("qui va gagner la can appelle moi au 77 123 45 67")
    with services.db.session() as session:
        row = session.scalars(select(UnansweredQuestion)).one()
    assert "77 123 45 67" not in row.text and "123" not in row.text


async def test_subscribe_and_stop(chat, services):
    await chat.say("je veux recevoir les infos des portes ouvertes")
    assert "STOP" in chat.text
    assert count(services, Subscription) == 1
    await chat.press("Fogny")
    assert "Fogny" in chat.text
    assert services.subscriptions.recipients(territoire="bignona", bassin="Fogny")
    assert not services.subscriptions.recipients(territoire="bignona", bassin="Littoral-Kafountine")
    await chat.say("STOP")
    assert "plus d'annonces" in chat.text
    assert count(services, Subscription) == 0


async def test_bot_challenge_is_honest(chat):
    await chat.say("t'es un robot ou une vraie personne ?")
    assert "assistant automatique" in chat.text


async def test_orientation_help_asks_then_suggests(chat):
    await chat.say("je sais pas quoi faire comme metier")
    assert len(chat.button_titles) >= 4
    await chat.press("Plantes")
    assert "courte" in chat.text.lower()
    await chat.press("Courte")
    assert "filles comme aux garçons" in chat.text
    assert any("Agri" in t or "Agro" in t or "Pêche" in t for t in chat.button_titles)


async def test_job_search_and_entrepreneurship_give_guidance(chat):
    await chat.say("je cherche du travail")
    assert "stage" in chat.text.lower()
    await chat.say("je veux creer mon entreprise")
    assert "activité" in chat.text.lower() or "entreprise" in chat.text.lower()


@pytest.mark.parametrize(
    "text",
    ["", "   \t  ", "😀🙏🔥", "a" * 5000, "bonjour\x00\x07\x1b[31m", "'; DROP TABLE persons; --", "\ufeff\u200b"],
)
async def test_bad_input_gets_a_polite_answer(chat, services, text):
    replies = await chat.say(text)
    assert replies and all(r.text for r in replies)
    assert "souci technique" not in chat.text
    assert count(services, Person) == 1


@pytest.mark.parametrize("kind,expected", [
    (MessageKind.VOICE, "vocaux"), (MessageKind.IMAGE, "photos"), (MessageKind.STICKER, "Écris"),
    (MessageKind.DOCUMENT, "fichiers"), (MessageKind.VIDEO, "vidéos"),
])
async def test_non_text_messages_get_a_polite_answer(chat, kind, expected):
    await chat.send(kind=kind)
    assert expected in chat.text
    assert any("référent" in t for t in chat.button_titles)


async def test_shared_location_picks_the_nearest_commune(chat):
    await chat.say("formation menuiserie")
    await chat.send(kind=MessageKind.LOCATION, location=Location(13.02, -16.57))
    assert "Diouloulou" in chat.text
    assert "Diouloulou" in course_lines(chat.text)[0]


async def test_location_far_from_every_commune_asks_for_it(chat):
    await chat.send(kind=MessageKind.LOCATION, location=Location(14.69, -17.44))  # Dakar
    assert "commune" in chat.text


async def test_remind_me_books_one_reminder_and_subscribes(chat, services):
    from bot.storage.campaigns import Reminder

    await chat.say("c'est quand les portes ouvertes ?")
    await chat.press("Me le rappeler : 12 déc.")
    assert "la veille" in chat.text and "STOP" in chat.text
    await chat.say("c'est quand les portes ouvertes ?")
    await chat.press("Me le rappeler : 12 déc.")
    assert count(services, Reminder) == 1
    assert count(services, Subscription) == 1
    await chat.say("stop")
    assert count(services, Subscription) == 0


@pytest.mark.parametrize("state", ["menu", "confirm_delete", "orientation", "offer_referent", "waiting", "assigned"])
@pytest.mark.parametrize("stop", ["STOP", "désabonne-moi", "/unsubscribe_alerts"])
async def test_opt_out_works_from_every_state(chat, services, state, stop):
    await chat.say("je veux recevoir les infos des portes ouvertes")
    assert count(services, Subscription) == 1
    if state == "menu":
        await chat.say("bonjour")
    elif state == "confirm_delete":
        await chat.say("supprime mes données")
    elif state == "orientation":
        await chat.say("je sais pas quoi faire comme metier")
    elif state == "offer_referent":
        await chat.say("qui a gagné le match hier soir")
        await chat.say("tu aimes la pizza a l'ananas")
    else:
        await chat.say("je veux parler a un referent")
        if state == "assigned":
            ticket = services.handoffs.waiting()[0]
            referent = services.handoff.referents.add("Awa", 900)
            assert services.handoffs.assign(ticket.id, referent_id=referent.id) is not None
    if stop.startswith("/"):
        await chat.send(text="", kind=MessageKind.BUTTON, payload=stop)
    else:
        await chat.say(stop)
    assert count(services, Subscription) == 0


async def test_naming_a_territory_moves_the_search_there_and_keeps_the_trade(chat):
    await chat.say("jveu faire electricien a bignona")
    assert all("Chambéry" not in line for line in course_lines(chat.text))
    await chat.say("et en savoie ?")
    assert "en Savoie" in chat.text
    assert "AFPA Chambéry" in course_lines(chat.text)[0]
    assert all("Bignona" not in line for line in course_lines(chat.text))


async def test_a_trade_not_in_the_catalogue_is_said_plainly_and_recorded(chat, services):
    await chat.say("formation solaire")
    await chat.say("je veux apprendre la danse")
    assert "pas de formation « danse »" in chat.text  # its territory is known: with its own service
    assert count(services, UnansweredQuestion) == 1


async def test_the_stored_state_holds_no_message_text(chat, services):
    await chat.say("formation couture a coubalan, mon numero 771234567")
    await chat.say("c'est combien ?")
    person = services.persons.find(chat.channel, chat.user)
    stored = repr(services.states.load(person.id))
    assert "771234567" not in stored and "numero" not in stored and "combien" not in stored
    assert "couture" in stored  # the slot value, a filière code


async def test_a_lost_database_connection_is_raised_for_a_retry_not_apologised_for(services, monkeypatch):
    """The inbox row goes back and is handled again; an apology would have been final."""
    import sqlalchemy

    from bot.core.messages import IncomingMessage, MessageKind

    lost = sqlalchemy.exc.OperationalError("SELECT 1", {}, Exception("server closed"), connection_invalidated=True)

    def broken(*args, **kwargs):
        raise lost

    monkeypatch.setattr(services.persons, "get_or_create", broken)
    message = IncomingMessage(channel="cli", user_id="jeune-9", text="formation solaire", kind=MessageKind.TEXT)
    with pytest.raises(sqlalchemy.exc.OperationalError):
        await services.conversation.handle(message)
    monkeypatch.setattr(services.persons, "get_or_create", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("bug")))
    [apology] = await services.conversation.handle(message)  # any other failure: a polite answer
    assert apology.text


class RecordingLocks(UserLocks):
    def __init__(self) -> None:
        self.inner = InProcessUserLocks()
        self.held: list[str] = []

    def hold(self, key: str):
        self.held.append(key)
        return self.inner.hold(key)


async def test_a_queue_row_keyed_by_the_person_is_not_locked_again(services):
    """The inbox leases one person's rows one at a time, in order, across processes: a turn
    from such a row needs no per-person lock. Anything else (the terminal, a row keyed by
    someone else) still takes it."""
    locks = RecordingLocks()
    services.storage.locks = locks
    conversation = services.conversation
    inbox = DurableQueue(services.db, InboxItem)
    person = f"whatsapp:{BIGNONA_WHATSAPP}"

    def row(key: str) -> Receipt:
        item = QueueItem(1, "whatsapp", "wamid.1", inbox.key_hash(key), {}, 1, datetime.now(timezone.utc))
        return Receipt(item, inbox)

    message = IncomingMessage("whatsapp", BIGNONA_WHATSAPP, text="bonjour")
    with handling(row(person)):
        assert await conversation.handle(message)
    assert locks.held == []
    with handling(row("whatsapp:221770000099")):
        await conversation.handle(message)
    await conversation.handle(message)
    assert locks.held == [person, person]


async def test_a_commune_named_in_a_message_not_understood_still_sets_the_territory(services):
    """« je sui a albertville je cherche un cap » is not understood, but a Savoie youth must not
    be shown Bignona's courses next."""
    chat = Chat(services.conversation)  # the terminal: no phone number to tell the territory
    await chat.say("slt je sui a albertville je cherche un cap")
    await chat.say("mecanique")
    assert "Savoie" in chat.text and "Bignona" not in chat.text and "FCFA" not in chat.text
