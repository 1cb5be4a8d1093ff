"""The one place that maps errors to what a person reads and to HTTP statuses.

Code raises these; the conversation service turns them into a French reply and
the web layer into a status code. Nothing else decides either.
"""
from __future__ import annotations


class TerraProError(Exception):
    """Base class: ``user_message`` is French and safe to show, ``http_status`` for webhooks."""

    user_message = "Désolé, un souci technique m'empêche de répondre. Réessaie dans un moment."
    http_status = 500


class BadInput(TerraProError):
    user_message = "Je n'ai pas compris ce message. Écris-moi ta question en quelques mots."
    http_status = 400


class Unauthorized(TerraProError):
    user_message = "Accès refusé."
    http_status = 401


class Forbidden(TerraProError):
    user_message = "Cette commande est réservée aux référents."
    http_status = 403


class NotFound(TerraProError):
    user_message = "Je ne trouve pas ce que tu demandes."
    http_status = 404


class ContentError(TerraProError):
    """A content file (catalogue, events, texts) is invalid; carries file, line and reason."""

    http_status = 422

    def __init__(self, file: str, line: int | None, reason: str) -> None:
        self.file = file
        self.line = line
        self.reason = reason
        where = f"{file}, ligne {line}" if line else file
        super().__init__(f"{where} : {reason}")


class ServiceUnavailable(TerraProError):
    user_message = "Le service est momentanément indisponible. Réessaie dans quelques minutes."
    http_status = 503


class SchemaOutOfDate(ServiceUnavailable):
    """The database is not at the code's migration revision: nothing starts on it."""

    def __init__(self, current: str | None, expected: str) -> None:
        self.current = current
        self.expected = expected
        found = f"version {current}" if current else "vide"
        super().__init__(
            f"la base de données n'est pas à jour ({found}, le code attend {expected}). "
            "Lancez d'abord : terrapro db upgrade"
        )


def user_message_for(exc: BaseException) -> str:
    if isinstance(exc, TerraProError):
        return exc.user_message
    return TerraProError.user_message


def http_status_for(exc: BaseException) -> int:
    if isinstance(exc, TerraProError):
        return exc.http_status
    return 500
