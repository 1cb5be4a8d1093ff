"""The hand-off queue's behaviour: announce, claim, relay both ways, finish, transfer, cancel, rate.

Everything addressed to someone other than the person writing goes out through the
notification bus; the replies returned are for the person (or referent) who wrote.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from bot.catalogue.model import Catalogue
from bot.core.input import clean
from bot.core.messages import Button, IncomingMessage, MediaRef, MessageKind, Reply
from bot.core.safety import SafetyContent
from bot.handoff.bus import NotificationBus
from bot.handoff.notifications import Notification
from bot.handoff.permanences import Permanences
from bot.handoff.ports import Clock
from bot.handoff.texts import HandoffTexts
from bot.storage.handoff import HandoffRepository
from bot.storage.persons import PersonRepository
from bot.storage.records import PersonRecord, TicketRecord
from bot.storage.referents import NoticeRepository, ReferentRecord, ReferentRepository

log = logging.getLogger(__name__)

REFERENT_CHANNEL = "telegram"
MAX_RELAY = 3000
RATE_PAYLOAD = "/noter"
TAKE_PAYLOAD = "/prendre"


def relay_key(message: IncomingMessage) -> str | None:
    """What makes relaying one inbound message idempotent: its platform id (None: none given)."""
    return f"relay:{message.channel}:{message.message_id}" if message.message_id else None


def rating_payload(ticket_id: int, rating: int) -> str:
    return f"{RATE_PAYLOAD} {ticket_id} {rating}"


class HandoffService:
    def __init__(
        self,
        *,
        handoffs: HandoffRepository,
        referents: ReferentRepository,
        notices: NoticeRepository,
        persons: PersonRepository,
        bus: NotificationBus,
        permanences: Permanences,
        catalogue: Catalogue | None,
        clock: Clock,
        renotify_after: timedelta,
        safety: SafetyContent,
        urgent_renotify_after: timedelta,
        texts: HandoffTexts,
    ) -> None:
        self.handoffs = handoffs
        self.referents = referents
        self._notices = notices
        self._persons = persons
        self._bus = bus
        self._permanences = permanences
        self._catalogue = catalogue
        self._clock = clock
        self._renotify_after = renotify_after
        self.safety = safety
        self._urgent_renotify_after = urgent_renotify_after
        self._texts = texts

    # -- announcing ----------------------------------------------------------------------
    async def announce(self, ticket: TicketRecord) -> bool:
        """Announce a new ticket now (once, whoever calls first: the action or the worker)."""
        if ticket.status != "waiting" or not self._notices.start_announcement(ticket.id, self._clock()):
            return False
        await self._announce(ticket, again=False)
        return True

    async def announce_pending(self) -> int:
        """Tickets never announced (a crash, a restart) and those unclaimed for too long."""
        now = self._clock()
        waiting = self.handoffs.waiting()
        done = self._notices.announcements(t.id for t in waiting)
        count = 0
        for ticket in waiting:
            seen = done.get(ticket.id)
            if seen is None:
                if self._notices.start_announcement(ticket.id, now):
                    await self._announce(ticket, again=False)
                    count += 1
                continue
            # Urgent tickets come back sooner (TERRAPRO_HANDOFF_URGENT_RENOTIFY_MINUTES).
            cutoff = now - (self._urgent_renotify_after if ticket.urgent else self._renotify_after)
            if seen.last_at <= cutoff and self._notices.restart_announcement(ticket.id, cutoff, now):
                await self._announce(ticket, again=True)
                count += 1
        return count

    async def announce_now(self, ticket: TicketRecord) -> None:
        """Announce again at once (a waiting request just became urgent)."""
        now = self._clock()
        if self._notices.start_announcement(ticket.id, now) or self._notices.restart_announcement(ticket.id, now, now):
            await self._announce(ticket, again=False)

    async def notify_referent(self, referent: ReferentRecord, text: str) -> None:
        await self._bus.publish(Notification(REFERENT_CHANNEL, referent.telegram_id, Reply(text)))

    def recipients(
        self, bassin: str | None, *, everyone: bool = False, territoire: str | None = None
    ) -> list[ReferentRecord]:
        """Present referents of the bassin, else of the territory, else every present referent, else every referent."""
        every = self.referents.all()
        present = [r for r in every if r.present]
        if not everyone and bassin:
            local = [r for r in present if r.bassin == bassin]
            if local:
                return local
        territoire = territoire or self._territory_of(bassin)
        if not everyone and territoire:
            # A referent without a bassin serves every bassin; one of the other country does not.
            same_country = [r for r in present if r.bassin is None or self._territory_of(r.bassin) == territoire]
            if same_country:
                return same_country
        return present or every

    def _territory_of(self, bassin: str | None) -> str | None:
        places = self._catalogue.places if self._catalogue else ()
        return next((p.territoire for p in places if bassin and p.bassin == bassin), None)

    async def _announce(self, ticket: TicketRecord, *, again: bool) -> None:
        person = self._persons.get(ticket.person_id)
        if person is None:
            return
        # Urgent: every present referent at once, not only the bassin's.
        recipients = self.recipients(
            ticket.bassin, everyone=again or ticket.urgent, territoire=(ticket.topic or {}).get("territoire")
        )
        if not recipients:
            # The safety reply already told a young person in distress, with the help lines.
            if not ticket.urgent and self._notices.mark_person_told(ticket.id):
                await self._to_person(person, Reply(self._nobody_text(ticket, person)))
            return
        values = dict(
            id=ticket.id, bassin=ticket.bassin or self._texts.unknown_bassin, who=self._who(person),
            channel=self._texts.channel_names.get(person.channel, person.channel),
            minutes=self._minutes_since(ticket.created_at), summary=ticket.summary,
        )
        if ticket.urgent:
            family = self.safety.family_label(str(ticket.topic.get("distress") or ""))
            text = self.safety.referent_text("annonce_encore" if again else "annonce", family=family, **values)
        else:
            text = (self._texts.notice_again if again else self._texts.notice).format(**values)
        reply = Reply(text, (Button(self._texts.take_button.format(id=ticket.id), f"{TAKE_PAYLOAD} {ticket.id}"),))
        for referent in recipients:
            await self._bus.publish(Notification(
                REFERENT_CHANNEL, referent.telegram_id, reply, notice_for=(ticket.id, referent.id)
            ))
        if not again and not ticket.urgent:
            when = self._permanences.when_text(ticket.bassin, self._clock())
            if when:
                await self._to_person(person, Reply(self._texts.outside_hours.format(when=when)))

    def _nobody_text(self, ticket: TicketRecord, person: PersonRecord) -> str:
        contact = self._insertion_contact(ticket.bassin or person.bassin, person.territoire)
        return self._texts.nobody.format(contact=contact) if contact else self._texts.nobody_no_contact

    def _insertion_contact(self, bassin: str | None, territoire: str | None) -> str | None:
        """The insertion cell of a centre in the bassin, else in the territory, else any."""
        courses = list(self._catalogue.courses) if self._catalogue else []
        for keep in (lambda c: bassin and c.bassin == bassin, lambda c: territoire and c.territoire == territoire,
                     lambda c: True):
            found = [c for c in courses if keep(c) and c.contact]
            if found:
                course = found[0]
                return f"{course.contact} — {course.centre} ({course.commune})"
        return None

    # -- claiming ------------------------------------------------------------------------
    async def claim(self, referent: ReferentRecord, ticket_id: int) -> list[Reply]:
        current = self.current(referent)
        if current is not None:
            return [Reply(self._texts.busy.format(id=current.id))]
        if self.handoffs.get(ticket_id) is None:
            return [Reply(self._texts.unknown_ticket.format(id=ticket_id))]
        won = self.handoffs.assign(ticket_id, referent.id)
        if won is None:
            return [Reply(self._lost_text(ticket_id))]
        return await self._taken(referent, won)

    async def take_next(self, referent: ReferentRecord) -> list[Reply]:
        current = self.current(referent)
        if current is not None:
            return [Reply(self._texts.busy.format(id=current.id))]
        waiting = self.handoffs.waiting()
        # Urgent first (the queue's order), then the referent's bassin, then the oldest.
        ordered = [t for t in waiting if t.urgent]
        ordered += [t for t in waiting if not t.urgent and referent.bassin and t.bassin == referent.bassin]
        ordered += [t for t in waiting if t not in ordered]
        for ticket in ordered:
            won = self.handoffs.assign(ticket.id, referent.id)
            if won is not None:
                return await self._taken(referent, won)
        return [Reply(self._texts.nothing_to_take)]

    def _lost_text(self, ticket_id: int) -> str:
        latest = self.handoffs.get(ticket_id)
        if latest is not None and latest.status == "assigned":
            holder = self.referents.get(latest.referent_id) if latest.referent_id else None
            by = self._texts.too_late_by.format(name=holder.name) if holder else ""
            return self._texts.too_late.format(id=ticket_id, by=by)
        return self._texts.not_waiting.format(id=ticket_id)

    async def _taken(self, referent: ReferentRecord, ticket: TicketRecord) -> list[Reply]:
        person = self._persons.get(ticket.person_id)
        bassin = ticket.bassin or self._texts.unknown_bassin
        await self._edit_notices(ticket, lambda r: (
            self._texts.notice_yours if r == referent.id else self._texts.notice_taken
        ).format(id=ticket.id, bassin=bassin, name=referent.name))
        if person is not None:
            await self._to_person(person, Reply(self._texts.taken.format(name=referent.name)))
            for kept in self.handoffs.take_media(ticket.id):
                await self.relay_media_to_referent(ticket, person, MediaRef.from_dict(kept), referent)
        claimed = self._texts.claimed.format(
            who=self._who(person), bassin=bassin, id=ticket.id, summary=ticket.summary, name=referent.name,
            channel=self._texts.channel_names.get(ticket.channel, ticket.channel),
        )
        if ticket.trigger_text:
            # Only the referent who takes an urgent ticket reads what raised the alarm.
            claimed = self.safety.referent_text("declencheur", trigger=ticket.trigger_text) + "\n\n" + claimed
        return [Reply(claimed)]

    async def _edit_notices(self, ticket: TicketRecord, text_for: Callable[[int], str]) -> None:
        for notice in self._notices.notices(ticket.id):
            referent = self.referents.get(notice.referent_id)
            if referent is None:
                continue
            await self._bus.publish(Notification(
                REFERENT_CHANNEL, referent.telegram_id, Reply(text_for(referent.id)), edit_ref=notice.message_ref
            ))

    # -- during --------------------------------------------------------------------------
    def current(self, referent: ReferentRecord) -> TicketRecord | None:
        tickets = self.handoffs.assigned_to(referent.id)
        return tickets[0] if tickets else None

    async def relay_to_referent(self, ticket: TicketRecord, person: PersonRecord, message: IncomingMessage) -> bool:
        """False when the ticket has no reachable referent any more (it went back to the queue)."""
        referent = self.referents.get(ticket.referent_id) if ticket.referent_id else None
        if referent is None:
            if ticket.referent_id is not None and self.handoffs.release(ticket.id, ticket.referent_id):
                await self._requeue(ticket.id)
            return False
        text = self._texts.person_says.format(who=self._who(person), text=describe(message, self._texts))
        await self._bus.publish(
            Notification(REFERENT_CHANNEL, referent.telegram_id, Reply(text)), once_key=relay_key(message)
        )
        return True

    async def relay_media_to_referent(
        self, ticket: TicketRecord, person: PersonRecord, media: MediaRef, referent: ReferentRecord | None = None,
        *, once_key: str | None = None,
    ) -> bool:
        """A voice note or photo to the referent holding the ticket, with first name and ticket number."""
        referent = referent or (self.referents.get(ticket.referent_id) if ticket.referent_id else None)
        if referent is None:
            return False
        caption = self._texts.media_caption.format(
            who=self._who(person), id=ticket.id, what=self._texts.media.get(media.kind, "")
        )
        await self._bus.publish(Notification(
            REFERENT_CHANNEL, referent.telegram_id, Reply(caption), media=media,
            failure_to=(person.channel, person.external_id),
        ), once_key=once_key)
        return True

    def keep_media(self, ticket: TicketRecord, media: MediaRef) -> bool:
        return self.handoffs.add_media(ticket.id, media.to_dict())

    async def relay_media_to_person(
        self, referent: ReferentRecord, media: MediaRef, *, once_key: str | None = None
    ) -> list[Reply]:
        ticket = self.current(referent)
        if ticket is None:
            return [Reply(self._texts.no_conversation)]
        person = self._persons.get(ticket.person_id)
        if person is not None:
            await self._bus.publish(Notification(
                person.channel, person.external_id,
                Reply(self._texts.media_from_referent.format(name=referent.name)),
                media=media, failure_to=(REFERENT_CHANNEL, referent.telegram_id),
            ), once_key=once_key)
        return []

    async def relay_to_person(self, referent: ReferentRecord, text: str, *, once_key: str | None = None) -> list[Reply]:
        """``once_key``: the referent's message being relayed (``relay_key``), so it is relayed once."""
        ticket = self.current(referent)
        if ticket is None:
            return [Reply(self._texts.no_conversation)]
        person = self._persons.get(ticket.person_id)
        if person is not None:
            body = text.strip()[:MAX_RELAY]
            await self._to_person(
                person, Reply(self._texts.referent_says.format(name=referent.name, text=body)),
                on_failure=(REFERENT_CHANNEL, referent.telegram_id, self._who(person)), once_key=once_key,
            )
        return []

    # -- after ---------------------------------------------------------------------------
    async def finish(self, referent: ReferentRecord, note: str | None) -> list[Reply]:
        ticket = self.current(referent)
        if ticket is None:
            return [Reply(self._texts.no_conversation)]
        closed = self.handoffs.close(ticket.id, closing_note=(note or "").strip() or None)
        if closed is None:
            return [Reply(self._texts.no_conversation)]
        person = self._persons.get(ticket.person_id)
        if person is not None:
            buttons = tuple(Button(title, rating_payload(ticket.id, n))
                            for n, title in enumerate(self._texts.rating_titles, start=1))
            await self._to_person(person, Reply(self._texts.finished.format(name=referent.name), buttons))
        return [Reply(self._texts.finished_referent.format(id=ticket.id))]

    async def transfer(self, referent: ReferentRecord, asked: int | None = None) -> list[Reply]:
        ticket = self.current(referent)
        if ticket is None:
            return [Reply(self._texts.no_conversation)]
        if asked is not None and asked != ticket.id:
            return [Reply(self._texts.wrong_ticket.format(id=ticket.id, asked=asked))]
        if self.handoffs.release(ticket.id, referent.id) is None:
            return [Reply(self._texts.no_conversation)]
        person = self._persons.get(ticket.person_id)
        if person is not None:
            await self._to_person(person, Reply(self._texts.transferred))
        await self._requeue(ticket.id)
        return [Reply(self._texts.transferred_referent.format(id=ticket.id))]

    async def close_by_admin(self, ticket_id: int, note: str | None = None) -> TicketRecord | None:
        """An admin closes a ticket from the web console; the young person and the referent are told.

        None if the ticket was not open.
        """
        before = self.handoffs.get(ticket_id)
        closed = self.handoffs.close(ticket_id, closing_note=note)
        if before is None or closed is None:
            return None
        referent = self.referents.get(before.referent_id) if before.referent_id else None
        person = self._persons.get(closed.person_id)
        if person is not None and referent is not None:
            buttons = tuple(Button(title, rating_payload(ticket_id, n))
                            for n, title in enumerate(self._texts.rating_titles, start=1))
            await self._to_person(person, Reply(self._texts.finished.format(name=referent.name), buttons))
        elif person is not None:
            await self._to_person(person, Reply(self._texts.closed_by_staff))
        if referent is not None:
            text = self._texts.closed_by_staff_referent.format(id=ticket_id)
            await self._bus.publish(Notification(REFERENT_CHANNEL, referent.telegram_id, Reply(text)))
        else:
            bassin = before.bassin or self._texts.unknown_bassin
            await self._edit_notices(before, lambda _r: self._texts.notice_closed.format(id=ticket_id, bassin=bassin))
        return closed

    async def _requeue(self, ticket_id: int) -> None:
        self._notices.forget_notices(ticket_id)
        self._notices.forget_announcement(ticket_id)
        released = self.handoffs.get(ticket_id)
        if released is not None:
            await self.announce(released)

    async def cancel_by_person(self, ticket: TicketRecord, person: PersonRecord, *, stopped: bool = False) -> bool:
        if not self.handoffs.cancel(ticket.id):
            return False
        latest = self.handoffs.get(ticket.id) or ticket
        referent = self.referents.get(latest.referent_id) if latest.referent_id else None
        if referent is not None:
            template = self._texts.person_stopped if stopped else self._texts.person_left
            await self._bus.publish(Notification(
                REFERENT_CHANNEL, referent.telegram_id, Reply(template.format(who=self._who(person), id=ticket.id))
            ))
        else:
            bassin = ticket.bassin or self._texts.unknown_bassin
            cancelled = self._texts.notice_cancelled.format(id=ticket.id, bassin=bassin)
            await self._edit_notices(ticket, lambda _r: cancelled)
        return True

    async def person_erased(self, ticket: TicketRecord, person: PersonRecord) -> None:
        """Before the rows go: whoever holds or was offered the conversation learns it is gone."""
        referent = self.referents.get(ticket.referent_id) if ticket.referent_id else None
        if referent is not None:
            text = self._texts.person_erased.format(who=self._who(person), id=ticket.id)
            await self._bus.publish(Notification(REFERENT_CHANNEL, referent.telegram_id, Reply(text)))
        else:
            bassin = ticket.bassin or self._texts.unknown_bassin
            cancelled = self._texts.notice_cancelled.format(id=ticket.id, bassin=bassin)
            await self._edit_notices(ticket, lambda _r: cancelled)

    def rate(self, person: PersonRecord, ticket_id: int, rating: int) -> bool:
        return self.handoffs.rate(ticket_id, person.id, rating)

    # -- helpers -------------------------------------------------------------------------
    async def _to_person(
        self, person: PersonRecord, reply: Reply, on_failure: tuple[str, str, str] | None = None,
        once_key: str | None = None,
    ) -> None:
        await self._bus.publish(
            Notification(person.channel, person.external_id, reply, on_failure=on_failure), once_key=once_key
        )

    def _minutes_since(self, moment: datetime) -> int:
        return max(0, int((self._clock() - moment).total_seconds() // 60))

    def who(self, ticket: TicketRecord) -> str:
        return self._who(self._persons.get(ticket.person_id))

    def minutes_waiting(self, ticket: TicketRecord) -> int:
        return self._minutes_since(ticket.created_at)

    def _who(self, person: Any) -> str:
        """A first name or alias: never a phone number or platform id."""
        name = getattr(person, "display_name", None)
        if name and not any(ch.isdigit() for ch in name):
            return name
        if person is None:
            return self._texts.young_person
        return self._texts.young_person_numbered.format(id=person.id)


def describe(message: IncomingMessage, texts: HandoffTexts) -> str:
    """The young person's message as the referent reads it (control characters dropped)."""
    text = clean(message.text).text
    if message.kind is MessageKind.TEXT:
        return text[:MAX_RELAY] or texts.empty_message
    if message.kind is MessageKind.BUTTON:
        return texts.button_pressed.format(text=text or message.payload or "").strip()[:MAX_RELAY]
    notice = texts.media.get(message.kind.value, texts.media["other"])
    # A caption may say what the photo is about; a contact's details are never passed on.
    if text and message.kind is not MessageKind.CONTACT:
        return f"{notice} {text}"[:MAX_RELAY]
    return notice
