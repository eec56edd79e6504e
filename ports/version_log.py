"""The version log port: all-or-nothing appends and reads of a context's immutable versions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

import attrs

from domain.model import AppendResult, Entry, EntryDraft, Page, Policy
from domain.records import Record


@attrs.frozen(kw_only=True, repr=False, eq=False)
class DraftBasis(Record):
    """What a batch was drafted under: the policy whose encoding counted its tokens, and
    the discourse scope at the head its entries are indexed with."""

    policy: Policy
    scope: tuple[str, ...] = ()


class BasisChanged(Exception):
    """The batch was drafted under a policy or scope the context no longer has: nothing
    was written.

    An outcome between a store and the engine, never shown to callers: the engine drafts
    the batch again under `basis` and retries.
    """

    def __init__(self, basis: DraftBasis) -> None:
        super().__init__("the context's policy or scope changed; draft again with the current")
        self.basis = basis


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
        drafted_under: DraftBasis | None = None,
    ) -> AppendResult:
        """Append all drafts or none as versions head+1..head+n.

        Raises EmptyBatch, VersionConflict (carrying the head), IdempotencyKeyReused
        (same key, other fingerprint), ContextNotFound. A key seen with the same
        fingerprint (a digest of what the client sent) returns the first result with
        replayed=True and writes nothing. `drafted_under` is the basis the drafts were
        made under: when the context's policy or scope is another, the store raises
        BasisChanged carrying the current one and writes nothing (checked after the
        idempotency key, before expected_version), so the caller needs no read first.
        The context's scope becomes the newest draft's `scope` (summaries leave it).
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
