"""Plain language for a 16-year-old: the checker itself, and a sweep of replies in both territories."""
from __future__ import annotations

import re

import pytest
import yaml

from bot.settings import PROJECT_ROOT
from tests.core.conversations.conftest import PlainChat
from tests.core.conversations.plain import MAX_REPLY, problems


@pytest.mark.parametrize("bad", [
    "Contact : Référent cellule d'appui à l'insertion (RCAI)",
    "Centre de Bignona (bassin Bignona-Kalounayes)",
    "Diplôme : Titre professionnel niveau 3",
    "Voici ce que j'ai trouvé près de Albertville :",
    "x" * (MAX_REPLY + 1),
    "9 mois · 25 000 FCFA\nContact : Accueil AFPA (à confirmer)",
])
def test_the_checker_catches(bad):
    assert problems(bad)


@pytest.mark.parametrize("good", [
    "J'ai trouvé près d'Albertville :\n1. Soudeur — AFPA Chambéry\n   6 mois · Gratuit (à confirmer)",
    "Tu es à Bignona (Sénégal) ou en Savoie (France) ?",
])
def test_the_checker_lets_plain_replies_through(good):
    assert not problems(good)


def test_french_texts_speak_no_jargon():
    texts = yaml.safe_load((PROJECT_ROOT / "content" / "texts.yml").read_text(encoding="utf-8"))
    guidance = yaml.safe_load((PROJECT_ROOT / "content" / "guidance.yml").read_text(encoding="utf-8"))
    filled = {key: re.sub(r"\{[a-z_]+\}", "X", value["fr"]) for key, value in texts.items()}
    found = {key: problems(text) for key, text in filled.items() if problems(text)}
    for topic, entry in guidance["topics"].items():
        for territoire in ("bignona", "savoie"):
            if entry.get(territoire) and problems(entry[territoire]):
                found[f"{topic}.{territoire}"] = problems(entry[territoire])
    assert not found


SWEEP = [
    "bonjour", "aide", "formation solaire", "voir plus", "c'est combien ?", "le cfp d'aldabar c'est ou ?",
    "c'est quand les portes ouvertes ?", "previens moi des portes ouvertes", "je cherche du travail",
    "je veux creer mon entreprise", "je sais pas quoi faire comme metier", "formation menuiserie a albertville",
    "formation plomberie", "les formations a aix", "j'ai arrêté l'école en 5e", "j'ai 15 ans", "merci", "au revoir",
]


@pytest.mark.parametrize("who", ["savoyard", "bignonois"])
@pytest.mark.parametrize("part", [SWEEP[:9], SWEEP[9:]], ids=["first", "second"])
async def test_every_reply_of_a_long_conversation_is_plain(request, who, part):
    # Nine messages per conversation: more in a minute would trip the flood guard.
    chat: PlainChat = request.getfixturevalue(who)
    for text in part:
        await chat.say(text)  # PlainChat fails on the first reply that is too long or speaks jargon
    assert len(chat.transcript) >= len(part)


async def test_wolof_conversation_stays_in_wolof_where_texts_have_it(unknown):
    unknown.language = "wo"
    await unknown.say("nanga def")
    await unknown.say("dama bëgg jàng togg")
    assert "Lii laa gis" in unknown.text and "J'ai trouvé" not in unknown.text
    await unknown.say("fan laa mëna jàng kurant ?")
    assert "Lii laa gis" in unknown.text
