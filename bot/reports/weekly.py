"""This week against last week, for one territory or all: the console's dashboard and /stats."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from bot.handoff.stats import Figures
from bot.storage.base import utcnow
from bot.storage.console_views import ConsoleViews
from bot.storage.turn_facts import TurnFactRepository, week_number

CHART_WEEKS = 8


@dataclass(frozen=True)
class WeekFigures:
    start: datetime
    questions: int
    people: int
    unanswered: int
    new_people: list[tuple[str, str, str, int]]
    top_filieres: list[tuple[str, int]]
    handoffs: Figures
    urgent: int | None

    @property
    def unanswered_rate(self) -> float | None:
        return self.unanswered / self.questions if self.questions else None

    @property
    def new_people_total(self) -> int:
        return sum(row[3] for row in self.new_people)


@dataclass(frozen=True)
class Weekly:
    this: WeekFigures
    last: WeekFigures
    week_starts: list[datetime]  # CHART_WEEKS + 1 bounds, oldest first
    by_filiere: dict[str, list[int]]
    by_bassin: dict[str, list[int]]


def week_start(moment: datetime) -> datetime:
    """Monday 00:00 UTC of the week holding ``moment``."""
    moment = moment.astimezone(timezone.utc)
    day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    return day - timedelta(days=day.weekday())


class WeeklyReport:
    def __init__(self, turns: TurnFactRepository, views: ConsoleViews, clock: Callable[[], datetime] = utcnow) -> None:
        self._turns = turns
        self._views = views
        self._clock = clock

    def week_bounds(self, weeks: int = CHART_WEEKS) -> list[datetime]:
        current = week_start(self._clock())
        return [current - timedelta(weeks=weeks - 1 - i) for i in range(weeks)] + [current + timedelta(weeks=1)]

    def series(self, bounds: list[datetime], territoire: str | None) -> dict[str, dict[str, list[int]]]:
        """{"filiere": {...}, "bassin": {...}}: questions per week of ``bounds``."""
        return self._turns.weekly(week_number(bounds[0]), len(bounds) - 1, territoire)

    def _week(self, start: datetime, territoire: str | None) -> WeekFigures:
        end = start + timedelta(weeks=1)
        questions, people, unanswered = self._turns.totals(week_number(start), territoire)
        handoffs = Figures()
        for ticket in self._views.tickets_between(start, end, territoire):
            handoffs.add(ticket)
        return WeekFigures(
            start=start, questions=questions, people=people, unanswered=unanswered,
            new_people=self._turns.new_people(start, end, territoire),
            top_filieres=self._turns.top_filieres(week_number(start), territoire),
            handoffs=handoffs, urgent=self._views.urgent_count(start, end, territoire),
        )

    def build(self, territoire: str | None, *, charts: bool = True) -> Weekly:
        bounds = self.week_bounds()
        this_start = bounds[-2]
        series = self.series(bounds, territoire) if charts else {"filiere": {}, "bassin": {}}
        return Weekly(
            this=self._week(this_start, territoire),
            last=self._week(this_start - timedelta(weeks=1), territoire),
            week_starts=bounds,
            by_filiere=series["filiere"],
            by_bassin=series["bassin"],
        )


def duration_text(value: timedelta | None) -> str:
    if value is None:
        return "—"
    minutes = int(value.total_seconds() // 60)
    return f"{minutes // 60} h {minutes % 60:02d}" if minutes >= 60 else f"{minutes} min"


def percent_text(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f} %"


def stats_text(weekly: Weekly, render: Callable[..., str]) -> str:
    """The /stats message; ``render`` fills the French template from content/."""
    this, last = weekly.this, weekly.last
    return render(
        questions=this.questions, questions_last=last.questions, people=this.people, people_last=last.people,
        new_people=this.new_people_total, unanswered=percent_text(this.unanswered_rate),
        handoffs=this.handoffs.tickets, wait=duration_text(this.handoffs.median_wait),
        csat="—" if this.handoffs.mean_rating is None else f"{this.handoffs.mean_rating:.1f}/5",
        filieres=", ".join(f"{f} ({n})" for f, n in this.top_filieres) or "—",
    )
