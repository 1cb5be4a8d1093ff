from __future__ import annotations

from datetime import date

from bot.catalogue.loader import load_events, upcoming_events

from .conftest import CONTENT

TODAY = date(2026, 11, 26)


def test_events_load_with_dates_and_bassins():
    events = {e.id: e for e in load_events(CONTENT)}
    assert events["EVT-01"].date == date(2026, 12, 12)
    assert events["EVT-01"].heure == "09:00"
    assert events["EVT-02"].bassin == "Littoral-Kafountine"
    assert events["EVT-04"].centre == ""
    assert not events["EVT-01"].confirmed


def test_past_events_are_never_returned():
    upcoming = upcoming_events(load_events(CONTENT), TODAY)
    ids = [e.id for e in upcoming]
    assert "EVT-06" not in ids
    assert ids == ["EVT-01", "EVT-02", "EVT-05", "EVT-03", "EVT-04"]
    assert all(e.date >= TODAY for e in upcoming)


def test_event_of_today_is_still_upcoming_and_yesterday_is_not():
    events = load_events(CONTENT)
    assert [e.id for e in upcoming_events(events, date(2026, 11, 7), territoire="bignona")][0] == "EVT-06"
    assert "EVT-06" not in [e.id for e in upcoming_events(events, date(2026, 11, 8))]


def test_filters_by_territory_and_bassin():
    events = load_events(CONTENT)
    assert [e.id for e in upcoming_events(events, TODAY, territoire="savoie")] == ["EVT-05"]
    assert [e.id for e in upcoming_events(events, TODAY, bassin="Bignona-Kalounayes")] == ["EVT-01", "EVT-03", "EVT-04"]
    assert upcoming_events(events, TODAY, bassin="Fogny") == []  # EVT-06 is past
    assert upcoming_events(events, date(2030, 1, 1)) == []
