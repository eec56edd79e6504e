"""The Engine: one object over the use cases, so callers need not wire each one."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import attrs

from domain.compaction import CompactionResult, RevertResult
from domain.model import (
    AppendResult,
    Context,
    ContextChanges,
    Entry,
    Erasure,
    Message,
    Page,
    Policy,
    PurgeResult,
    SearchHit,
)
from domain.receipts import Receipt, RecordedWindow
from domain.records import Record
from domain.retention import RetentionDays
from domain.window import Window
from entrypoints.engine import (
    append,
    compaction,
    contexts,
    forks,
    history,
    receipts,
    retention,
    search,
    window,
)
from entrypoints.engine.drafting import Drafter
from entrypoints.engine.limits import MAX_BATCH, WINDOW_LIMITS, WindowLimits
from entrypoints.engine.policy_guess import PolicyGuess
from entrypoints.engine.store import Store
from ports.clock import Clock, IdGenerator
from ports.embedder import Embedder
from ports.summarizer import Summarizer
from ports.tokens import TokenCounter


@attrs.define(kw_only=True, repr=False)
class Engine(Record):
    """Kata Context's use cases. Sync by design: see the README's design notes."""

    store: Store
    tokens: TokenCounter
    summarizer: Summarizer
    clock: Clock
    ids: IdGenerator
    embedder: Embedder | None = None
    dimension: int = 1536
    # Writes the summaries of automatic compaction inside an append (None: `summarizer`),
    # so that an append can wait on a model for less than a compaction asked for.
    auto_summarizer: Summarizer | None = None
    # How long deleted contexts stay restorable and receipts are kept (a context's policy
    # may say otherwise).
    retention_days: RetentionDays = attrs.field(factory=RetentionDays)
    # What one window may materialise (WindowTooLarge past it).
    window_limits: WindowLimits = WINDOW_LIMITS
    _drafter: Drafter = attrs.field(init=False, repr=False, eq=False)
    _guess: PolicyGuess = attrs.field(factory=PolicyGuess, init=False, repr=False, eq=False)

    _recorder: receipts.Recorder = attrs.field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        self._drafter = Drafter(
            tokens=self.tokens, embedder=self.embedder, dimension=self.dimension
        )
        self._recorder = receipts.Recorder(receipts=self.store, clock=self.clock, ids=self.ids)

    # -- contexts ---------------------------------------------------------------

    def create_context(
        self,
        tenant_id: str,
        *,
        name: str = "",
        metadata: dict[str, Any] | None = None,
        policy: Policy | None = None,
    ) -> Context:
        """A new, empty context for the tenant."""
        created = contexts.create_context(
            tenant_id, contexts=self.store, clock=self.clock, ids=self.ids,
            name=name, metadata=metadata, policy=policy,
        )
        self._guess.saw(created)
        return created

    def ping(self) -> None:
        """Return when the store answers. Raises StoreUnavailable (the readiness probe)."""
        self.store.ping()

    def get_context(self, tenant_id: str, context_id: str) -> Context:
        """The context with its head and totals."""
        return self.store.get_context(tenant_id, context_id)

    def list_contexts(
        self, tenant_id: str, *, limit: int = 50, cursor: str | None = None
    ) -> Page[Context]:
        """The tenant's contexts, a page at a time."""
        return contexts.list_contexts(tenant_id, contexts=self.store, limit=limit, cursor=cursor)

    def update_context(self, tenant_id: str, context_id: str, changes: ContextChanges) -> Context:
        """Rename, or change metadata or policy."""
        updated = self.store.update_context(tenant_id, context_id, changes, now=self.clock.now())
        self._guess.saw(updated)
        return updated

    def delete_context(self, tenant_id: str, context_id: str) -> None:
        """Soft delete: history is kept but the context answers as missing."""
        self.store.delete_context(tenant_id, context_id, now=self.clock.now())

    def purge(self, tenant_id: str, context_id: str) -> PurgeResult:
        """Hard delete, live or soft-deleted: the context, its entries and embeddings go
        for good, except entries its forks still share (ports.purge)."""
        return self.store.purge_context(tenant_id, context_id, now=self.clock.now())

    def erasures(
        self, tenant_id: str, *, limit: int = 50, cursor: str | None = None
    ) -> Page[Erasure]:
        """The tenant's erasure audit (one record per purge, no content), oldest first."""
        return self.store.list_erasures(tenant_id, limit=limit, cursor=cursor)
    def restore_context(self, tenant_id: str, context_id: str) -> Context:
        """Undo a soft delete within the context's retention; after it, ContextNotFound."""
        restored = retention.restore_context(
            tenant_id, context_id, contexts=self.store, now=self.clock.now(),
            retention=self.retention_days,
        )
        self._guess.saw(restored)
        return restored

    # -- the version log ----------------------------------------------------------

    def append(
        self,
        tenant_id: str,
        context_id: str,
        messages: Sequence[Message],
        *,
        expected_version: int | None = None,
        idempotency_key: str | None = None,
    ) -> AppendResult:
        """Append a batch all-or-nothing as versions head+1..head+n, then compact if due."""
        result, policy = append.append(
            tenant_id, context_id, messages, log=self.store, contexts=self.store,
            guess=self._guess, drafter=self._drafter, clock=self.clock,
            expected_version=expected_version, idempotency_key=idempotency_key,
        )
        if not result.replayed:
            compaction.compact_if_due(
                tenant_id, context_id, policy, log=self.store,
                summarizer=self.auto_summarizer or self.summarizer,
                tokens=self.tokens, clock=self.clock,
            )
        return result

    def append_all(
        self,
        tenant_id: str,
        context_id: str,
        messages: Sequence[Message],
        *,
        expected_version: int | None = None,
        idempotency_key: str | None = None,
    ) -> tuple[AppendResult, ...]:
        """Append any number of messages, MAX_BATCH at a time, in order.

        Each batch is all-or-nothing, the whole is not: `expected_version` guards the
        first batch only, another writer's entries (or an automatic compaction) may land
        between batches, and a failure stops the rest while the batches before it stay.
        With a key, batch i is sent as `key#i`: calling again with the same key replays
        the batches that landed and sends the rest.
        """
        results: list[AppendResult] = []
        for i, start in enumerate(range(0, max(len(messages), 1), MAX_BATCH)):
            key = None if idempotency_key is None else f"{idempotency_key}#{i}"
            first = expected_version if i == 0 else None
            batch = messages[start : start + MAX_BATCH]
            results.append(
                self.append(
                    tenant_id, context_id, batch, expected_version=first, idempotency_key=key
                )
            )
        return tuple(results)

    def entries(
        self,
        tenant_id: str,
        context_id: str,
        *,
        after: int = 0,
        limit: int = 100,
        at: int | None = None,
    ) -> Page[Entry]:
        """Entries after a version cursor, as of version `at` (time travel) or the head."""
        return history.entries(
            tenant_id, context_id, log=self.store, after=after, limit=limit, at=at
        )

    def state_at(self, tenant_id: str, context_id: str, version: int) -> tuple[Entry, ...]:
        """The whole state at `version`: entries 1..version."""
        return history.state_at(tenant_id, context_id, version, log=self.store)

    def version_state(
        self, tenant_id: str, context_id: str, version: int, *, after: int = 0, limit: int = 100
    ) -> history.VersionState:
        """The entry `version` added and a page of the state at it (time travel)."""
        return history.version_state(
            tenant_id, context_id, version, log=self.store, after=after, limit=limit
        )

    # -- windows, forks, compaction, search -----------------------------------------

    def window(
        self,
        tenant_id: str,
        context_id: str,
        *,
        budget: int | None = None,
        reserve: int | None = None,
        query: str | None = None,
        query_embedding: Sequence[float] | None = None,
        relevant_share: float | None = None,
        neighbours: int | None = None,
        at: int | None = None,
        record: bool | None = None,
        include_summary: bool = True,
    ) -> Window:
        """The best window for the budget (the policy's when not given), query-aware
        when a query (text, vector or both) is given; `relevant_share` and `neighbours`
        override the policy's for this call. With `at`, the window as of that version
        (VersionOutOfRange outside 0..head). Recorded as a receipt (its id in
        `receipt_id`) when `record` is true, or when it is None and the policy's
        `record_windows` is. Without `include_summary`, no compaction summary stands in
        for older entries."""
        return window.window(
            tenant_id, context_id, source=self.store, ranking=self.store, log=self.store,
            contexts=self.store, guess=self._guess, drafter=self._drafter,
            budget=budget, reserve=reserve, query=query, query_embedding=query_embedding,
            relevant_share=relevant_share, neighbours=neighbours, at=at,
            include_summary=include_summary, recorder=self._recorder, record=record,
            limits=self.window_limits,
        )

    def receipt(self, tenant_id: str, context_id: str, receipt_id: str) -> RecordedWindow:
        """A recorded window: its receipt, and exactly the entries that were sent."""
        return receipts.receipt(
            tenant_id, context_id, receipt_id, receipts=self.store, log=self.store
        )

    def receipts(
        self, tenant_id: str, context_id: str, *, limit: int = 50, cursor: str | None = None
    ) -> Page[Receipt]:
        """A context's receipts, oldest first, a page at a time."""
        return receipts.list_receipts(
            tenant_id, context_id, receipts=self.store, limit=limit, cursor=cursor
        )

    def retention_run(self, now: datetime | None = None) -> retention.RetentionReport:
        """Delete, across tenants, what has outlived its retention (receipts), once."""
        return retention.retention_run(
            store=self.store, now=now or self.clock.now(), retention=self.retention_days
        )

    def fork(
        self,
        tenant_id: str,
        context_id: str,
        *,
        version: int | None = None,
        name: str | None = None,
    ) -> Context:
        """A new context whose history is this one's entries 1..version (default head)."""
        return forks.fork(
            tenant_id, context_id, forks=self.store, contexts=self.store, clock=self.clock,
            ids=self.ids, version=version, name=name,
        )

    def forks(self, tenant_id: str, context_id: str) -> tuple[Context, ...]:
        """The forks made from a context."""
        return self.store.list_forks(tenant_id, context_id)

    def compact(self, tenant_id: str, context_id: str, *, force: bool = False) -> CompactionResult:
        """Summarize older active entries now (when due, or always with force)."""
        policy = self.store.get_context(tenant_id, context_id).policy
        return compaction.compact(
            tenant_id, context_id, policy, log=self.store, summarizer=self.summarizer,
            tokens=self.tokens, clock=self.clock, force=force,
        )

    def revert_compaction(
        self, tenant_id: str, context_id: str, summary_version: int
    ) -> RevertResult:
        """Revert the compaction in force (the summary at `summary_version`): windows stop
        using it, the one before it is in force again, and both stay in the history."""
        policy = self.store.get_context(tenant_id, context_id).policy
        return compaction.revert(
            tenant_id, context_id, summary_version, policy,
            log=self.store, source=self.store, clock=self.clock,
        )

    def search(
        self,
        tenant_id: str,
        embedding: Sequence[float],
        *,
        k: int = 10,
        context_id: str | None = None,
    ) -> tuple[SearchHit, ...]:
        """The k entries most similar to `embedding` in the tenant (or one context)."""
        return search.search(
            tenant_id, embedding, index=self.store, drafter=self._drafter, k=k,
            context_id=context_id,
        )
