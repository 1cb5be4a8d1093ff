"""Questions sans réponse: grouped by similarity, "traité" mark, CSV export."""
from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.reports.csvsafe import to_csv
from bot.reports.questions import GROUPS_CSV_HEADER, group_questions, groups_csv_rows
from bot.web.console.deps import ConsoleDeps
from bot.web.console.downloads import csv_response
from bot.web.console.guard import STAFF, guarded, redirect, render, scope


def routes(deps: ConsoleDeps) -> list[Route]:
    @guarded(deps, *STAFF)
    async def page(request: Request, session) -> Response:
        groups = group_questions(deps.views.questions(scope(session)))
        show_treated = request.query_params.get("tout") == "1"
        shown = groups if show_treated else [g for g in groups if not g.treated]
        return render(deps, request, "questions.html", session, groups=shown[:300], total=len(groups),
                      show_treated=show_treated)

    @guarded(deps, *STAFF)
    async def mark(request: Request, session) -> Response:
        form = await request.form()
        ids = [int(v) for v in form.getlist("ids") if str(v).isdigit()][:1000]
        count = deps.views.mark_treated(ids, scope(session), session.user.email)
        deps.audit.record(session.user.email, "questions_treated", ",".join(map(str, ids[:20])), str(count))
        return redirect("/questions", deps.message("questions_marked", count=count))

    @guarded(deps, *STAFF)
    async def export(request: Request, session) -> Response:
        groups = group_questions(deps.views.questions(scope(session)))
        return csv_response(to_csv(GROUPS_CSV_HEADER, groups_csv_rows(groups)), "questions-sans-reponse.csv")

    return [
        Route("/questions", page, methods=["GET"]),
        Route("/questions/traite", mark, methods=["POST"]),
        Route("/questions.csv", export, methods=["GET"]),
    ]
