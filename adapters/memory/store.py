"""The whole storage port in process: thread-safe, tenant-scoped, no persistence."""

from __future__ import annotations

import bisect
import threading
from collections.abc import Sequence
from datetime import datetime

import attrs
import numpy as np

from adapters.memory.log import ContextLog
from adapters.memory.receipts import MemoryReceipts
from adapters.memory.retention import MemoryRetention
from adapters.memory.vectors import unit
from domain import compaction, history, versioning
from domain.compaction import CompactionView
from domain.errors import ContextNotFound, IdempotencyKeyReused, InvalidInput
from domain.model import (
    AppendResult,
    Context,
    ContextChanges,
    Entry,
    EntryDraft,
    Page,
    SearchHit,
    entry_from_draft,
)
from domain.pagination import context_cursor, parse_context_cursor
from domain.relevance import Ranked, Relevance
from domain.window import WindowCandidates
from ports.version_log import BasisChanged, DraftBasis


class MemoryStore(MemoryReceipts, MemoryRetention):
    """Every storage port in process memory; one lock serialises every call (as the GIL would)."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._logs: dict[str, ContextLog] = {}
        self._by_tenant: dict[str, list[str]] = {}
        self._children: dict[str, list[str]] = {}

    # -- contexts ---------------------------------------------------------------

    def create_context(self, context: Context) -> Context:
        """Store a new, empty context (id, tenant and times already set)."""
        fresh = attrs.evolve(
            context, head_version=0, token_total=0, compacted_through=0, deleted_at=None
        )
        with self._lock:
            if context.id in self._logs:
                raise InvalidInput(f"context id {context.id!r} already exists")
            self._logs[fresh.id] = ContextLog(context=fresh)
            self._by_tenant.setdefault(fresh.tenant_id, []).append(fresh.id)
        return fresh

    def get_context(self, tenant_id: str, context_id: str) -> Context:
        """The live context, with its head and totals. Raises ContextNotFound."""
        with self._lock:
            return self._live(tenant_id, context_id).context

    def list_contexts(
        self, tenant_id: str, *, limit: int, cursor: str | None = None
    ) -> Page[Context]:
        """The tenant's live contexts by (created_at, id); the cursor is the last item's key."""
        with self._lock:
            live = [
                log.context
                for cid in self._by_tenant.get(tenant_id, ())
                if (log := self._logs[cid]).context.deleted_at is None
            ]
        live.sort(key=_order_key)
        if cursor is not None:
            after = parse_context_cursor(cursor)
            live = [c for c in live if _order_key(c) > after]
        items = tuple(live[:limit])
        more = len(live) > limit
        return Page(items=items, next_cursor=context_cursor(items[-1]) if more else None)

    def update_context(
        self, tenant_id: str, context_id: str, changes: ContextChanges, *, now: datetime
    ) -> Context:
        """Make the changes under the lock (policy fields merged there); bumps updated_at."""
        with self._lock:
            log = self._live(tenant_id, context_id)
            log.context = changes.applied_to(log.context, now=now)
            return log.context

    def delete_context(self, tenant_id: str, context_id: str, *, now: datetime) -> None:
        """Soft delete: the context then answers as missing."""
        with self._lock:
            log = self._live(tenant_id, context_id)
            log.context = attrs.evolve(log.context, deleted_at=now, updated_at=now)

    # -- the version log ----------------------------------------------------------

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
        """Append all drafts or none as versions head+1..head+n."""
        versioning.check_batch_size(len(drafts))
        fingerprint = versioning.key_fingerprint(idempotency_key, fingerprint, drafts)
        with self._lock:
            log = self._live(tenant_id, context_id)
            if idempotency_key is not None:
                seen = log.idempotency.get(idempotency_key)
                if seen is not None:
                    if seen[0] != fingerprint:
                        raise IdempotencyKeyReused(idempotency_key)
                    return attrs.evolve(seen[1], replayed=True)
            current = DraftBasis(policy=log.context.policy, scope=log.scope)
            if drafted_under is not None and drafted_under != current:
                raise BasisChanged(current)
            versioning.check_expected_version(expected_version, log.head)
            result = self._write(log, drafts, now=now)
            if idempotency_key is not None and fingerprint is not None:
                log.idempotency[idempotency_key] = (fingerprint, result)
            return result

    def read_entries(
        self,
        tenant_id: str,
        context_id: str,
        *,
        after: int = 0,
        limit: int = 100,
        at: int | None = None,
    ) -> Page[Entry]:
        """Versions in (after, min(at, head)], ascending, at most `limit`."""
        with self._lock:
            log = self._live(tenant_id, context_id)
            head = log.head
            end = head if at is None else at
            versioning.check_version(end, head)
            start = max(after, 0)
            items = tuple(log.entries[start : min(end, start + limit)])
        more = bool(items) and items[-1].version < end
        return Page(items=items, next_cursor=str(items[-1].version) if more else None)

    def read_versions(
        self, tenant_id: str, context_id: str, versions: Sequence[int]
    ) -> tuple[Entry, ...]:
        """The entries at the given versions (those that exist), in version order."""
        with self._lock:
            log = self._live(tenant_id, context_id)
            wanted = sorted({v for v in versions if 1 <= v <= log.head})
            return tuple(log.entries[v - 1] for v in wanted)

    def window_candidates(
        self, tenant_id: str, context_id: str, *, tail_tokens: int
    ) -> WindowCandidates:
        """Pins, the newest summary and the tail that fits: bisects, never a history scan."""
        with self._lock:
            log = self._live(tenant_id, context_id)
            return WindowCandidates(
                head_version=log.head,
                compacted_through=log.compacted_through,
                pins=tuple(log.pins),
                summary=log.summary,
                tail=log.tail(tail_tokens),
                policy=log.context.policy,
            )

    def rank_relevant(
        self,
        tenant_id: str,
        context_id: str,
        *,
        text: str | None,
        embedding: Sequence[float] | None,
        k: int,
    ) -> Relevance:
        """Exact cosine and BM25 over the eligible active entries, ties to newer versions."""
        with self._lock:
            log = self._live(tenant_id, context_id)
            after = log.compacted_through
            lexical = log.lexical.top(text, k=k, after=after) if text else []
            semantic = self._semantic(log, embedding, k=k, after=after)
            return Relevance(
                semantic=tuple(Ranked(entry=log.entries[v - 1], score=s) for v, s in semantic),
                lexical=tuple(Ranked(entry=log.entries[v - 1], score=s) for v, s in lexical),
            )

    def compaction_view(self, tenant_id: str, context_id: str) -> CompactionView:
        """The eligible active entries and the active tokens."""
        with self._lock:
            log = self._live(tenant_id, context_id)
            return CompactionView(
                head_version=log.head,
                compacted_through=log.compacted_through,
                active_tokens=log.active_tokens(),
                summary=log.summary,
                entries=log.active_entries(),
            )

    def record_compaction(
        self,
        tenant_id: str,
        context_id: str,
        summary: EntryDraft,
        *,
        expected_version: int,
        now: datetime,
    ) -> AppendResult:
        """Append the summary version; compacted_through follows its covered range."""
        compaction.check_summary(summary)
        with self._lock:
            log = self._live(tenant_id, context_id)
            versioning.check_expected_version(expected_version, log.head)
            return self._write(log, [summary], now=now)

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
        """A new context holding copies of the parent's entries 1..version."""
        with self._lock:
            parent = self._live(tenant_id, context_id)
            versioning.check_version(version, parent.head)
            if new_id in self._logs:
                raise InvalidInput(f"context id {new_id!r} already exists")
            shared = parent.entries[:version]
            state = history.state_at(shared)
            child = ContextLog(
                context=attrs.evolve(
                    parent.context,
                    id=new_id,
                    name=name,
                    parent_id=context_id,
                    fork_version=version,
                    head_version=version,
                    token_total=state.token_total,
                    compacted_through=state.compacted_through,
                    scope=parent.scopes[version - 1] if version else (),
                    created_at=now,
                    updated_at=now,
                    deleted_at=None,
                )
            )
            # Entries are immutable, so the copy shares them; the indexes are rebuilt.
            for i, entry in enumerate(shared):
                child.add(entry, context_terms=parent.context_terms[i], scope=parent.scopes[i])
            self._logs[new_id] = child
            self._by_tenant.setdefault(tenant_id, []).append(new_id)
            self._children.setdefault(context_id, []).append(new_id)
            return child.context

    def list_forks(self, tenant_id: str, context_id: str) -> tuple[Context, ...]:
        """The live direct forks of a context, by (created_at, id)."""
        with self._lock:
            self._live(tenant_id, context_id)
            forks = [
                log.context
                for cid in self._children.get(context_id, ())
                if (log := self._logs[cid]).context.deleted_at is None
            ]
        return tuple(sorted(forks, key=_order_key))

    def search(
        self,
        tenant_id: str,
        embedding: Sequence[float],
        *,
        k: int,
        context_id: str | None = None,
    ) -> tuple[SearchHit, ...]:
        """Exact cosine over every embedded entry of the tenant's live contexts."""
        query = unit(embedding)
        hits: list[SearchHit] = []
        with self._lock:
            if context_id is not None:
                logs = [self._live(tenant_id, context_id)]
            else:
                logs = [
                    log
                    for cid in self._by_tenant.get(tenant_id, ())
                    if (log := self._logs[cid]).context.deleted_at is None
                ]
            for log in logs:
                scores = log.vectors.similarities(query)
                for i in _top_indices(scores, k):
                    entry = log.entries[log.vectors.versions[i] - 1]
                    hits.append(
                        SearchHit(context_id=log.context.id, entry=entry, score=float(scores[i]))
                    )
        hits.sort(key=lambda h: (-h.score, h.context_id, h.entry.version))
        return tuple(hits[:k])

    # -- helpers --------------------------------------------------------------------

    def _live(self, tenant_id: str, context_id: str) -> ContextLog:
        log = self._logs.get(context_id)
        if log is None or log.context.tenant_id != tenant_id or log.context.deleted_at:
            raise ContextNotFound(context_id)
        return log

    def _write(
        self, log: ContextLog, drafts: Sequence[EntryDraft], *, now: datetime
    ) -> AppendResult:
        versions = versioning.versions_after(log.head, len(drafts))
        entries = [
            entry_from_draft(d, version=v, created_at=now)
            for d, v in zip(drafts, versions, strict=True)
        ]
        for entry, d in zip(entries, drafts, strict=True):
            log.add(entry, context_terms=d.context_terms, scope=d.scope)
        tokens = sum(e.token_count for e in entries)
        log.context = attrs.evolve(
            log.context,
            head_version=log.head,
            token_total=log.context.token_total + tokens,
            compacted_through=log.compacted_through,
            scope=log.scope,
            updated_at=now,
        )
        return AppendResult(
            context_id=log.context.id,
            first_version=versions[0],
            last_version=versions[-1],
            head_version=log.head,
            token_count=tokens,
        )

    def _semantic(
        self, log: ContextLog, embedding: Sequence[float] | None, *, k: int, after: int
    ) -> list[tuple[int, float]]:
        if embedding is None or k < 1:
            return []
        vectors = log.vectors
        start = _first_after(vectors.versions, after)
        return vectors.top(unit(embedding), k, start)


def _first_after(versions: list[int], after: int) -> int:
    return bisect.bisect_right(versions, after)


def _top_indices(scores: np.ndarray, k: int) -> list[int]:
    if scores.shape[0] == 0 or k < 1:
        return []
    if scores.shape[0] > k:
        picked = np.argpartition(-scores, k - 1)[:k]
    else:
        picked = np.arange(scores.shape[0])
    return [int(i) for i in picked]


def _order_key(context: Context) -> tuple[datetime, str]:
    return (context.created_at, context.id)
