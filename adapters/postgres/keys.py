"""ApiKeyStore over PostgreSQL: keys are stored as SHA-256 hashes only.

Row-level security (007_row_level_security.sql) scopes api_keys like every tenant table,
with one exception: a transaction that names a key hash may read that one row, which is
how a key is resolved to its tenant before any tenant is known. Adding a key names its
tenant. Listing every tenant's keys and revoking by id (the admin commands) need the
owner's connection (DATABASE_URL_DIRECT): the service's role sees only what it names.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool, PoolTimeout

from adapters.postgres import outage, tenancy
from adapters.postgres.rows import KEY_COLUMNS, key_from_row
from domain.errors import InvalidInput
from domain.keys import ApiKey

_ADD = f"""
INSERT INTO api_keys ({KEY_COLUMNS})
VALUES (%(id)s, %(tenant_id)s, %(key_hash)s, %(prefix)s, %(label)s, %(created_at)s,
        %(revoked_at)s)
"""
_TENANT_FOR = "SELECT tenant_id FROM api_keys WHERE key_hash = %s AND revoked_at IS NULL"
_LIST = f"""
SELECT {KEY_COLUMNS} FROM api_keys
WHERE %(tenant)s::text IS NULL OR tenant_id = %(tenant)s
ORDER BY created_at, id
"""
# By id; else by a prefix of the stored prefix that only one active key has.
_REVOKE = """
WITH by_id AS (
    SELECT id, revoked_at FROM api_keys WHERE id = %(key)s
),
by_prefix AS (
    SELECT id FROM api_keys
    WHERE NOT EXISTS (SELECT 1 FROM by_id) AND %(key)s <> ''
      AND revoked_at IS NULL AND starts_with(prefix, %(key)s)
),
target AS (
    SELECT id FROM by_id WHERE revoked_at IS NULL
    UNION ALL
    SELECT id FROM by_prefix WHERE (SELECT count(*) FROM by_prefix) = 1
)
UPDATE api_keys SET revoked_at = %(now)s
WHERE id IN (SELECT id FROM target) AND revoked_at IS NULL
RETURNING id
"""


class PostgresKeyStore:
    """The API key port over PostgreSQL."""

    def __init__(self, pool: ConnectionPool) -> None:
        self._pool = pool

    def add_key(self, key: ApiKey) -> None:
        """Store a new key (already hashed); a duplicate id or hash is InvalidInput."""
        params = {
            "id": key.id,
            "tenant_id": key.tenant_id,
            "key_hash": key.key_hash,
            "prefix": key.prefix,
            "label": key.label,
            "created_at": key.created_at,
            "revoked_at": key.revoked_at,
        }
        try:
            self._run(_ADD, params, tenant=key.tenant_id)
        except psycopg.errors.UniqueViolation:
            raise InvalidInput("an API key with this id or hash already exists") from None

    def tenant_for(self, key_hash: str) -> str | None:
        """The tenant of an active key with this hash, or None."""
        rows = self._run(_TENANT_FOR, (key_hash,), key_hash=key_hash)
        return str(rows[0]["tenant_id"]) if rows else None

    def list_keys(self, tenant_id: str | None = None) -> tuple[ApiKey, ...]:
        """Keys, all tenants or one, oldest first."""
        rows = self._run(_LIST, {"tenant": tenant_id}, tenant=tenant_id)
        return tuple(key_from_row(r) for r in rows)

    def revoke_key(self, key_id: str, *, now: datetime) -> bool:
        """Revoke by id (or unique prefix); False when no such active key."""
        return bool(self._run(_REVOKE, {"key": key_id, "now": now}))

    def _run(
        self, sql: str, params: Any, *, tenant: str | None = None, key_hash: str | None = None
    ) -> list[dict[str, Any]]:
        # Names the tenant (or the key hash) for row-level security; with neither, only a
        # role that bypasses it (the owner's) sees any row.
        setting, value = (
            (tenancy.KEY_HASH_SETTING, key_hash)
            if key_hash is not None
            else (tenancy.TENANT_SETTING, tenant or "")
        )
        try:
            with self._pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
                tenancy.statement(cur, setting, value, sql, params)
                return cur.fetchall() if cur.description else []
        except (UnicodeEncodeError, psycopg.DataError) as err:
            raise InvalidInput(f"not storable in PostgreSQL: {err}") from None
        except (PoolTimeout, psycopg.OperationalError) as err:
            raise outage.unavailable(err) from None
