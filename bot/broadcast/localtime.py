"""Local time of each territory: coordinators write dates, reminders go at 09:00 there."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

ZONES = {"bignona": ZoneInfo("Africa/Dakar"), "savoie": ZoneInfo("Europe/Paris")}
DEFAULT_ZONE = ZONES["bignona"]
REMINDER_TIME = time(9, 0)


def zone_for(territoire: str | None) -> ZoneInfo:
    return ZONES.get(territoire or "", DEFAULT_ZONE)


def parse_local(value: str, territoire: str | None) -> datetime:
    """ISO date-time; without an offset it is the territory's local time. Returns aware UTC."""
    parsed = datetime.fromisoformat(value.strip())
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone_for(territoire))
    return parsed.astimezone(timezone.utc)


def reminder_due(event_day: date, territoire: str | None) -> datetime:
    """The day before the event at 09:00 local, in UTC."""
    local = datetime.combine(event_day - timedelta(days=1), REMINDER_TIME, tzinfo=zone_for(territoire))
    return local.astimezone(timezone.utc)


def local_date(moment: datetime, territoire: str | None) -> date:
    return moment.astimezone(zone_for(territoire)).date()
