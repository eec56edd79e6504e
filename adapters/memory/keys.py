"""API keys in process memory: hashed, tenant-scoped, revocable."""

from __future__ import annotations

import threading
from datetime import datetime

import attrs

from domain.errors import InvalidInput
from domain.keys import ApiKey


class MemoryKeyStore:
    """ApiKeyStore in process memory."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._keys: dict[str, ApiKey] = {}
        self._by_hash: dict[str, str] = {}

    def add_key(self, key: ApiKey) -> None:
        """Store a new key (already hashed); ids and hashes are unique."""
        with self._lock:
            if key.id in self._keys or key.key_hash in self._by_hash:
                raise InvalidInput("an API key with this id or hash already exists")
            self._keys[key.id] = key
            self._by_hash[key.key_hash] = key.id

    def tenant_for(self, key_hash: str) -> str | None:
        """The tenant of an active key with this hash, or None."""
        with self._lock:
            key_id = self._by_hash.get(key_hash)
            key = self._keys.get(key_id) if key_id is not None else None
        return key.tenant_id if key is not None and key.active else None

    def list_keys(self, tenant_id: str | None = None) -> tuple[ApiKey, ...]:
        """Keys, all tenants or one, oldest first."""
        with self._lock:
            keys = [k for k in self._keys.values() if tenant_id in (None, k.tenant_id)]
        return tuple(sorted(keys, key=lambda k: (k.created_at, k.id)))

    def revoke_key(self, key_id: str, *, now: datetime) -> bool:
        """Revoke by id, or by a prefix only one active key has; False when none matches."""
        with self._lock:
            key = self._keys.get(key_id)
            if key is None and key_id:
                matches = [
                    k for k in self._keys.values() if k.active and k.prefix.startswith(key_id)
                ]
                key = matches[0] if len(matches) == 1 else None
            if key is None or not key.active:
                return False
            self._keys[key.id] = attrs.evolve(key, revoked_at=now)
            return True
