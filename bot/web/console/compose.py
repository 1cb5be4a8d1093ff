"""Builds the /console mount from the application's services."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from starlette.middleware import Middleware
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from bot.reports.messages import load_messages
from bot.reports.weekly import WeeklyReport
from bot.storage.console_accounts import ConsoleSessionRepository, ConsoleUserRepository, LoginThrottle
from bot.storage.console_audit import AuditRepository
from bot.storage.console_views import ConsoleViews
from bot.storage.referents import ReferentRepository
from bot.storage.turn_facts import TurnFactRepository
from bot.web.console import (
    admin,
    auth_routes,
    broadcasts,
    catalogue,
    dashboard,
    questions,
    queue,
    referents,
)
from bot.web.console.deps import PREFIX, ConsoleDeps
from bot.web.console.headers import SecurityHeaders

HERE = Path(__file__).resolve().parent


def build_deps(services: Any, broadcast_service: Any = None, *, clock=None) -> ConsoleDeps:
    from bot.storage.base import utcnow

    settings = services.settings
    db = services.db
    territory_of = {p.bassin: p.territoire for p in services.catalogue.places}
    views = ConsoleViews(db)
    clock = clock or utcnow
    return ConsoleDeps(
        users=ConsoleUserRepository(db), sessions=ConsoleSessionRepository(db), throttle=LoginThrottle(db),
        audit=AuditRepository(db), views=views, weekly=WeeklyReport(TurnFactRepository(db), views, clock),
        referents=ReferentRepository(db), handoffs=services.handoffs, broadcasts=broadcast_service,
        handoff_service=getattr(getattr(services, "handoff", None), "service", None),
        content_dir=settings.content_dir, nlu_data_dir=settings.nlu_data_dir,
        templates=Jinja2Templates(directory=str(HERE / "templates")), messages=load_messages(settings.content_dir),
        bassin_territory=lambda bassin: territory_of.get(bassin or ""), secure_cookies=not settings.insecure_local_dev,
        clock=clock,
    )


def build_console(services: Any, broadcast_service: Any = None) -> Mount:
    deps = build_deps(services, broadcast_service)
    routes = [Mount("/static", StaticFiles(directory=str(HERE / "static")), name="console-static")]
    for module in (auth_routes, dashboard, questions, catalogue, queue, broadcasts, referents, admin):
        routes += module.routes(deps)
    return Mount(PREFIX, routes=routes, middleware=[Middleware(SecurityHeaders)])
