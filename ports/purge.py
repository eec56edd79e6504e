"""The purge port: removing a context and its history for good."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from domain.model import Erasure, ErasureReason, Page, PurgeResult
from domain.retention import RetentionDays


class Purging(Protocol):
    """Hard deletes that never break a fork (domain.lineage)."""

    def purge_context(
        self,
        tenant_id: str,
        context_id: str,
        *,
        now: datetime,
        reason: ErasureReason = ErasureReason.REQUEST,
    ) -> PurgeResult:
        """Remove a context (live or soft-deleted) with its entries, embeddings and
        idempotency keys, except the entries other contexts' bases still share (soft-
        deleted forks count: they may be restored); those go when the last context
        sharing them is purged. Cannot be undone. Raises ContextNotFound (also for a
        context already purged). Its receipts go too. An Erasure audit record (no
        content, `reason` given) is written in the same transaction."""
        ...

    def list_erasures(
        self, tenant_id: str, *, limit: int, cursor: str | None = None
    ) -> Page[Erasure]:
        """The tenant's erasure records, oldest first, `limit` at a time (opaque cursor)."""
        ...

    def expired_contexts(
        self, *, now: datetime, retention: RetentionDays
    ) -> tuple[tuple[str, str], ...]:
        """(tenant, id) of every soft-deleted context not yet purged whose retention
        (domain.retention: its policy's days, else `retention`'s) has passed, across
        tenants: what a retention run purges."""
        ...
