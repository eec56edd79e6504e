"""Issuing API keys: a random secret shown once, stored only as its hash."""

from __future__ import annotations

import secrets
import uuid

from domain.keys import KEY_PREFIX, ApiKey, hash_key
from ports.clock import Clock
from ports.keys import ApiKeyStore

# The prefix stored beside the hash: enough to recognise a key in a listing, far too
# little to guess it (32 random bytes follow).
SHOWN_PREFIX = len(KEY_PREFIX) + 8


def new_secret() -> str:
    """A fresh key: kc_ followed by 43 URL-safe characters (256 random bits)."""
    return KEY_PREFIX + secrets.token_urlsafe(32)


def issue_key(
    keys: ApiKeyStore, *, tenant_id: str, label: str = "", clock: Clock, secret: str | None = None
) -> tuple[ApiKey, str]:
    """Store a new key for the tenant; returns the stored record and the secret (once)."""
    if not tenant_id.strip():
        raise ValueError("a key needs a tenant")
    secret = secret or new_secret()
    key = ApiKey(
        id=str(uuid.uuid4()),
        tenant_id=tenant_id,
        key_hash=hash_key(secret),
        prefix=secret[:SHOWN_PREFIX],
        label=label,
        created_at=clock.now(),
    )
    keys.add_key(key)
    return key, secret
