"""The channel-agnostic core: one message in, the replies out.

One turn: find the person, load their state, understand the message, let the
policy choose an action, run it through rasa-sdk's executor, apply its events to
the state, save, and turn the collected responses into ``Reply`` values. Sending
is the channel's job.
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager, nullcontext
from typing import Any, Protocol

from bot.catalogue.model import Place
from bot.catalogue.places import haversine_km
from bot.core import slots as slot_names
from bot.core.action_runner import ActionRunner
from bot.core.distress import Detection
from bot.core.errors import user_message_for
from bot.core.french import de
from bot.core.input import clean
from bot.core.long_message import focus as focus_long_message
from bot.core.messages import Button, IncomingMessage, MessageKind, Reply
from bot.core.phrases import PhraseLists
from bot.core.policy import FALLBACK, next_action
from bot.core.ports import TurnRecorder, turn_facts
from bot.core.pump import current_receipt
from bot.core.safety import SafetyDesk
from bot.core.texts import Texts
from bot.storage.database import connection_lost
from bot.storage.locks import UserLocks
from bot.storage.persons import PersonRepository
from bot.storage.queue import LeaseLost
from bot.storage.records import PersonRecord
from bot.storage.state import ConversationStateStore
from bot.storage.turns import TurnRunner

log = logging.getLogger(__name__)

# One person's flood must not cost everyone else: past this many answered turns in a
# minute, one polite "doucement" and the rest of that minute is not answered.
FLOOD_WINDOW_S = 60.0
FLOOD_LIMIT = 10
# People currently silenced, remembered in memory (a flood costs no database work per message).
MAX_SILENCED = 10_000
MAX_PLACE_KM = 40  # farther than this from every known commune: ask instead of guessing
HISTORY = 5  # past intents kept for the referent's summary (never the texts)
MAX_PENDING_MEDIA = 3  # voice notes / photos waiting for the young person's « yes » to a referent
NON_TEXT_REPLIES = {
    MessageKind.VOICE: "voice",
    MessageKind.IMAGE: "image",
    MessageKind.STICKER: "sticker",
    MessageKind.DOCUMENT: "document",
    MessageKind.VIDEO: "video",
    MessageKind.CONTACT: "contact",
    MessageKind.OTHER: "other_kind",
}


class Understanding(Protocol):
    def parse(self, text: str) -> dict[str, Any]: ...


# Called with a turn's replies inside its unit of work (see ConversationService.handle).
Settle = Callable[[list[Reply]], None]


def _constant(replies: list[Reply]) -> Callable[[], Awaitable[list[Reply]]]:
    async def turn() -> list[Reply]:
        return replies

    return turn


class PlaceFinder(Protocol):
    def nearest_place(self, latitude: float, longitude: float) -> Place: ...


class ConversationGate(Protocol):
    """Something that may take a message before the bot answers it (a referent handling the chat).

    Returns the replies to send instead of the bot's (possibly none), or None to let the bot answer.
    """

    async def intercept(self, person: PersonRecord, message: IncomingMessage) -> list[Reply] | None: ...


class ConversationService:
    def __init__(
        self,
        *,
        nlu: Understanding,
        runner: ActionRunner,
        persons: PersonRepository,
        states: ConversationStateStore,
        texts: Texts,
        places: PlaceFinder,
        locks: UserLocks,
        threshold: float,
        gate: ConversationGate | None = None,
        safety: SafetyDesk | None = None,
        flood_limit: int = FLOOD_LIMIT,
        clock: Callable[[], float] = time.time,
        turns: TurnRunner | None = None,
        phrases: PhraseLists | None = None,
        recorder: TurnRecorder | None = None,
    ) -> None:
        self._phrases = phrases
        self._recorder = recorder
        self._flood_limit = flood_limit
        self._clock = clock
        self.flood_dropped = 0  # messages not answered because of a flood (for /metrics)
        # "channel:user" → until when every message of theirs is dropped (see _silenced); written
        # by turns in worker threads, read on the event loop.
        self._silenced_until: dict[str, float] = {}
        self._silenced_lock = threading.Lock()
        self._gate = gate
        self._safety = safety
        # Off the event loop, one unit of work per turn (bot/storage/turns.py); None: on the loop.
        self._turns = turns
        self._nlu = nlu
        self._runner = runner
        self._persons = persons
        self._states = states
        self._texts = texts
        self._places = places
        self._locks = locks
        self._threshold = threshold

    async def handle(self, message: IncomingMessage, *, settle: Settle | None = None) -> list[Reply]:
        """``settle(replies)`` runs inside the turn's unit of work, so what it writes (the
        replies queued for sending, the received message marked handled) commits with
        the turn's own changes, or not at all. A message dropped by the flood limit has
        no turn: nothing to settle (the inbox row is simply marked done)."""
        if self._silenced(message):
            self.flood_dropped += 1
            return []
        # One person's messages are handled one at a time, in order.
        async with self._one_at_a_time(message):
            try:
                return await self._in_turn(lambda: self._turn(message), settle)
            except Exception as exc:  # one place turns any failure into a polite answer
                if connection_lost(exc) or isinstance(exc, LeaseLost):
                    # Nothing was committed: the inbox row is handled again shortly (by the
                    # worker now holding it, after a lost lease).
                    raise
                log.exception("turn failed (%s)", exc.__class__.__name__)
                # The turn was rolled back; the apology is queued in a transaction of its own.
                return await self._in_turn(_constant([Reply(user_message_for(exc))]), settle)

    def _one_at_a_time(self, message: IncomingMessage) -> AbstractAsyncContextManager[object]:
        """The person's lock, unless the message comes from a queue row keyed by this person:
        the queue already leases that key's rows one at a time, in order, across processes,
        and the lock would only repeat it (two Redis round trips per message on scale-out)."""
        key = f"{message.channel}:{message.user_id}"
        receipt = current_receipt()
        if receipt is not None and receipt.keyed_by(key):
            return nullcontext()
        return self._locks.hold(key)

    async def _in_turn(self, turn: Callable[[], Awaitable[list[Reply]]], settle: Settle | None) -> list[Reply]:
        async def settled() -> list[Reply]:
            replies = await turn()
            if settle is not None:
                settle(replies)
            return replies

        if self._turns is not None:
            return await self._turns.run(settled)
        return await settled()

    async def _turn(self, message: IncomingMessage) -> list[Reply]:
        # Writing to us is recorded with the read (one statement): last-inbound time, reachable again.
        person = self._persons.get_or_create(
            message.channel, message.user_id, message.display_name, seen_at=message.sent_at
        )
        state = self._states.load(person.id) or {}
        slots: dict[str, Any] = dict(state.get("slots") or {})
        language = slots.get(slot_names.LANGUAGE) or person.language or "fr"
        if self._safety is not None and message.kind is not MessageKind.BUTTON:
            # Before the flood limit, the hand-off gate, STOP, pending questions and the classifier.
            detection = self._safety.check(message.text)
            if detection is not None:
                return await self._distress_turn(self._safety, person, state, message.text, detection)
        flood = self._flood_check(state)
        if flood is not None:
            self._silence(message, state)
            self._states.save(person.id, state)
            return [Reply(self._texts.get("slow_down", language))] if flood else []
        if self._gate is not None:
            taken = await self._gate.intercept(person, message)
            if taken is not None:
                self._states.save(person.id, state)  # keeps the flood count
                return taken

        if message.media is not None:
            return [self._offer_referent(person, state, slots, message, language)]
        if message.kind in NON_TEXT_REPLIES:
            return [self._menu_reply(self._texts.get(NON_TEXT_REPLIES[message.kind], language), language)]
        prefix = ""
        if message.kind is MessageKind.LOCATION and message.location is not None:
            place = self._places.nearest_place(message.location.latitude, message.location.longitude)
            if haversine_km(
                place.latitude, place.longitude, message.location.latitude, message.location.longitude
            ) > MAX_PLACE_KM:
                return [Reply(self._texts.get("location_unknown", language))]
            prefix = self._texts.get("location_found", language, de_commune=de(place.commune)) + "\n"
            parse = _synthetic_parse("search_training", lieu=place.commune)
        else:
            raw = message.payload if message.kind is MessageKind.BUTTON else message.text
            cleaned = clean(raw)
            if cleaned.empty:
                return [self._menu_reply(self._texts.get("empty_message", language), language)]
            if not cleaned.has_words:
                return [self._menu_reply(self._texts.get("emoji_only", language), language)]
            if cleaned.truncated:
                prefix = self._texts.get("too_long", language) + "\n"
            parse = self._nlu.parse(cleaned.text)
            if self._phrases is not None:
                parse = focus_long_message(parse, self._phrases)
                # A fact asked about ("cé payan ?"): lets the policy keep the thread when the classifier hesitates.
                parse["followup_aspect"] = self._phrases.aspect(cleaned.text)
            language = parse.get("language") or language

        parse["language"] = language
        action = next_action(parse, slots, self._threshold)
        outcome = await self._runner.run(
            action,
            sender_id=f"{person.channel}:{person.external_id}",
            slots=slots,
            parse=parse,
            past_intents=list(state.get("intents") or []),
        )
        restarted, followup = _apply(outcome.events, slots)
        responses = list(outcome.responses)
        if followup and not restarted:
            # A request that waited for an answer (« Bignona ou Savoie ? ») carries on, with its own entities.
            resumed = slots.get(slot_names.RESUME) or {}
            slots[slot_names.RESUME] = None
            parse = _synthetic_parse(resumed.get("intent") or "help", **(resumed.get("entities") or {}))
            parse["language"] = language
            outcome = await self._runner.run(
                followup, sender_id=f"{person.channel}:{person.external_id}", slots=slots, parse=parse,
                past_intents=list(state.get("intents") or []),
            )
            restarted, _ = _apply(outcome.events, slots)
            responses += outcome.responses
        replies = [_to_reply(r) for r in responses if r.get("text") or r.get("buttons")]
        if action == FALLBACK and self._safety is not None and self._safety.worried(parse.get("text")):
            # Not understood, but worrying words: never a bare "pas compris" (the question is still
            # recorded for the coordinators by the fallback action).
            replies = self._safety.second_net(person, language=language, territory=slots.get(slot_names.TERRITOIRE))
        if prefix and replies:
            replies[0] = Reply(prefix + replies[0].text, replies[0].buttons)

        if restarted:
            # The action deleted everything stored about the person: keep nothing.
            log.info("conversation restarted after data deletion")
            return replies
        slots[slot_names.LANGUAGE] = language
        # Part of the durable state, so "2" still presses the second button in a later session.
        slots[slot_names.LAST_BUTTONS] = [[b.title, b.payload] for r in replies for b in r.buttons]
        intents = (list(state.get("intents") or []) + [parse.get("intent", {}).get("name") or "?"])[-HISTORY:]
        flood_marks = {k: state[k] for k in ("turns", "slowed_at") if k in state}
        self._states.save(person.id, {"slots": slots, "intents": intents, **flood_marks})
        if self._recorder is not None:
            self._recorder.record_turn(turn_facts(person, slots, intents[-1], action))
        if language != person.language:
            self._persons.update(person.id, language=language)
        return replies

    async def _distress_turn(
        self, safety: SafetyDesk, person: PersonRecord, state: dict[str, Any], text: str, detection: Detection
    ) -> list[Reply]:
        slots: dict[str, Any] = dict(state.get("slots") or {})
        language = slots.get(slot_names.LANGUAGE) or person.language or "fr"
        replies = await safety.respond(
            person, text, detection, language=language, territory=slots.get(slot_names.TERRITOIRE)
        )
        # A pending yes/no (delete my data, offer a referent) must not be answered by the next "oui".
        slots[slot_names.PENDING] = None
        slots[slot_names.MISSES] = 0
        intents = (list(state.get("intents") or []) + ["distress"])[-HISTORY:]
        flood_marks = {k: state[k] for k in ("turns", "slowed_at") if k in state}
        self._states.save(person.id, {"slots": slots, "intents": intents, **flood_marks})
        return replies

    def last_buttons(self, channel: str, user_id: str) -> tuple[Button, ...]:
        """The buttons the person was last shown, from the durable state (empty for a new person)."""
        person = self._persons.find(channel, user_id)
        state = self._states.load(person.id) if person is not None else None
        pairs = ((state or {}).get("slots") or {}).get(slot_names.LAST_BUTTONS) or []
        return tuple(Button(str(title), str(payload)) for title, payload in pairs)
    def _offer_referent(
        self, person: PersonRecord, state: dict[str, Any], slots: dict[str, Any], message: IncomingMessage,
        language: str,
    ) -> Reply:
        """The bot cannot listen to a voice note or read a photo: one button hands it to a referent."""
        assert message.media is not None
        kept = list(slots.get(slot_names.PENDING_MEDIA) or [])[-(MAX_PENDING_MEDIA - 1):]
        slots[slot_names.PENDING_MEDIA] = kept + [message.media.to_dict()]
        flood_marks = {k: state[k] for k in ("turns", "slowed_at") if k in state}
        self._states.save(person.id, {"slots": slots, "intents": list(state.get("intents") or []), **flood_marks})
        return Reply(
            self._texts.get(f"media_offer_{message.media.kind}", language),
            (Button(self._texts.get("media_offer_button", language), "/talk_to_human"),),
        )

    def _flood_check(self, state: dict[str, Any]) -> bool | None:
        """Count this turn in ``state``; None to answer it, True to say "doucement" once, False to stay silent."""
        now = self._clock()
        turns = [t for t in state.get("turns") or [] if isinstance(t, (int, float)) and now - t < FLOOD_WINDOW_S]
        if len(turns) < self._flood_limit:
            state["turns"] = turns + [round(now, 3)]
            return None
        state["turns"] = turns
        self.flood_dropped += 1
        slowed = state.get("slowed_at")
        if isinstance(slowed, (int, float)) and now - slowed < FLOOD_WINDOW_S:
            return False
        state["slowed_at"] = round(now, 3)
        return True

    def _silence(self, message: IncomingMessage, state: dict[str, Any]) -> None:
        """The person is over the limit: until their oldest answered turn leaves the window, every
        message of theirs would be dropped too, so ``handle`` drops it without a turn (no lock, no
        database). The durable state stays the reference: past that time the full check runs again."""
        turns = state.get("turns") or []
        now = self._clock()
        until = (min(turns) if turns else now) + FLOOD_WINDOW_S
        with self._silenced_lock:
            if len(self._silenced_until) >= MAX_SILENCED:
                expired = [k for k, t in self._silenced_until.items() if t <= now]
                for key in expired or list(self._silenced_until)[: MAX_SILENCED // 2]:
                    del self._silenced_until[key]
            self._silenced_until[f"{message.channel}:{message.user_id}"] = until

    def _silenced(self, message: IncomingMessage) -> bool:
        """Dropped at once: a person known to be over the flood limit, unless the message may be
        distress (the safety check runs on every message, flood or not)."""
        key = f"{message.channel}:{message.user_id}"
        with self._silenced_lock:
            until = self._silenced_until.get(key)
            if until is not None and self._clock() >= until:
                del self._silenced_until[key]
                until = None
        if until is None:
            return False
        if self._safety is not None and message.kind is not MessageKind.BUTTON:
            return self._safety.check(message.text) is None
        return True

    def _menu_reply(self, text: str, language: str) -> Reply:
        return Reply(text, tuple(
            Button(self._texts.get(key, language), payload)
            for key, payload in (
                ("menu_find", "/search_training"),
                ("menu_open_days", "/open_days"),
                ("menu_referent", "/talk_to_human"),
            )
        ))


def _apply(events: list[dict[str, Any]], slots: dict[str, Any]) -> tuple[bool, str | None]:
    """Applies an action's slot events; returns (restarted, follow-up action name)."""
    restarted, followup = False, None
    for event in events:
        if event.get("event") == "slot" and event.get("name") in slot_names.ALL:
            # Only declared slots are kept: the state never grows with anything else.
            slots[event["name"]] = event.get("value")
        elif event.get("event") == "restart":
            restarted = True
        elif event.get("event") == "followup":
            followup = event.get("name")
    return restarted, followup


def _synthetic_parse(intent: str, **entities: str) -> dict[str, Any]:
    return {
        "text": "",
        "intent": {"name": intent, "confidence": 1.0},
        "entities": [
            {"entity": name, "value": value, "start": 0, "end": 0, "confidence_entity": 1.0, "extractor": "channel"}
            for name, value in entities.items()
        ],
        "intent_ranking": [{"name": intent, "confidence": 1.0}],
    }


def _to_reply(response: dict[str, Any]) -> Reply:
    buttons = tuple(
        Button(str(b.get("title", "")), str(b.get("payload", "")))
        for b in response.get("buttons") or []
        if b.get("title") and b.get("payload")
    )
    return Reply(str(response.get("text") or ""), buttons)
