"""Where the master secret comes from: the settings, or a key file made once.

``terrapro chat`` on a fresh machine must work with nothing configured, and
still never store a phone number in clear: a random key is generated into the
data directory (mode 0600) the first time and reused afterwards.
"""
from __future__ import annotations

import base64
import logging
import os
import secrets
from pathlib import Path

from bot.core.errors import TerraProError

log = logging.getLogger(__name__)

KEY_FILE = "secret.key"
MIN_SECRET_CHARS = 32


class SecretKeyError(TerraProError, ValueError):
    pass


def master_key(configured: str, data_dir: Path) -> bytes:
    if configured:
        if len(configured) < MIN_SECRET_CHARS:
            raise SecretKeyError(
                f"TERRAPRO_SECRET_KEY est trop court (au moins {MIN_SECRET_CHARS} caractères ; "
                'par exemple : python -c "import secrets; print(secrets.token_urlsafe(32))").'
            )
        return configured.encode("utf-8")
    return _key_file(data_dir)


def _key_file(data_dir: Path) -> bytes:
    path = data_dir / KEY_FILE
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        encoded = base64.urlsafe_b64encode(secrets.token_bytes(32))
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process created it first: read theirs
        else:
            with os.fdopen(fd, "wb") as handle:
                handle.write(encoded + b"\n")
            log.warning("no TERRAPRO_SECRET_KEY: generated a key file in the data directory")
    if path.stat().st_mode & 0o077:
        raise SecretKeyError(f"{path} est lisible par d'autres comptes : chmod 600 {path}")
    try:
        key = base64.urlsafe_b64decode(path.read_bytes().strip())
    except ValueError as exc:
        raise SecretKeyError(f"{path} n'est pas une clé valide") from exc
    if len(key) < 16:
        raise SecretKeyError(f"{path} n'est pas une clé valide")
    return key
