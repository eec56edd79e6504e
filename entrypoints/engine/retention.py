"""Retention use cases: restore a soft-deleted context, and one run of every retention step.

A run is a list of steps, each deleting what has outlived its retention and saying how
many it deleted, so that a new kind (purging deleted contexts) is one more step.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime

import attrs

from domain.errors import ContextNotFound
from domain.model import Context, ErasureReason
from domain.records import Record
from domain.retention import RetentionDays
from entrypoints.engine.store import Store
from ports.contexts import Contexts


@attrs.frozen(kw_only=True, repr=False, eq=False)
class RetentionStep(Record):
    """One kind of thing retention deletes, and how: run(store, now, days) -> count."""

    kind: str
    run: Callable[[Store, datetime, RetentionDays], int]


@attrs.frozen(kw_only=True, repr=False, eq=False)
class RetentionReport(Record):
    """What one run deleted, per kind, as of `now`."""

    now: datetime
    deleted: Mapping[str, int]


def _expire_receipts(store: Store, now: datetime, retention: RetentionDays) -> int:
    return store.expire_receipts(now=now, retention=retention)


def _purge_deleted(store: Store, now: datetime, retention: RetentionDays) -> int:
    # Each in its own tenant's transaction; one purged meanwhile is no longer there.
    purged = 0
    for tenant_id, context_id in store.expired_contexts(now=now, retention=retention):
        try:
            store.purge_context(tenant_id, context_id, now=now, reason=ErasureReason.RETENTION)
        except ContextNotFound:
            continue
        purged += 1
    return purged


STEPS: tuple[RetentionStep, ...] = (
    RetentionStep(kind="receipts", run=_expire_receipts),
    RetentionStep(kind="contexts", run=_purge_deleted),
)


def retention_run(
    *,
    store: Store,
    now: datetime,
    retention: RetentionDays,
    steps: Sequence[RetentionStep] = STEPS,
) -> RetentionReport:
    """Run every step once, in order; the counts of what each deleted."""
    deleted = {step.kind: step.run(store, now, retention) for step in steps}
    return RetentionReport(now=now, deleted=deleted)


def restore_context(
    tenant_id: str,
    context_id: str,
    *,
    contexts: Contexts,
    now: datetime,
    retention: RetentionDays,
) -> Context:
    """Undo a soft delete, within the context's retention (else ContextNotFound)."""
    return contexts.restore_context(tenant_id, context_id, now=now, retention=retention)
