"""`terrapro stats handoff`: how long young people wait, how long chats last, what they think."""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
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


def render(tickets: list[TicketRecord]) -> str:
    total, per_bassin = compute(tickets)
    lines = [
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
