"""The API key port: keys map to tenants and are kept hashed."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from domain.keys import ApiKey


class ApiKeyStore(Protocol):
    """Stores hashed API keys."""

    def add_key(self, key: ApiKey) -> None:
        """Store a new key (already hashed)."""
        ...

    def tenant_for(self, key_hash: str) -> str | None:
        """The tenant of an active key with this hash, or None."""
        ...

    def list_keys(self, tenant_id: str | None = None) -> tuple[ApiKey, ...]:
        """Keys, all tenants or one, oldest first."""
        ...

    def revoke_key(self, key_id: str, *, now: datetime) -> bool:
        """Revoke by id (or unique prefix); False when no such active key."""
        ...
