"""Tableau de bord: this week against last, two weekly charts, each downloadable as CSV."""
from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.reports.csvsafe import to_csv
from bot.reports.weekly import duration_text, percent_text
from bot.web.console.charts import stacked_bars
from bot.web.console.deps import ConsoleDeps
from bot.web.console.downloads import csv_response
from bot.web.console.guard import STAFF, error_page, guarded, render, scope

CHARTS = {"filieres": ("filiere", "Questions par semaine et par filière"),
          "bassins": ("bassin", "Questions par semaine et par bassin")}


def routes(deps: ConsoleDeps) -> list[Route]:
    @guarded(deps, *STAFF)
    async def dashboard(request: Request, session) -> Response:
        weekly = deps.weekly.build(scope(session))
        weeks = weekly.week_starts[:-1]
        charts = {
            name: stacked_bars(title, weeks, weekly.by_filiere if by == "filiere" else weekly.by_bassin)
            for name, (by, title) in CHARTS.items()
        }
        return render(deps, request, "dashboard.html", session, weekly=weekly, charts=charts, titles=CHARTS,
                      duration=duration_text, percent=percent_text)

    @guarded(deps, *STAFF)
    async def chart_csv(request: Request, session) -> Response:
        name = request.path_params["name"]
        if name not in CHARTS:
            return error_page(deps, request, 404, "not_found")
        by, _title = CHARTS[name]
        bounds = deps.weekly.week_bounds()
        series = deps.weekly.series(bounds, scope(session))[by]
        header = [by] + [f"{week:%Y-%m-%d}" for week in bounds[:-1]]
        rows = [[label, *values] for label, values in sorted(series.items())]
        return csv_response(to_csv(header, rows), f"questions-par-{name}.csv")

    return [
        Route("/", dashboard, methods=["GET"]),
        Route("/graphiques/{name}.csv", chart_csv, methods=["GET"]),
    ]
