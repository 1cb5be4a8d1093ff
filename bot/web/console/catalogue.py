"""Catalogue: searchable table, CSV upload (all or nothing), CSV download, "tester une question"."""
from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.catalogue.loader import load_catalogue
from bot.catalogue.search import CatalogueSearch
from bot.core.errors import ContentError
from bot.nlu.text import normalize
from bot.web.console.catalogue_upload import KINDS, current_items, export_csv, upload
from bot.web.console.deps import ConsoleDeps
from bot.web.console.downloads import csv_response
from bot.web.console.guard import STAFF, error_page, guarded, redirect, render, scope

MAX_QUERY = 300
MAX_ROWS_SHOWN = 200


def routes(deps: ConsoleDeps) -> list[Route]:
    cache: dict[str, object] = {}

    def search_engine() -> CatalogueSearch:
        from bot.nlu.vocabulary import load_synonyms

        stamp = (deps.content_dir / "catalogue.csv").stat().st_mtime_ns
        if cache.get("stamp") != stamp:
            cache["engine"] = CatalogueSearch(load_catalogue(deps.content_dir), load_synonyms(deps.nlu_data_dir))
            cache["stamp"] = stamp
        return cache["engine"]  # type: ignore[return-value]

    def page_response(request: Request, session, status: int = 200, **extra) -> Response:
        territoire = scope(session)
        courses = [c for c in current_items("formations", deps.content_dir) if territoire is None or c.territoire == territoire]
        wanted = normalize(request.query_params.get("filtre", "")[:MAX_QUERY])
        if wanted:
            courses = [c for c in courses if wanted in normalize(" ".join((c.formation, c.centre, c.commune, c.filiere, c.bassin)))]
        query = request.query_params.get("q", "")[:MAX_QUERY].strip()
        results = None
        if query:
            # What the bot would show a young person of this territory: never another territory's courses.
            found = search_engine().search(query, territoire=territoire, limit=30)
            results = [r for r in found if territoire is None or r.course.territoire == territoire][:10]
        return render(deps, request, "catalogue.html", session, status, courses=courses[:MAX_ROWS_SHOWN],
                      count=len(courses), filtre=request.query_params.get("filtre", ""), query=query,
                      results=results, kinds=KINDS, limit_kb=deps.max_upload_bytes // 1024, **extra)

    @guarded(deps, *STAFF)
    async def page(request: Request, session) -> Response:
        return page_response(request, session)

    @guarded(deps, *STAFF)
    async def send_file(request: Request, session) -> Response:
        form = await request.form()
        kind = str(form.get("kind") or "formations")
        upload_file = form.get("file")
        if kind not in KINDS:
            return error_page(deps, request, 404, "not_found")
        if upload_file is None or isinstance(upload_file, str) or not upload_file.filename:
            return page_response(request, session, 400, error=deps.message("no_file"))
        data = await upload_file.read(deps.max_upload_bytes + 1)
        if len(data) > deps.max_upload_bytes:
            return page_response(request, session, 413, error=deps.message("too_big", limit=deps.max_upload_bytes // 1024))
        try:
            report = upload(kind, data, deps.content_dir, scope(session), deps.message("import_other_territory"))
        except ContentError as exc:
            problems = getattr(exc, "problems", [exc])
            deps.audit.record(session.user.email, "import_refused", kind, str(len(problems)))
            return page_response(request, session, 422, error=deps.message("import_refused"), problems=problems)
        deps.audit.record(session.user.email, "import_done", kind, report.summary())
        return redirect("/catalogue", deps.message("import_done", summary=report.summary()))

    @guarded(deps, *STAFF)
    async def download(request: Request, session) -> Response:
        kind = request.path_params["kind"]
        if kind not in KINDS:
            return error_page(deps, request, 404, "not_found")
        return csv_response(export_csv(kind, deps.content_dir, scope(session)), f"{kind}.csv")

    return [
        Route("/catalogue", page, methods=["GET"]),
        Route("/catalogue", send_file, methods=["POST"]),
        Route("/catalogue/{kind}.csv", download, methods=["GET"]),
    ]
