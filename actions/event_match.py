"""Which event a question is about: a named event ("le forum de l'insertion"), a centre's open day."""
from __future__ import annotations

from bot.catalogue.model import Event, Place
from bot.nlu.text import normalize

MIN_WORD = 4  # shorter title words ("de", "du", "l") say nothing about which event


def distinctive_words(events: list[Event], places: tuple[Place, ...], generic: frozenset[str]) -> dict[str, set[str]]:
    """Per event id, the title words no other event shares (place names and generic words left out)."""
    place_words = {w for p in places for name in (p.commune, *p.aliases) for w in normalize(name).split()}
    words = {e.id: {w for w in normalize(e.titre).split() if len(w) >= MIN_WORD} - generic - place_words for e in events}
    counts: dict[str, int] = {}
    for bag in words.values():
        for word in bag:
            counts[word] = counts.get(word, 0) + 1
    return {event_id: {w for w in bag if counts[w] == 1} for event_id, bag in words.items()}


def events_named(
    events: list[Event], text: str, places: tuple[Place, ...], generic: frozenset[str]
) -> list[Event]:
    """Events whose own title words appear in the message, best match first."""
    said = set(normalize(text).split())
    own = distinctive_words(events, places, generic)
    scored = [(len(own[e.id] & said), e) for e in events]
    best = max((score for score, _ in scored), default=0)
    return [e for score, e in scored if best and score == best]


def events_of_centre(events: list[Event], centre: str) -> list[Event]:
    wanted = centre.casefold()
    return [e for e in events if e.centre and e.centre.casefold() == wanted]


def events_at(events: list[Event], place: Place) -> list[Event]:
    names = {n.casefold() for n in (place.commune, *place.aliases)}
    return [e for e in events if e.lieu.casefold() in names]
