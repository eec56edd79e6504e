"""The version log port: all-or-nothing appends and reads of a context's immutable versions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from domain.model import AppendResult, Entry, EntryDraft, Page, Policy


class PolicyChanged(Exception):
    """The batch was counted under a policy the context no longer has: nothing was written.

    An outcome between a store and the engine, never shown to callers: the engine counts
    the batch again under `policy` and retries.
    """

    def __init__(self, policy: Policy) -> None:
        super().__init__("the context's policy changed; count again with the current one")
        self.policy = policy


class VersionLog(Protocol):
    """A context's gapless, immutable versions 1..head."""

    def append(
        self,
        tenant_id: str,
        context_id: str,
        drafts: Sequence[EntryDraft],
        *,
        now: datetime,
        expected_version: int | None = None,
        idempotency_key: str | None = None,
        fingerprint: str | None = None,
        counted_under: Policy | None = None,
    ) -> AppendResult:
        """Append all drafts or none as versions head+1..head+n.

        Raises EmptyBatch, VersionConflict (carrying the head), IdempotencyKeyReused
        (same key, other fingerprint), ContextNotFound. A key seen with the same
        fingerprint (a digest of what the client sent) returns the first result with
        replayed=True and writes nothing. `counted_under` is the policy whose encoding
        counted the drafts: when the context's policy is another, the store raises
        PolicyChanged carrying it and writes nothing (checked after the idempotency key,
        before expected_version), so the caller needs no read of the policy first.
        """
        ...

    def read_entries(
        self,
        tenant_id: str,
        context_id: str,
        *,
        after: int = 0,
        limit: int = 100,
        at: int | None = None,
    ) -> Page[Entry]:
        """Entries with version > after, up to version `at` (default head), in order.

        Raises VersionOutOfRange when `at` is outside 0..head.
        """
        ...

    def read_versions(
        self, tenant_id: str, context_id: str, versions: Sequence[int]
    ) -> tuple[Entry, ...]:
        """The entries at the given versions (those that exist), in version order."""
        ...
