"""One person's flood: ten answers a minute, one "doucement", then silence until the minute is over."""
from __future__ import annotations

from bot.app import build_services
from bot.core.messages import IncomingMessage
from tests.core.conftest import TODAY


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


async def test_a_flood_is_slowed_down_and_others_are_not_affected(settings):
    services = build_services(settings, today=lambda: TODAY)
    clock = Clock()
    services.conversation._clock = clock  # the service's own clock, moved by the test
    try:
        answers = []
        for n in range(15):
            clock.now += 0.5
            answers.append(await services.conversation.handle(IncomingMessage("cli", "flood", text=f"bonjour {n}")))
        assert all(a and "Doucement" not in a[0].text for a in answers[:10])
        assert "Doucement" in answers[10][0].text
        assert answers[11:] == [[], [], [], []]
        assert services.conversation.flood_dropped == 5

        other = await services.conversation.handle(IncomingMessage("cli", "calme", text="bonjour"))
        assert other and "Doucement" not in other[0].text

        clock.now += 61
        again = await services.conversation.handle(IncomingMessage("cli", "flood", text="formation couture"))
        assert again and "Doucement" not in again[0].text
    finally:
        services.close()


async def test_a_silenced_person_costs_no_turn(settings, monkeypatch):
    """Past the limit, the rest of the window is dropped before the person lock and the database:
    a flood does not occupy the turn workers everyone shares."""
    services = build_services(settings, today=lambda: TODAY)
    clock = Clock()
    services.conversation._clock = clock
    loads: list[int] = []
    states = services.conversation._states
    load = states.load
    monkeypatch.setattr(states, "load", lambda person_id: loads.append(person_id) or load(person_id))
    try:
        for n in range(11):  # ten answers, then « doucement »
            clock.now += 0.5
            await services.conversation.handle(IncomingMessage("cli", "flood", text=f"bonjour {n}"))
        loaded = len(loads)
        for n in range(5):
            clock.now += 0.5
            assert await services.conversation.handle(IncomingMessage("cli", "flood", text=f"encore {n}")) == []
        assert len(loads) == loaded
        assert services.conversation.flood_dropped == 6

        clock.now += 61  # the answered turns left the window: a full turn again
        again = await services.conversation.handle(IncomingMessage("cli", "flood", text="formation couture"))
        assert again and "Doucement" not in again[0].text
        assert len(loads) > loaded
    finally:
        services.close()
