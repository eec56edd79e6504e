"""API keys: each maps to one tenant and is stored only as a hash."""

from __future__ import annotations

import hashlib
from datetime import datetime

import attrs

from domain.records import Record

KEY_PREFIX = "kc_"


@attrs.frozen(kw_only=True, repr=False, eq=False)
class ApiKey(Record):
    """A tenant's API key as stored: its hash and a short prefix to recognise it."""

    id: str
    tenant_id: str
    key_hash: str
    prefix: str
    label: str = ""
    created_at: datetime
    revoked_at: datetime | None = None

    @property
    def active(self) -> bool:
        """Not revoked."""
        return self.revoked_at is None


def hash_key(secret: str) -> str:
    """The stored form of a key: SHA-256 of its full text (keys are long random tokens)."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()
