"""Restoring soft-deleted contexts over PostgreSQL: a part of PostgresStore."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

import psycopg

from adapters.postgres.rows import CONTEXT_COLUMNS, context_from_row
from domain.model import Context
from domain.retention import RetentionDays

# domain.retention.restorable, restated: restorable until the context's policy's days
# (else the deployment's) have passed since the delete, days counted as 24 hours.
RESTORE = f"""
UPDATE contexts SET deleted_at = NULL, updated_at = %(now)s
WHERE tenant_id = %(tenant)s AND id = %(id)s AND deleted_at IS NOT NULL
  AND purged_at IS NULL AND %(now)s <= deleted_at + interval '24 hours' * COALESCE(
      (policy->>'deleted_retention_days')::integer, %(days)s::integer)
RETURNING {CONTEXT_COLUMNS}
"""


class PostgresRetention:
    """The restore half of retention for PostgresStore."""

    if TYPE_CHECKING:

        def _one(self, sql: str, params: Mapping[str, Any]) -> dict[str, Any] | None: ...

        def _connection(
            self, *, tuples: bool = False
        ) -> contextlib.AbstractContextManager[psycopg.Cursor[Any]]: ...

        def get_context(self, tenant_id: str, context_id: str) -> Context: ...

    def restore_context(
        self, tenant_id: str, context_id: str, *, now: datetime, retention: RetentionDays
    ) -> Context:
        """Undo a soft delete within the context's retention; a live one is returned as is."""
        params = {
            "tenant": tenant_id,
            "id": context_id,
            "now": now,
            "days": retention.deleted_contexts,
        }
        row = self._one(RESTORE, params)
        if row is None:
            return self.get_context(tenant_id, context_id)  # live, else ContextNotFound
        return context_from_row(row)

    def expired_contexts(
        self, *, now: datetime, retention: RetentionDays
    ) -> tuple[tuple[str, str], ...]:
        """(tenant, id) of every soft-deleted, unpurged context past its retention: the
        one read across tenants, through migration 010's expired_contexts (its owner
        bypasses row-level security)."""
        with self._connection() as cur:
            rows = cur.execute(
                "SELECT tenant_id, id FROM expired_contexts(%(now)s, %(days)s)",
                {"now": now, "days": retention.deleted_contexts},
            ).fetchall()
        return tuple((r["tenant_id"], r["id"]) for r in rows)
