"""What every console page needs, built once by compose.py."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from starlette.templating import Jinja2Templates

from bot.reports.weekly import WeeklyReport
from bot.storage.console_accounts import ConsoleSessionRepository, ConsoleUserRepository, LoginThrottle
from bot.storage.console_audit import AuditRepository
from bot.storage.console_views import ConsoleViews
from bot.storage.referents import ReferentRepository

COOKIE = "terrapro_console"
LOGIN_CSRF_COOKIE = "terrapro_console_csrf"
PREFIX = "/console"


@dataclass
class ConsoleDeps:
    users: ConsoleUserRepository
    sessions: ConsoleSessionRepository
    throttle: LoginThrottle
    audit: AuditRepository
    views: ConsoleViews
    weekly: WeeklyReport
    referents: ReferentRepository
    handoffs: Any  # bot.storage.handoff.HandoffRepository
    broadcasts: Any  # bot.broadcast.service.BroadcastService, None without a sending process
    handoff_service: Any  # bot.handoff.service.HandoffService: tells people when an admin closes; may be None
    content_dir: Path
    nlu_data_dir: Path
    templates: Jinja2Templates
    messages: dict  # key -> French text; "audit" -> {action code: label}
    bassin_territory: Callable[[str | None], str | None]
    secure_cookies: bool
    clock: Callable[[], datetime]
    max_upload_bytes: int = 512 * 1024

    def message(self, key: str, **values: Any) -> str:
        text = self.messages[key]
        return text.format(**values) if values else text
