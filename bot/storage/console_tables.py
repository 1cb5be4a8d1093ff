"""Tables of the coordinators' web console, and the per-turn analytics record.

Console accounts are staff (coordinators, referents, admins), never young people.
``turn_facts`` keeps one row per conversation turn WITHOUT any message text: when,
which channel and area, the intent, the filière, whether the bot could answer.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.base import Base, UtcDateTime, utcnow

CONSOLE_ROLES = ("coordinator", "referent", "admin")
CONSOLE_TERRITORIES = ("bignona", "savoie", "all")


class ConsoleUser(Base):
    __tablename__ = "console_users"
    __table_args__ = (
        CheckConstraint("role IN ('coordinator', 'referent', 'admin')", name="role"),
        CheckConstraint("territoire IN ('bignona', 'savoie', 'all')", name="territoire"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    territoire: Mapped[str] = mapped_column(String(16))
    # Links the account to a Telegram referent, so "their own conversations" is defined.
    referent_id: Mapped[int | None] = mapped_column(Integer)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    # SHA-256 of the one-time set-password token (the token itself is never stored).
    setup_token_hash: Mapped[str | None] = mapped_column(String(64))
    setup_expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class ConsoleSession(Base):
    __tablename__ = "console_sessions"

    # SHA-256 of the cookie value: a stolen database does not give live sessions.
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("console_users.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class ConsoleLoginThrottle(Base):
    """Failed logins per key ("account:<email>" or "ip:<address>")."""

    __tablename__ = "console_login_throttle"

    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    first_failure_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime())


class ConsoleAudit(Base):
    __tablename__ = "console_audit"
    __table_args__ = (Index("ix_console_audit_at", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    # The e-mail is copied so the log survives the account's removal.
    user_email: Mapped[str] = mapped_column(String(254))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(200), default="")
    detail: Mapped[str] = mapped_column(Text, default="")


class TreatedQuestion(Base):
    """An unanswered question the content team has dealt with ("traité")."""

    __tablename__ = "console_treated_questions"

    question_id: Mapped[int] = mapped_column(
        ForeignKey("unanswered_questions.id", ondelete="CASCADE"), primary_key=True
    )
    user_email: Mapped[str] = mapped_column(String(254))
    at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class TurnFact(Base):
    __tablename__ = "turn_facts"
    __table_args__ = (
        # Covering indexes: the dashboard's weekly counts never read the table itself.
        Index("ix_turn_facts_week", "week", "territoire", "filiere", "bassin", "answered", "person_id"),
        Index("ix_turn_facts_territoire_week", "territoire", "week", "filiere", "bassin", "answered", "person_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    # Weeks since Monday 1970-01-05 (UTC): the dashboard groups by week without date functions.
    week: Mapped[int] = mapped_column(Integer)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    territoire: Mapped[str | None] = mapped_column(String(32))
    bassin: Mapped[str | None] = mapped_column(String(64))
    intent: Mapped[str] = mapped_column(String(64))
    filiere: Mapped[str | None] = mapped_column(String(64))
    answered: Mapped[bool] = mapped_column(Boolean, default=True)
