"""/stats and /questions on Telegram, for admin referents who only have a phone."""
from __future__ import annotations

from bot.core.messages import Document, Reply
from bot.reports.csvsafe import to_csv
from bot.reports.questions import GROUPS_CSV_HEADER, group_questions, groups_csv_rows
from bot.reports.weekly import WeeklyReport, stats_text
from bot.storage.console_views import ConsoleViews


class CoordinatorDigest:
    def __init__(self, weekly: WeeklyReport, views: ConsoleViews, messages: dict[str, str]) -> None:
        self._weekly = weekly
        self._views = views
        self._messages = messages

    def admin_only(self) -> Reply:
        return Reply(self._messages["telegram_admin_only"])

    def stats(self) -> Reply:
        weekly = self._weekly.build(None, charts=False)
        return Reply(stats_text(weekly, self._messages["telegram_stats"].format))

    def questions(self) -> Reply:
        rows = self._views.questions(None)
        if not rows:
            return Reply(self._messages["telegram_no_questions"])
        groups = group_questions(rows)
        csv_text = to_csv(GROUPS_CSV_HEADER, groups_csv_rows(groups))
        return Reply(
            self._messages["telegram_questions"].format(groups=len(groups), count=len(rows)),
            document=Document("questions-sans-reponse.csv", ("\ufeff" + csv_text).encode("utf-8")),
        )
