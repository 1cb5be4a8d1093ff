"""Erasing a person who may be in the hand-off queue.

A referent holding the conversation is told it was deleted (otherwise they would
write into the void); waiting notices are marked cancelled. Then every row about
the person goes, and the Redis copies with them (see PersonRepository).
"""
from __future__ import annotations

from bot.handoff.service import HandoffService
from bot.storage.persons import PersonRepository
from bot.storage.records import PersonRecord


class HandoffAwareEraser:
    def __init__(self, persons: PersonRepository, service: HandoffService) -> None:
        self._persons = persons
        self._service = service

    async def erase(self, person: PersonRecord) -> bool:
        ticket = self._service.handoffs.open_ticket_for(person.id)
        if ticket is not None:
            await self._service.person_erased(ticket, person)
        return self._persons.delete_everything(person.id)
