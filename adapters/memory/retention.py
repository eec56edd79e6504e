"""Restoring soft-deleted contexts in process memory: a part of MemoryStore."""

from __future__ import annotations

import threading
from datetime import datetime

import attrs

from adapters.memory.log import ContextLog
from domain.errors import ContextNotFound
from domain.model import Context
from domain.retention import RetentionDays, restorable


class MemoryRetention:
    """The restore half of retention for MemoryStore."""

    _lock: threading.RLock
    _logs: dict[str, ContextLog]
    _purged: set[str]

    def restore_context(
        self, tenant_id: str, context_id: str, *, now: datetime, retention: RetentionDays
    ) -> Context:
        """Undo a soft delete within the context's retention; a live one is returned as is."""
        with self._lock:
            log = self._logs.get(context_id)
            if log is None or log.context.tenant_id != tenant_id or context_id in self._purged:
                raise ContextNotFound(context_id)
            deleted_at = log.context.deleted_at
            if deleted_at is None:
                return log.context
            days = retention.for_deleted(log.context.policy)
            if not restorable(deleted_at, days=days, now=now):
                raise ContextNotFound(context_id)
            log.context = attrs.evolve(log.context, deleted_at=None, updated_at=now)
            return log.context

    def expired_contexts(
        self, *, now: datetime, retention: RetentionDays
    ) -> tuple[tuple[str, str], ...]:
        """(tenant, id) of every soft-deleted, unpurged context past its retention."""
        with self._lock:
            return tuple(
                (log.context.tenant_id, cid)
                for cid, log in self._logs.items()
                if cid not in self._purged
                and (deleted := log.context.deleted_at) is not None
                and not restorable(
                    deleted, days=retention.for_deleted(log.context.policy), now=now
                )
            )
