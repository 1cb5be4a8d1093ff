"""Server-rendered SVG charts: stacked bars of questions per week (no JavaScript needed)."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from markupsafe import Markup, escape

PALETTE = ("#1b6ca8", "#e07b39", "#3a9d5d", "#c23b4e", "#8a5cb8", "#b8a13a", "#4aa3a2", "#777777")
MAX_SERIES = 7  # the rest is summed as "autres"
WIDTH, HEIGHT, LEFT, BOTTOM, TOP = 340, 200, 34, 22, 8


@dataclass(frozen=True)
class Chart:
    svg: Markup
    legend: list[tuple[str, str, int]]  # label, colour, total


def top_series(series: dict[str, list[int]], other_label: str = "autres") -> list[tuple[str, list[int]]]:
    ranked = sorted(series.items(), key=lambda kv: (-sum(kv[1]), kv[0]))
    kept = ranked[:MAX_SERIES]
    rest = ranked[MAX_SERIES:]
    if rest:
        kept.append((other_label, [sum(values) for values in zip(*(v for _, v in rest))]))
    return kept


def stacked_bars(title: str, weeks: Sequence[datetime], series: dict[str, list[int]]) -> Chart:
    rows = top_series(series)
    count = len(weeks)
    totals = [sum(values[i] for _, values in rows) for i in range(count)]
    peak = max(totals or [0]) or 1
    plot_w, plot_h = WIDTH - LEFT - 4, HEIGHT - BOTTOM - TOP
    slot = plot_w / max(count, 1)
    bar = slot * 0.7
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{escape(title)}" class="chart">',
        f"<title>{escape(title)}</title>",
        f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{WIDTH - 4}" y2="{TOP + plot_h}" stroke="#999"/>',
        f'<text x="{LEFT - 4}" y="{TOP + 8}" text-anchor="end" font-size="10">{peak}</text>',
        f'<text x="{LEFT - 4}" y="{TOP + plot_h}" text-anchor="end" font-size="10">0</text>',
    ]
    for i, week in enumerate(weeks):
        x = LEFT + i * slot + (slot - bar) / 2
        y = TOP + plot_h
        for index, (label, values) in enumerate(rows):
            value = values[i]
            if not value:
                continue
            h = value / peak * plot_h
            y -= h
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                f'fill="{PALETTE[index % len(PALETTE)]}"><title>{escape(label)} : {value}</title></rect>'
            )
        parts.append(
            f'<text x="{x + bar / 2:.1f}" y="{HEIGHT - 8}" text-anchor="middle" font-size="9">'
            f"{week:%d/%m}</text>"
        )
    parts.append("</svg>")
    legend = [(label, PALETTE[i % len(PALETTE)], sum(values)) for i, (label, values) in enumerate(rows)]
    return Chart(Markup("".join(parts)), legend)
