"""Retention: how long a soft-deleted context stays restorable and a receipt is kept.

A deployment sets the defaults; a context's policy may override either. Both stores apply
these rules (PostgreSQL restates them in SQL), and the contract suite holds them together.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import attrs

from domain.errors import InvalidInput
from domain.model import MAX_RETENTION_DAYS, Policy
from domain.records import Record

DEFAULT_DAYS = 30


def check_days(days: int | None, *, what: str) -> None:
    """A retention is a whole number of days within 0..MAX_RETENTION_DAYS (None: the default)."""
    if days is not None and not 0 <= days <= MAX_RETENTION_DAYS:
        raise InvalidInput(f"{what} must be within 0..{MAX_RETENTION_DAYS} days, got {days}")


@attrs.frozen(kw_only=True, repr=False, eq=False)
class RetentionDays(Record):
    """A deployment's defaults: days a soft-deleted context stays restorable before it
    may be purged, and days a receipt is kept."""

    deleted_contexts: int = DEFAULT_DAYS
    receipts: int = DEFAULT_DAYS

    def __attrs_post_init__(self) -> None:
        check_days(self.deleted_contexts, what="the retention of deleted contexts")
        check_days(self.receipts, what="the retention of receipts")

    def for_deleted(self, policy: Policy) -> int:
        """Days a context under `policy` stays restorable once deleted."""
        days = policy.deleted_retention_days
        return self.deleted_contexts if days is None else days

    def for_receipts(self, policy: Policy) -> int:
        """Days a receipt of a context under `policy` is kept."""
        days = policy.receipt_retention_days
        return self.receipts if days is None else days


def restorable(deleted_at: datetime, *, days: int, now: datetime) -> bool:
    """A context deleted at `deleted_at` can be restored until `days` days have passed."""
    return now <= deleted_at + timedelta(days=days)


def expired(created_at: datetime, *, days: int, now: datetime) -> bool:
    """A receipt made at `created_at` and kept `days` days has expired at `now`."""
    return now > created_at + timedelta(days=days)
