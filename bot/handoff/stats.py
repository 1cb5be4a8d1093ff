"""`terrapro stats handoff`: how long young people wait, how long chats last, what they think."""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from statistics import median

from bot.storage.records import TicketRecord

UNKNOWN_BASSIN = "(inconnu)"


@dataclass
class Figures:
    tickets: int = 0
    waiting: int = 0
    assigned: int = 0
    closed: int = 0
    cancelled: int = 0
    waits: list[timedelta] = field(default_factory=list)  # created -> picked up
    handling: list[timedelta] = field(default_factory=list)  # picked up -> closed
    ratings: Counter = field(default_factory=Counter)

    def add(self, ticket: TicketRecord) -> None:
        self.tickets += 1
        if ticket.status in ("waiting", "assigned", "closed", "cancelled"):
            setattr(self, ticket.status, getattr(self, ticket.status) + 1)
        if ticket.assigned_at is not None:
            self.waits.append(ticket.assigned_at - ticket.created_at)
            if ticket.status == "closed" and ticket.closed_at is not None:
                self.handling.append(ticket.closed_at - ticket.assigned_at)
        if ticket.rating is not None:
            self.ratings[ticket.rating] += 1

    @property
    def median_wait(self) -> timedelta | None:
        return median(self.waits) if self.waits else None

    @property
    def median_handling(self) -> timedelta | None:
        return median(self.handling) if self.handling else None

    @property
    def mean_rating(self) -> float | None:
        count = sum(self.ratings.values())
        return sum(k * v for k, v in self.ratings.items()) / count if count else None


def compute(tickets: list[TicketRecord]) -> tuple[Figures, dict[str, Figures]]:
    total = Figures()
    per_bassin: dict[str, Figures] = defaultdict(Figures)
    for ticket in tickets:
        total.add(ticket)
        per_bassin[ticket.bassin or UNKNOWN_BASSIN].add(ticket)
    return total, dict(sorted(per_bassin.items()))


def _duration(value: timedelta | None) -> str:
    if value is None:
        return "—"
    minutes = int(value.total_seconds() // 60)
    return f"{minutes // 60} h {minutes % 60:02d}" if minutes >= 60 else f"{minutes} min"


def _line(name: str, f: Figures) -> str:
    rating = f"{f.mean_rating:.1f}/5 ({sum(f.ratings.values())} notes)" if f.mean_rating is not None else "—"
    return (f"{name:<22} demandes {f.tickets:>4} · en attente {f.waiting:>3} · en cours {f.assigned:>3} · "
            f"attente médiane {_duration(f.median_wait):>8} · durée médiane {_duration(f.median_handling):>8} · "
            f"note {rating}")


@dataclass
class UrgentFigures:
    """Distress requests: how many, and how long until a referent took them."""

    tickets: int = 0
    waiting: int = 0
    waits: list[timedelta] = field(default_factory=list)  # urgent since -> picked up
    waiting_now: list[timedelta] = field(default_factory=list)  # urgent since -> now, not taken yet

    @classmethod
    def of(cls, tickets: list[TicketRecord], now: datetime) -> UrgentFigures:
        figures = cls()
        for ticket in tickets:
            if not ticket.urgent:
                continue
            figures.tickets += 1
            since = ticket.urgent_at or ticket.created_at
            if ticket.assigned_at is not None:
                figures.waits.append(max(timedelta(0), ticket.assigned_at - since))
            elif ticket.status == "waiting":
                figures.waiting += 1
                figures.waiting_now.append(max(timedelta(0), now - since))
        return figures


def _urgent_lines(f: UrgentFigures) -> list[str]:
    taken = (f"attente avant prise en charge : médiane {_duration(median(f.waits))}, max {_duration(max(f.waits))}"
             f" ({len(f.waits)} prises)") if f.waits else "aucune prise en charge encore"
    lines = [f"Demandes urgentes (détresse) : {f.tickets} · {taken}"]
    if f.waiting_now:
        lines.append(f"Urgentes en attente maintenant : {f.waiting} (la plus ancienne depuis {_duration(max(f.waiting_now))})")
    return lines


def render(tickets: list[TicketRecord], now: datetime | None = None) -> str:
    total, per_bassin = compute(tickets)
    urgent = UrgentFigures.of(tickets, now or datetime.now().astimezone())
    lines = [
        *_urgent_lines(urgent),
        f"En attente maintenant : {total.waiting}",
        f"Attente médiane avant prise en charge : {_duration(total.median_wait)}",
        f"Durée médiane d'une conversation : {_duration(total.median_handling)}",
        "Notes : " + (", ".join(f"{k}★ × {total.ratings[k]}" for k in sorted(total.ratings)) or "aucune")
        + (f" (moyenne {total.mean_rating:.1f})" if total.mean_rating is not None else ""),
        f"Demandes : {total.tickets} (closes {total.closed}, annulées {total.cancelled})",
        "",
        "Par bassin :",
    ]
    lines += [_line(name, f) for name, f in per_bassin.items()] or ["(aucune demande)"]
    return "\n".join(lines)
