"""Platform ids (a WhatsApp id is a phone number) protected at rest.

One master secret, three derived keys (HKDF-SHA256), so that knowing one use
reveals nothing about another:
- a keyed hash (HMAC-SHA256) to look a person up without storing the id;
- an AES-GCM key to keep the id encrypted (channels need it to answer);
- a keyed hash for log tokens, so a token cannot be matched to a number by
  hashing every number of a country.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_NONCE_BYTES = 12
_VERSION = "v1:"


class IdentityError(ValueError):
    """A sealed id that does not open with this key (wrong key, altered row)."""


def _derive(master: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"terrapro", info=purpose).derive(master)


class IdentityProtector:
    def __init__(self, master_key: bytes) -> None:
        if len(master_key) < 16:
            raise ValueError("the master key must be at least 16 bytes")
        self._lookup_key = _derive(master_key, b"terrapro/lookup-hash")
        self._log_key = _derive(master_key, b"terrapro/log-token")
        self._aead = AESGCM(_derive(master_key, b"terrapro/id-encryption"))

    @classmethod
    def ephemeral(cls) -> IdentityProtector:
        """A random key for this process only (tests, throw-away databases)."""
        return cls(os.urandom(32))

    def lookup_hash(self, kind: str, value: object) -> str:
        """Deterministic, keyed: equal inputs give equal hashes, nothing else can be told."""
        message = f"{kind}\x00{value}".encode("utf-8", "replace")
        return hmac.new(self._lookup_key, message, hashlib.sha256).hexdigest()

    def seal(self, kind: str, value: str) -> str:
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, value.encode("utf-8"), kind.encode())
        return _VERSION + base64.urlsafe_b64encode(nonce + sealed).decode("ascii")

    def open(self, kind: str, sealed: str) -> str:
        if not sealed.startswith(_VERSION):
            raise IdentityError("unknown sealed id format")
        try:
            raw = base64.urlsafe_b64decode(sealed[len(_VERSION):])
            plain = self._aead.decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], kind.encode())
        except (InvalidTag, ValueError) as exc:
            raise IdentityError("sealed id does not open with this key") from exc
        return plain.decode("utf-8")

    def log_token(self, value: object) -> str:
        """A short stable token for logs (``u-`` + 10 hex digits)."""
        digest = hmac.new(self._log_key, str(value).encode("utf-8", "replace"), hashlib.sha256)
        return "u-" + digest.hexdigest()[:10]
