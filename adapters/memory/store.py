"""The whole storage port in process: thread-safe, tenant-scoped, no persistence."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import datetime

import attrs

from adapters.memory.log import ContextLog
from adapters.memory.receipts import MemoryReceipts
from adapters.memory.retention import MemoryRetention
from adapters.memory.vectors import unit
from domain import compaction, history, lineage, quota, versioning
from domain.compaction import CompactionView
from domain.errors import ContextNotFound, IdempotencyKeyReused, InvalidInput
from domain.model import (
    AppendResult,
    Context,
    ContextChanges,
    Entry,
    EntryDraft,
    Erasure,
    ErasureReason,
    Page,
    PurgeResult,
    SearchHit,
    entry_from_draft,
    erasure_of,
)
from domain.pagination import time_page
from domain.quota import NO_QUOTA, Quota, Usage
from domain.relevance import RankBasis, RankQuery, Relevance
from domain.window import WindowCandidates
from ports.version_log import BasisChanged, DraftBasis


class MemoryStore(MemoryReceipts, MemoryRetention):
    """Every storage port in process memory; one lock serialises every call (as the GIL would)."""

    def __init__(self, *, quota: Quota = NO_QUOTA) -> None:
        super().__init__()
        self._lock = threading.RLock()  # ranked_candidates holds it across two reads
        self._quota = quota
        # What each tenant stores, as quotas count it (counted while a quota is on).
        self._usage: dict[str, Usage] = {}
        self._logs: dict[str, ContextLog] = {}
        self._by_tenant: dict[str, list[str]] = {}
        self._children: dict[str, list[str]] = {}
        # Purged contexts kept as tombstones while forks share their early entries.
        self._purged: set[str] = set()
        self._erasures: dict[str, list[Erasure]] = {}

    def ping(self) -> None:
        """Always ready: process memory does not go away."""

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
        return time_page(live, _order_key, limit=limit, cursor=cursor)

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
            counted = self._quota.enabled
            if counted:
                adding = quota.batch_usage(drafts)
                used = self._usage.get(tenant_id, Usage())
                quota.check(self._quota, used, adding)
            result = self._write(log, drafts, now=now)
            if counted:
                self._usage[tenant_id] = used + adding
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
            items = tuple(log.history(end).entries(after=max(after, 0), limit=max(limit, 0)))
        more = bool(items) and items[-1].version < end
        return Page(items=items, next_cursor=str(items[-1].version) if more else None)

    def read_versions(
        self, tenant_id: str, context_id: str, versions: Sequence[int]
    ) -> tuple[Entry, ...]:
        """The entries at the given versions (those that exist), in version order."""
        with self._lock:
            found = self._live(tenant_id, context_id).history()
            wanted = sorted({v for v in versions if 1 <= v <= found.upto})
            return tuple(found.entries_at(wanted))

    def window_candidates(
        self,
        tenant_id: str,
        context_id: str,
        *,
        tail_tokens: int,
        at: int | None = None,
        summaries: bool = True,
    ) -> WindowCandidates:
        """Pins, the summary in force and the tail that fits, as of `at` (the head by
        default), without the summary when `summaries` is false: bisects, never a
        history scan."""
        with self._lock:
            log = self._live(tenant_id, context_id)
            if at is not None:
                versioning.check_version(at, log.head)
            found = log.history(at)
            summary = found.summary if summaries else None
            through = history.compacted_through(summary)
            return WindowCandidates(
                head_version=found.upto,
                compacted_through=through,
                pins=tuple(found.pins()),
                summary=summary,
                tail=found.tail(max(tail_tokens, 0), through=through),
                policy=log.context.policy,
            )

    def ranked_candidates(
        self,
        tenant_id: str,
        context_id: str,
        *,
        tail_tokens: int,
        query: RankQuery,
        at: int | None = None,
        summaries: bool = True,
    ) -> tuple[WindowCandidates, Relevance]:
        """The candidates and the rankings under one hold of the lock: the same state."""
        with self._lock:
            candidates = self.window_candidates(
                tenant_id, context_id, tail_tokens=tail_tokens, at=at, summaries=summaries
            )
            relevance = self.rank_relevant(
                tenant_id, context_id, text=query.text, embedding=query.embedding, k=query.k,
                at=at, summaries=summaries,
            )
        return candidates, relevance

    def rank_relevant(
        self,
        tenant_id: str,
        context_id: str,
        *,
        text: str | None,
        embedding: Sequence[float] | None,
        k: int,
        at: int | None = None,
        summaries: bool = True,
        basis: RankBasis | None = None,
    ) -> Relevance:
        """Exact cosine and BM25 over the eligible active entries, ties to newer versions
        (`basis` is not needed: the history is at hand)."""
        with self._lock:
            log = self._live(tenant_id, context_id)
            if at is not None:
                versioning.check_version(at, log.head)
            found = log.history(at)
            after = found.compacted_through if summaries else 0
            lexical = found.lexical_top(text, k=k, after=after) if text and k > 0 else []
            semantic = (
                found.semantic_top(unit(embedding), k=k, after=after)
                if embedding is not None and k > 0
                else []
            )
            return Relevance(
                semantic=tuple(found.place(e, s) for e, s in semantic),
                lexical=tuple(found.place(e, s) for e, s in lexical),
            )

    def compaction_view(self, tenant_id: str, context_id: str) -> CompactionView:
        """The eligible active entries and the active tokens."""
        with self._lock:
            found = self._live(tenant_id, context_id).history()
            return CompactionView(
                head_version=found.upto,
                compacted_through=found.compacted_through,
                active_tokens=found.active_tokens(),
                summary=found.summary,
                entries=found.active_entries(),
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
        """Append the summary version (compacted_through follows its covered range) or a
        revert marker (the summary before the reverted one is in force again)."""
        compaction.check_compaction(summary)
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
        """A new context sharing the parent's entries 1..version (domain.lineage)."""
        with self._lock:
            parent = self._live(tenant_id, context_id)
            versioning.check_version(version, parent.head)
            if new_id in self._logs:
                raise InvalidInput(f"context id {new_id!r} already exists")
            shared = parent.history(version)
            base = lineage.fork_base([seg for _, seg in shared.parts])
            child = ContextLog(
                context=attrs.evolve(
                    parent.context,
                    id=new_id,
                    name=name,
                    parent_id=context_id,
                    fork_version=version,
                    head_version=version,
                    token_total=shared.token_total,
                    compacted_through=shared.compacted_through,
                    scope=shared.scope,
                    created_at=now,
                    updated_at=now,
                    deleted_at=None,
                ),
                base=base,
                base_logs=tuple(log for log, _ in shared.parts),
                token_sums=[shared.token_total],
                eligible_sums=[shared.eligible_through(version)],
                base_scope=shared.scope,
            )
            self._logs[new_id] = child
            self._by_tenant.setdefault(tenant_id, []).append(new_id)
            self._children.setdefault(context_id, []).append(new_id)
            return child.context

    def purge_context(
        self,
        tenant_id: str,
        context_id: str,
        *,
        now: datetime,
        reason: ErasureReason = ErasureReason.REQUEST,
    ) -> PurgeResult:
        """Remove the context and every own entry no other context's base shares; a
        purged ancestor that only this one still shared gives up its rows too."""
        with self._lock:
            log = self._logs.get(context_id)
            if log is None or log.context.tenant_id != tenant_id or context_id in self._purged:
                raise ContextNotFound(context_id)
            removed, embedded = self._release(log, now=now)
            receipts = len(self._receipts.pop(context_id, {}))
            kept = len(log.entries) if context_id in self._logs else 0
            for ancestor in log.base_logs:
                if ancestor.context.id in self._purged:
                    more, more_embedded = self._release(ancestor, now=now)
                    removed, embedded = removed + more, embedded + more_embedded
            result = PurgeResult(
                context_id=context_id,
                entries_removed=removed,
                embeddings_removed=embedded,
                entries_kept_for_forks=kept,
                receipts_removed=receipts,
            )
            self._erasures.setdefault(tenant_id, []).append(
                erasure_of(result, tenant_id=tenant_id, at=now, reason=reason)
            )
            return result

    def list_erasures(
        self, tenant_id: str, *, limit: int, cursor: str | None = None
    ) -> Page[Erasure]:
        """The tenant's erasure records by (erased_at, context_id)."""
        with self._lock:
            found = list(self._erasures.get(tenant_id, ()))
        return time_page(found, _erasure_key, limit=limit, cursor=cursor)

    def _release(self, log: ContextLog, *, now: datetime) -> tuple[int, int]:
        """Drop the log's own entries no unpurged base shares; the log itself goes when
        none is shared, else it stays as a purged tombstone. Returns (entries, embeddings)."""
        cid, tenant = log.context.id, log.context.tenant_id
        others = [
            other.base
            for oid in self._by_tenant.get(tenant, ())
            if oid != cid and oid not in self._purged and (other := self._logs[oid]).base.ends
        ]
        shared = lineage.shared_through(others, cid)
        embedded = sum(1 for e in log.entries if e.version > shared and e.embedding is not None)
        removed = log.truncate(shared)
        log.idempotency.clear()
        if shared == 0:
            del self._logs[cid]
            self._by_tenant[tenant].remove(cid)
            self._purged.discard(cid)
            if log.context.parent_id is not None:
                siblings = self._children.get(log.context.parent_id, [])
                if cid in siblings:
                    siblings.remove(cid)
        else:
            self._purged.add(cid)
            deleted = log.context.deleted_at or now
            log.context = attrs.evolve(log.context, deleted_at=deleted, updated_at=now)
        return removed, embedded

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
                # The context's whole lineage, its hits under its own id.
                found = self._live(tenant_id, context_id).history()
                for entry, score in found.similar(query, k=k):
                    hits.append(SearchHit(context_id=context_id, entry=entry, score=score))
            else:
                # Each stored version once, under the live context that stores it.
                for cid in self._by_tenant.get(tenant_id, ()):
                    log = self._logs[cid]
                    if log.context.deleted_at is not None:
                        continue
                    for v, score in log.vectors.nearest(query, k, log.start, log.head):
                        hits.append(SearchHit(context_id=cid, entry=log.own(v), score=score))
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


def _erasure_key(e: Erasure) -> tuple[datetime, str]:
    return (e.erased_at, e.context_id)


def _order_key(context: Context) -> tuple[datetime, str]:
    return (context.created_at, context.id)
