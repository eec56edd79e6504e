"""The storage port: contexts and their version log, always scoped to a tenant."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from domain.compaction import CompactionView
from domain.model import (
    AppendResult,
    Context,
    ContextChanges,
    Entry,
    EntryDraft,
    Page,
    Policy,
    SearchHit,
)
from domain.relevance import Relevance
from domain.window import WindowCandidates


class ContextStore(Protocol):
    """Contexts and their immutable, gapless version logs.

    Every method names the tenant; another tenant's context raises ContextNotFound,
    exactly like a missing or deleted one.
    """

    def create_context(self, context: Context) -> Context:
        """Store a new, empty context (id, tenant and times already set)."""
        ...

    def get_context(self, tenant_id: str, context_id: str) -> Context:
        """The live context, with its head and totals. Raises ContextNotFound."""
        ...

    def list_contexts(
        self, tenant_id: str, *, limit: int, cursor: str | None = None
    ) -> Page[Context]:
        """The tenant's live contexts, oldest first, `limit` at a time (opaque cursor)."""
        ...

    def update_context(
        self, tenant_id: str, context_id: str, changes: ContextChanges, *, now: datetime
    ) -> Context:
        """Change name, metadata or policy. Raises ContextNotFound."""
        ...

    def delete_context(self, tenant_id: str, context_id: str, *, now: datetime) -> None:
        """Soft delete: the context then answers as missing. Raises ContextNotFound."""
        ...

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
        policy: Policy | None = None,
    ) -> AppendResult:
        """Append all drafts or none as versions head+1..head+n.

        Raises EmptyBatch, VersionConflict (carrying the head), IdempotencyKeyReused
        (same key, other fingerprint), ContextNotFound. A key seen with the same
        fingerprint returns the first result with replayed=True and writes nothing.
        With `policy` (the one the drafts were counted under), a context whose policy
        is another raises PolicyChanged carrying it and writes nothing; checked after
        the idempotency key, before expected_version.
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

    def window_candidates(
        self, tenant_id: str, context_id: str, *, tail_tokens: int
    ) -> WindowCandidates:
        """Pins, the newest summary and the newest eligible entries whose suffix fits
        `tail_tokens`, with the context's policy as of the same state; the cost must not
        grow with the history's length."""
        ...

    def rank_relevant(
        self,
        tenant_id: str,
        context_id: str,
        *,
        text: str | None,
        embedding: Sequence[float] | None,
        k: int,
    ) -> Relevance:
        """The top-k eligible active entries by cosine to `embedding` and by lexical
        match to `text` (each ranking empty when its query part is None)."""
        ...

    def compaction_view(self, tenant_id: str, context_id: str) -> CompactionView:
        """The eligible active entries (after the newest summary) and active tokens."""
        ...

    def record_compaction(
        self,
        tenant_id: str,
        context_id: str,
        summary: EntryDraft,
        *,
        expected_version: int,
        now: datetime,
    ) -> AppendResult:
        """Append the summary version and move compacted_through to its covered end.

        Raises VersionConflict if the head moved since the plan was made.
        """
        ...

    def fork(
        self,
        tenant_id: str,
        context_id: str,
        *,
        version: int,
        new_id: str,
        name: str,
        now: datetime,
    ) -> Context:
        """A new context holding the parent's entries 1..version (inside the store).

        Raises VersionOutOfRange, ContextNotFound.
        """
        ...

    def list_forks(self, tenant_id: str, context_id: str) -> tuple[Context, ...]:
        """The live direct forks of a context, oldest first."""
        ...

    def search(
        self,
        tenant_id: str,
        embedding: Sequence[float],
        *,
        k: int,
        context_id: str | None = None,
    ) -> tuple[SearchHit, ...]:
        """The k entries closest by cosine within the tenant (optionally one context)."""
        ...
