"""Which action answers a parsed message, given what the bot just asked.

A few explicit rules, in order, first match wins — the same idea as
python-telegram-bot's handler list. Everything not covered maps intent → action.
"""
from __future__ import annotations

from typing import Any

from bot.nlu.text import normalize

INTENT_ACTIONS = {
    "greet": "action_greet",
    "goodbye": "action_goodbye",
    "thank": "action_thank",
    "affirm": "action_acknowledge",
    "deny": "action_acknowledge",
    "search_training": "action_search_training",
    "training_details": "action_training_details",
    "centre_info": "action_centre_info",
    "orientation_help": "action_orientation_help",
    "job_search": "action_job_search",
    "entrepreneurship": "action_entrepreneurship",
    "open_days": "action_open_days",
    "subscribe_alerts": "action_subscribe_alerts",
    "unsubscribe_alerts": "action_unsubscribe_alerts",
    "talk_to_human": "action_talk_to_human",
    "bot_challenge": "action_bot_challenge",
    "delete_my_data": "action_ask_delete_my_data",
    "help": "action_help",
    "inform_location": "action_inform_location",
    "inform_profile": "action_inform_profile",
    "out_of_scope": "action_default_fallback",
}
INTENTS = tuple(INTENT_ACTIONS)
FALLBACK = "action_default_fallback"

# Answers to a yes/no question the bot asked: pending → (on yes, on no).
YES_NO_QUESTIONS = {
    "confirm_delete": ("action_delete_my_data", "action_delete_cancelled"),
    "offer_referent": ("action_talk_to_human", "action_help"),
}


# Opting out must work from any state and never depend on the classifier.
STOP_WORDS = {"stop", "stopp", "arret", "arreter", "arrete", "desabonne", "desabonne moi", "desinscris moi"}


def is_stop(text: str) -> bool:
    return normalize(text) in STOP_WORDS


def _names_a_place(parse: dict[str, Any]) -> bool:
    return any(e.get("entity") == "lieu" for e in parse.get("entities", []))


def next_action(parse: dict[str, Any], slots: dict[str, Any], threshold: float) -> str:
    if is_stop(parse.get("text") or ""):
        return "action_unsubscribe_alerts"
    intent = parse.get("intent", {}).get("name") or "out_of_scope"
    confidence = float(parse.get("intent", {}).get("confidence") or 0.0)
    understood = confidence >= threshold and intent != "out_of_scope"
    pending = slots.get("pending")

    if pending in YES_NO_QUESTIONS and understood and intent in ("affirm", "deny"):
        on_yes, on_no = YES_NO_QUESTIONS[pending]
        return on_yes if intent == "affirm" else on_no
    if pending == "confirm_delete" and intent == "delete_my_data" and understood:
        # "oui supprime tout" parses as delete_my_data again: that is a yes.
        return "action_delete_my_data"
    if pending == "territory" and (intent == "inform_location" or not understood or _names_a_place(parse)):
        # The answer to « Bignona ou Savoie ? », typed or pressed.
        return "action_inform_location"
    if not understood:
        entities = {e.get("entity") for e in parse.get("entities", [])}
        # Follow-ups that name only a trade or a place ("et à Baïla ?", "couture")
        # continue the search rather than fall back.
        if "filiere" in entities or "centre" in entities or ("lieu" in entities and slots.get("filiere")):
            return "action_search_training"
        return FALLBACK
    return INTENT_ACTIONS.get(intent, FALLBACK)
