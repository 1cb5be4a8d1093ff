"""Console accounts, their server-side sessions and the login throttle.

Password hashing happens above (bot.web.console.security); this module stores
hashes only, and SHA-256 digests of session and set-password tokens.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from bot.storage.base import as_utc, utcnow
from bot.storage.console_tables import (
    CONSOLE_ROLES,
    CONSOLE_TERRITORIES,
    ConsoleLoginThrottle,
    ConsoleSession,
    ConsoleUser,
)
from bot.storage.database import Database
from bot.storage.records import InvalidValue


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ConsoleUserRecord:
    id: int
    email: str
    role: str
    territoire: str
    referent_id: int | None
    password_hash: str | None
    disabled: bool


@dataclass(frozen=True)
class SessionRecord:
    user: ConsoleUserRecord
    csrf_token: str
    expires_at: datetime


def _user(row: ConsoleUser) -> ConsoleUserRecord:
    return ConsoleUserRecord(
        row.id, row.email, row.role, row.territoire, row.referent_id, row.password_hash, bool(row.disabled)
    )


def clean_email(email: str) -> str:
    value = (email or "").strip().lower()
    if "@" not in value or len(value) > 254 or any(ch.isspace() for ch in value):
        raise InvalidValue("adresse e-mail invalide")
    return value


class ConsoleUserRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    def add(self, email: str, role: str, territoire: str, setup_token: str, valid_for: timedelta,
            referent_id: int | None = None) -> ConsoleUserRecord:
        if role not in CONSOLE_ROLES:
            raise InvalidValue(f"rôle inconnu : {role} ({', '.join(CONSOLE_ROLES)})")
        if territoire not in CONSOLE_TERRITORIES:
            raise InvalidValue(f"territoire inconnu : {territoire} ({', '.join(CONSOLE_TERRITORIES)})")
        row = ConsoleUser(
            email=clean_email(email), role=role, territoire=territoire, referent_id=referent_id,
            setup_token_hash=digest(setup_token), setup_expires_at=utcnow() + valid_for, created_at=utcnow(),
        )
        try:
            with self._db.session() as session:
                session.add(row)
                session.flush()
                return _user(row)
        except IntegrityError as exc:
            raise InvalidValue("ce compte existe déjà") from exc

    def reset_setup_token(self, email: str, setup_token: str, valid_for: timedelta) -> bool:
        with self._db.session() as session:
            return session.execute(
                update(ConsoleUser).where(ConsoleUser.email == clean_email(email))
                .values(setup_token_hash=digest(setup_token), setup_expires_at=utcnow() + valid_for)
            ).rowcount > 0

    def by_email(self, email: str) -> ConsoleUserRecord | None:
        with self._db.session() as session:
            row = session.scalars(select(ConsoleUser).where(ConsoleUser.email == (email or "").strip().lower())).first()
            return _user(row) if row else None

    def get(self, user_id: int) -> ConsoleUserRecord | None:
        with self._db.session() as session:
            row = session.get(ConsoleUser, user_id)
            return _user(row) if row else None

    def all(self) -> list[ConsoleUserRecord]:
        with self._db.session() as session:
            return [_user(r) for r in session.scalars(select(ConsoleUser).order_by(ConsoleUser.id))]

    def by_setup_token(self, token: str) -> ConsoleUserRecord | None:
        with self._db.session() as session:
            row = session.scalars(select(ConsoleUser).where(ConsoleUser.setup_token_hash == digest(token))).first()
            if row is None or row.setup_expires_at is None or as_utc(row.setup_expires_at) < utcnow():
                return None
            return _user(row)

    def set_password(self, user_id: int, password_hash: str) -> None:
        """Store the new hash and burn the one-time token."""
        with self._db.session() as session:
            session.execute(
                update(ConsoleUser).where(ConsoleUser.id == user_id)
                .values(password_hash=password_hash, setup_token_hash=None, setup_expires_at=None)
            )

    def set_disabled(self, user_id: int, disabled: bool) -> None:
        with self._db.session() as session:
            session.execute(update(ConsoleUser).where(ConsoleUser.id == user_id).values(disabled=disabled))


class ConsoleSessionRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    def create(self, user_id: int, token: str, csrf_token: str, lifetime: timedelta) -> None:
        now = utcnow()
        with self._db.session() as session:
            session.add(ConsoleSession(
                token_hash=digest(token), user_id=user_id, csrf_token=csrf_token,
                created_at=now, expires_at=now + lifetime,
            ))

    def active(self, token: str) -> SessionRecord | None:
        with self._db.session() as session:
            found = session.execute(
                select(ConsoleSession, ConsoleUser)
                .join(ConsoleUser, ConsoleUser.id == ConsoleSession.user_id)
                .where(ConsoleSession.token_hash == digest(token), ConsoleSession.revoked_at.is_(None))
            ).first()
            if found is None:
                return None
            row, user = found
            if as_utc(row.expires_at) < utcnow() or user.disabled:
                return None
            return SessionRecord(_user(user), row.csrf_token, as_utc(row.expires_at))

    def revoke(self, token: str) -> None:
        with self._db.session() as session:
            session.execute(
                update(ConsoleSession).where(ConsoleSession.token_hash == digest(token)).values(revoked_at=utcnow())
            )

    def revoke_all(self, user_id: int) -> int:
        with self._db.session() as session:
            return session.execute(
                update(ConsoleSession)
                .where(ConsoleSession.user_id == user_id, ConsoleSession.revoked_at.is_(None))
                .values(revoked_at=utcnow())
            ).rowcount

    def count_active(self, user_id: int) -> int:
        now = utcnow()
        with self._db.session() as session:
            rows = session.scalars(
                select(ConsoleSession.expires_at)
                .where(ConsoleSession.user_id == user_id, ConsoleSession.revoked_at.is_(None))
            )
            return sum(1 for expires in rows if as_utc(expires) > now)


class LoginThrottle:
    """N failures within the window lock the key for ``lock_for`` (per account and per IP)."""

    def __init__(self, db: Database, *, max_failures: int = 5, lock_for: timedelta = timedelta(minutes=15)) -> None:
        self._db = db
        self._max = max_failures
        self._lock_for = lock_for

    def locked(self, key: str, now: datetime | None = None) -> bool:
        now = now or utcnow()
        with self._db.session() as session:
            row = session.get(ConsoleLoginThrottle, key[:300])
            return bool(row and row.locked_until and as_utc(row.locked_until) > now)

    def fail(self, key: str, now: datetime | None = None) -> None:
        now = now or utcnow()
        key = key[:300]
        with self._db.session() as session:
            row = session.get(ConsoleLoginThrottle, key)
            if row is None:
                session.add(ConsoleLoginThrottle(key=key, failures=1, first_failure_at=now))
                return
            if as_utc(row.first_failure_at) < now - self._lock_for:
                row.failures, row.first_failure_at, row.locked_until = 0, now, None
            row.failures += 1
            if row.failures >= self._max:
                row.locked_until = now + self._lock_for
                row.failures = 0
                row.first_failure_at = now

    def succeed(self, key: str) -> None:
        with self._db.session() as session:
            session.execute(delete(ConsoleLoginThrottle).where(ConsoleLoginThrottle.key == key[:300]))
