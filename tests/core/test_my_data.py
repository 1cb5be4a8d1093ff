"""« Qu'est-ce que tu sais sur moi ? » answers from what is really stored, in French or Wolof."""
from __future__ import annotations

from bot.core.messages import IncomingMessage
from tests.core.conftest import Chat

TG_ID = "424242"


async def _say(services, text: str, name: str | None = "Awa Diatta"):
    return await services.conversation.handle(IncomingMessage("telegram", TG_ID, text=text, display_name=name))


async def test_a_new_person_hears_only_the_basics(services):
    await _say(services, "bonjour")
    [reply] = await _say(services, "qu'est-ce que tu sais sur moi ?")
    assert "Voici tout ce que je garde sur toi" in reply.text
    assert "identifiant Telegram, chiffré" in reply.text
    assert "Awa (vu seulement" in reply.text and "Diatta" not in reply.text
    assert "abonnement" not in reply.text and "demande" not in reply.text
    assert TG_ID not in reply.text
    assert [b.payload for b in reply.buttons] == ["/delete_my_data"]


async def test_what_the_person_did_shows_up(services):
    await _say(services, "formation couture a coubalan")
    await _say(services, "previens moi des portes ouvertes")
    await _say(services, "je veux parler a un referent")
    person = services.persons.find("telegram", TG_ID)
    services.unanswered.record(person.id, "une question", "nlu_fallback", 0.1, "fr")
    [reply] = await _say(services, "tu gardes quoi sur moi")
    text = reply.text
    assert "ta dernière recherche : Couture" in text
    assert "ton abonnement aux annonces (Bignona" in text
    assert "1 demande(s) de référent" in text and "365 jours" in text
    assert "1 question(s)" in text


async def test_wolof_question_gets_the_wolof_frame(services):
    chat = Chat(services.conversation, user="wolof-1")
    await chat.say("lan nga xam ci man ?")
    assert "Lii la denc ci yaw" in chat.text
    assert "far sama xibaar" in chat.text
