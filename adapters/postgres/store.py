"""Every storage port over PostgreSQL (psycopg 3, sync, through a pool the caller opened).

Appends, forks and windows are single statements (see queries.py): autocommit makes each
atomic, and the context's row lock keeps versions gapless under concurrent writers. Every
statement runs in a transaction that names its tenant for row-level security (tenancy.py):
the second wall behind each query's own tenant filter.
"""

from __future__ import annotations

import contextlib
import math
import operator
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import attrs
import psycopg
from psycopg.rows import dict_row, tuple_row
from psycopg_pool import ConnectionPool, PoolTimeout

from adapters.postgres import appends, nearest, outage, queries, tenancy
from adapters.postgres import lexical as bm25
from adapters.postgres.receipts import PostgresReceipts
from adapters.postgres.retention import PostgresRetention
from adapters.postgres.rows import (
    context_from_row,
    entry_from_row,
    int_array,
    policy_from_json,
    policy_json,
    to_json,
    vector_param,
)
from adapters.postgres.vectors import VectorKey, VectorReads
from domain import compaction, history, quota, versioning
from domain.compaction import CompactionView
from domain.errors import (
    ContextNotFound,
    InvalidInput,
    VersionConflict,
)
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
)
from domain.pagination import context_cursor, parse_context_cursor, time_cursor
from domain.quota import NO_QUOTA, Quota, Usage
from domain.relevance import RankBasis, Ranked, RankQuery, Relevance
from domain.window import WindowCandidates
from ports.version_log import DraftBasis

# A racing writer can make the first attempt inconclusive; a few retries always settle it.
_APPEND_ATTEMPTS = 5
# HNSW candidate list for similarity search: higher finds more true neighbours, slower.
# A tenant filter keeps only its share of each candidate list, so the default is well
# above pgvector's 40: at 100k x 1536 with a 20 % tenant, recall@10 went 0.90 / 0.975 /
# 0.995 / 0.999 at 100 / 200 / 300 / 400, p50 10 / 18 / 22 / 28 ms (bench/search_postgres).
DEFAULT_EF_SEARCH = 300
# Contexts with at most this many active entries are ranked by an exact scan (a few ms);
# longer ones through the HNSW index (the exact scan was 48-76 ms at 100k entries).
DEFAULT_EXACT_BELOW = 10_000
# Large enough for "every eligible entry" in a compaction view.
_ALL_TOKENS = 2**62
# Columns after the entry's, by name (read per row: looked up once, here).
_FILLS = queries.WINDOW_AT["fills"]
_HEAD = queries.READ_ENTRIES_AT["head"]
_HIT_CONTEXT = queries.HIT_AT["context_id"]
_HIT_DISTANCE = queries.HIT_AT["distance"]


def squeezed(sql: str) -> str:
    """The statement without its comments and indentation, for psycopg to keep parsed.

    psycopg converts `%(name)s` placeholders on every execute unless the text is at most
    4096 characters (psycopg._queries.MAX_CACHED_STATEMENT_LENGTH); the commented window
    statement was 4132, re-parsed in 26 us per request, 5 once cached. Only whole-line
    comments and a trailing comment after an even number of quotes go, so a literal is
    never cut; runs of spaces in literals would be squeezed, and ours have none.
    """
    out = []
    for raw in sql.splitlines():
        line = " ".join(raw.split())
        cut = line.find("--")
        if cut >= 0 and line[:cut].count("'") % 2 == 0:
            line = line[:cut].rstrip()
        if line:
            out.append(line)
    return "\n".join(out)


# The head window is the hot path (time travel's, at 4106 characters, is parsed each time).
_WINDOW = squeezed(queries.WINDOW)
_WINDOW_THEN = squeezed(queries.WINDOW_THEN)


_RANK_BM25 = squeezed(bm25.RANK_BM25)
# By (quotas on, idempotency key given); the common one, neither, is kept parsed.
_APPENDS = {
    (quota_on, keyed): squeezed(queries.append_statement(quota=quota_on, key=keyed))
    for quota_on in (False, True)
    for keyed in (False, True)
}
# The query window's statements (window, BM25, semantic; then read_versions) run on
# their generic plans where the pool prepares (pool.connection_kwargs; unprepared, the
# setting does nothing). Left to choose, PostgreSQL sometimes re-planned them with each
# call's values, and which it did changed with the tables' statistics: at 100k, custom
# plans cost 2.5 ms of bind per query window (BM25 1.16, window 0.84, semantic 0.54)
# against 0.5 generic, read_versions 0.33 against 0.08, and the server's time per window
# went 10.3 -> 8.9 ms. The generic plans are the custom ones (EXPLAIN (GENERIC_PLAN) at
# 100k: the same index probes and scans, each under a LIMIT); tests/postgres/
# test_ranking.py ranks under them as without.
_GENERIC_PLANS = "SELECT set_config('plan_cache_mode', 'force_generic_plan', true)"
# Contexts whose active length the store remembers (to pick a ranking's scan before the
# window's statement says it); past that, it starts afresh.
_ACTIVE_SEEN = 10_000


def _window_statement(
    tenant_id: str, context_id: str, tail_tokens: int, at: int | None, summaries: bool
) -> tuple[str, dict[str, Any]]:
    params = {
        "tenant": tenant_id, "id": context_id, "tail": max(tail_tokens, 0), "at": at,
        "summaries": summaries,
    }
    return (_WINDOW if at is None else _WINDOW_THEN), params


def _candidates_of(
    rows: Sequence[tuple[Any, ...]], context_id: str, at: int | None, vectors: VectorReads
) -> WindowCandidates:
    """WindowCandidates from the window statement's rows (vectors read through `vectors`)."""
    found: dict[str, list[Entry]] = {"pins": [], "summary": [], "tail": []}
    state = None
    for r in rows:
        if r[_FILLS] == "state":
            state = r
        else:
            found[r[_FILLS]].append(entry_from_row(r, vectors))
    if state is None:
        raise ContextNotFound(context_id)
    col = queries.WINDOW_AT
    if at is not None and at != state[col["head_version"]]:
        # Past the head: the statement read through the head; say so.
        versioning.check_version(at, state[col["head_version"]])
    return WindowCandidates(
        policy=policy_from_json(state[col["policy"]]),
        head_version=state[col["head_version"]],
        compacted_through=state[col["compacted_through"]],
        pins=tuple(sorted(found["pins"], key=_version)),
        summary=found["summary"][0] if found["summary"] else None,
        tail=tuple(sorted(found["tail"], key=_version)),
    )


class PostgresStore(PostgresReceipts, PostgresRetention):
    """The storage port over PostgreSQL; every query names its tenant."""

    def __init__(
        self,
        pool: ConnectionPool,
        *,
        ef_search: int = DEFAULT_EF_SEARCH,
        exact_below: int = DEFAULT_EXACT_BELOW,
        quota: Quota = NO_QUOTA,
    ) -> None:
        self._pool = pool
        self._ef_search = ef_search
        self._exact_below = exact_below
        self._quota = quota
        self._active: dict[tuple[str, str], int] = {}

    @property
    def pool(self) -> ConnectionPool:
        """The pool this store draws connections from."""
        return self._pool

    def ping(self) -> None:
        """Return when the database answers. Raises StoreUnavailable."""
        outage.ping(self._pool)

    # -- contexts ---------------------------------------------------------------

    def create_context(self, context: Context) -> Context:
        """Store a new, empty context (id, tenant and times already set)."""
        params = {
            "tenant": context.tenant_id,
            "id": context.id,
            "name": context.name,
            "metadata": to_json(dict(context.metadata)),
            "policy": policy_json(context.policy),
            "parent_id": context.parent_id,
            "fork_version": context.fork_version,
            "created_at": context.created_at,
            "updated_at": context.updated_at,
        }
        row = self._one(queries.CREATE_CONTEXT, params)
        if row is None:
            raise InvalidInput(f"context id {context.id!r} already exists")
        return context_from_row(row)

    def get_context(self, tenant_id: str, context_id: str) -> Context:
        """The live context, with its head and totals. Raises ContextNotFound."""
        row = self._one(queries.GET_CONTEXT, {"tenant": tenant_id, "id": context_id})
        if row is None:
            raise ContextNotFound(context_id)
        return context_from_row(row)

    def list_contexts(
        self, tenant_id: str, *, limit: int, cursor: str | None = None
    ) -> Page[Context]:
        """The tenant's live contexts by (created_at, id); the cursor is the last item's key."""
        after_at, after_id = parse_context_cursor(cursor) if cursor is not None else (None, None)
        rows = self._all(
            queries.LIST_CONTEXTS,
            {"tenant": tenant_id, "after_at": after_at, "after_id": after_id, "limit": limit + 1},
        )
        items = tuple(context_from_row(r) for r in rows[:limit])
        more = len(rows) > limit and bool(items)
        return Page(items=items, next_cursor=context_cursor(items[-1]) if more else None)

    def update_context(
        self, tenant_id: str, context_id: str, changes: ContextChanges, *, now: datetime
    ) -> Context:
        """Make the changes in one transaction, the policy merged under the row lock."""
        key = {"tenant": tenant_id, "id": context_id}
        with self._cursor(tenant_id) as cur:
            locked = cur.execute(queries.LOCK_CONTEXT_POLICY, key).fetchone()
            if locked is None:
                raise ContextNotFound(context_id)
            policy = changes.merged_policy(policy_from_json(locked["policy"]))
            params = {
                **key,
                "name": changes.name,
                "metadata": None if changes.metadata is None else to_json(dict(changes.metadata)),
                "policy": policy_json(policy),
                "now": now,
            }
            row = cur.execute(queries.UPDATE_CONTEXT, params).fetchone()
        if row is None:  # cannot happen: the row is locked and live
            raise ContextNotFound(context_id)
        return context_from_row(row)

    def delete_context(self, tenant_id: str, context_id: str, *, now: datetime) -> None:
        """Soft delete: the context then answers as missing."""
        row = self._one(queries.DELETE_CONTEXT, {"tenant": tenant_id, "id": context_id, "now": now})
        if row is None:
            raise ContextNotFound(context_id)

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
        """Append all drafts or none as versions head+1..head+n, in one statement."""
        versioning.check_batch_size(len(drafts))
        fingerprint = versioning.key_fingerprint(idempotency_key, fingerprint, drafts)
        params = appends.params(drafts)
        params.update(
            tenant=tenant_id,
            id=context_id,
            now=now,
            expected=expected_version,
            key=idempotency_key,
            fingerprint=fingerprint,
            policy=None if drafted_under is None else policy_json(drafted_under.policy),
            basis_scope=None if drafted_under is None else list(drafted_under.scope),
            **self._quota_params(drafts),
        )
        for _ in range(_APPEND_ATTEMPTS):
            result = self._try_append(params, expected_version, idempotency_key, fingerprint)
            if result is not None:
                return result
        raise VersionConflict(expected=expected_version or 0, current=self._head(params))

    def _try_append(
        self,
        params: dict[str, Any],
        expected: int | None,
        key: str | None,
        fingerprint: str | None,
    ) -> AppendResult | None:
        try:
            rows = self._all(_APPENDS[self._quota.enabled, key is not None], params)
        except psycopg.errors.UniqueViolation as err:
            if err.diag.constraint_name != "idempotency_keys_pkey":
                raise
            # Another request stored the same idempotency key first: replay on retry.
            return None
        except psycopg.errors.CheckViolation as err:
            if err.diag.constraint_name != "tenant_usage_within_quota":
                raise
            self._quota_refused(params)
            return None  # usage fell meanwhile (a lower limit, a purge): try again
        return appends.outcome(
            rows, params["id"], expected=expected, key=key, fingerprint=fingerprint
        )

    def _quota_params(self, drafts: Sequence[EntryDraft]) -> dict[str, Any]:
        adding = quota.batch_usage(drafts) if self._quota.enabled else Usage()
        return {
            "quota": self._quota.enabled,
            "quota_entries": adding.entries,
            "quota_bytes": adding.bytes,
            "max_entries": self._quota.max_entries or None,
            "max_bytes": self._quota.max_bytes or None,
        }

    def _quota_refused(self, params: Mapping[str, Any]) -> None:
        # The statement failed whole; say which limit, with the usage it met.
        row = self._one(queries.TENANT_USAGE, {"tenant": params["tenant"]})
        used = Usage(entries=row["entries"], bytes=row["bytes"]) if row else Usage()
        adding = Usage(entries=params["quota_entries"], bytes=params["quota_bytes"])
        quota.check(self._quota, used, adding)

    def _head(self, params: Mapping[str, Any]) -> int:
        return self.get_context(params["tenant"], params["id"]).head_version

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
        params = {"tenant": tenant_id, "id": context_id, "after": after, "at": at, "limit": limit}
        rows = self._tuples(queries.READ_ENTRIES, params)
        if not rows:
            raise ContextNotFound(context_id)
        head = rows[0][_HEAD]
        end = head if at is None else at
        versioning.check_version(end, head)
        vectors = self._vectors(tenant_id)
        items = tuple(entry_from_row(r, vectors) for r in rows if r[0] is not None)
        more = bool(items) and items[-1].version < end
        return Page(items=items, next_cursor=str(items[-1].version) if more else None)

    def read_versions(
        self, tenant_id: str, context_id: str, versions: Sequence[int]
    ) -> tuple[Entry, ...]:
        """The entries at the given versions (those that exist), in version order."""
        wanted = sorted({v for v in versions if 1 <= v <= 2**31 - 1})
        rows = self._tuples(
            queries.READ_VERSIONS,
            {"tenant": tenant_id, "id": context_id, "versions": int_array(wanted), "at": None},
            before=(_GENERIC_PLANS,),  # a query window's second read: as its first
        ) if wanted else []
        if not rows:
            # Rows come only from a live context: only an empty answer needs the check.
            self.get_context(tenant_id, context_id)
        vectors = self._vectors(tenant_id)
        return tuple(entry_from_row(r, vectors) for r in rows)

    def window_candidates(
        self,
        tenant_id: str,
        context_id: str,
        *,
        tail_tokens: int,
        at: int | None = None,
        summaries: bool = True,
    ) -> WindowCandidates:
        """Pins, the newest summary and the tail that fits as of `at` (the head by
        default), in one index-seeking statement."""
        if at is not None and at < 0:
            versioning.check_version(at, self.get_context(tenant_id, context_id).head_version)
        sql, params = _window_statement(tenant_id, context_id, tail_tokens, at, summaries)
        return _candidates_of(
            self._tuples(sql, params), context_id, at, self._vectors(tenant_id)
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
        """The head's window statement and both rankings in one round trip, the rankings
        over the head's compaction state (queries.THROUGH); as of `at`, the candidates
        first, then the rankings on the state they were read at."""
        if at is not None:
            candidates = self.window_candidates(
                tenant_id, context_id, tail_tokens=tail_tokens, at=at, summaries=summaries
            )
            basis = RankBasis(
                upto=candidates.head_version, compacted_through=candidates.compacted_through
            )
            return candidates, self.rank_relevant(
                tenant_id, context_id, text=query.text, embedding=query.embedding, k=query.k,
                at=at, summaries=summaries, basis=basis,
            )
        key = (tenant_id, context_id)
        window = _window_statement(tenant_id, context_id, tail_tokens, None, summaries)
        rows, relevance = self._rank(
            tenant_id, context_id, query, at=None, summaries=summaries, through=None,
            active=self._active.get(key), window=window,
        )
        candidates = _candidates_of(rows, context_id, None, self._vectors(tenant_id))
        if len(self._active) >= _ACTIVE_SEEN:
            self._active.clear()
        self._active[key] = candidates.head_version - candidates.compacted_through
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
        """Cosine (HNSW on long histories) and BM25 over eligible active entries, ties to newer.

        Without a basis, the history's end and compaction state are read first (a round
        trip); with one, both rankings are the only round trip."""
        if basis is None:
            basis = self._basis(tenant_id, context_id, at)
        through = basis.compacted_through if summaries else 0
        query = RankQuery(text=text, embedding=embedding, k=k)
        # Active entries (pins and the summary included): cheap, and enough to pick a scan.
        _, relevance = self._rank(
            tenant_id, context_id, query, at=at, summaries=summaries, through=through,
            active=basis.upto - through,
        )
        return relevance

    def _rank(
        self,
        tenant_id: str,
        context_id: str,
        query: RankQuery,
        *,
        at: int | None,
        summaries: bool,
        through: int | None,
        active: int | None,
        window: tuple[str, Mapping[str, Any]] | None = None,
    ) -> tuple[list[tuple[Any, ...]], Relevance]:
        """Both rankings (and `window`'s rows, when given, sent first) in one pipeline:
        one implicit transaction naming the tenant, one round trip. With `active`
        unknown, the HNSW scan is tried: the exact one answers when it comes up short."""
        k = query.k
        base = {
            "tenant": tenant_id, "id": context_id, "at": at, "through": through,
            "summaries": summaries, "k": k,
        }
        wanted = bm25.query_params(query.text) if query.text and k > 0 else None
        vector = query.embedding is not None and k > 0
        if wanted is None and not vector and window is None:
            return [], Relevance()
        params = (
            {**base, "q": vector_param(query.embedding)} if query.embedding is not None else base
        )
        indexed = active is None or active > self._exact_below
        window_rows: list[tuple[Any, ...]] = []
        semantic: list[tuple[Any, ...]] = []
        lexical_rows: list[tuple[Any, ...]] = []
        with self._connection(tuples=True) as cur:
            conn = cur.connection
            with conn.pipeline():
                tenancy.name(conn, tenancy.TENANT_SETTING, tenant_id)
                conn.execute(_GENERIC_PLANS)
                win = conn.cursor(row_factory=tuple_row, binary=True)
                if window is not None:
                    win.execute(*window)
                lex = conn.cursor(row_factory=tuple_row, binary=True)
                if wanted is not None:
                    lex.execute(_RANK_BM25, {**base, **wanted})
                # Last: the HNSW scan's settings (nearest.send) hold for the rest of the
                # transaction.
                if vector and indexed:
                    nearest.send(cur, queries.RANK_SEMANTIC_INDEXED, params, k=k,
                                 ef_search=self._ef_search)
                elif vector:
                    cur.execute(queries.RANK_SEMANTIC, params)
            if window is not None:
                window_rows = win.fetchall()
            if wanted is not None:
                lexical_rows = lex.fetchall()
            if vector:
                semantic = cur.fetchall()
        if vector and indexed and len(semantic) < k:
            # The scan came up short (a short history, or hnsw.max_scan_tuples): exact.
            semantic = self._tuples(queries.RANK_SEMANTIC, params)
        return window_rows, Relevance(
            semantic=tuple(map(_ranked, semantic)), lexical=tuple(map(_ranked, lexical_rows))
        )

    def _basis(self, tenant_id: str, context_id: str, at: int | None) -> RankBasis:
        key = {"tenant": tenant_id, "id": context_id, "at": at}
        if at is not None and at < 0:
            versioning.check_version(at, self.get_context(tenant_id, context_id).head_version)
        state = self._one(queries.CONTEXT_STATE, key)
        if state is None:
            raise ContextNotFound(context_id)
        if at is not None:
            versioning.check_version(at, state["head_version"])
        return RankBasis(upto=state["upto"], compacted_through=state["compacted_through"])

    def compaction_view(self, tenant_id: str, context_id: str) -> CompactionView:
        """The eligible active entries (after the newest summary) and the active tokens."""
        candidates = self.window_candidates(tenant_id, context_id, tail_tokens=_ALL_TOKENS)
        active = history.active_tokens(
            pin_tokens=sum(e.token_count for e in candidates.pins),
            summary=candidates.summary,
            eligible_tokens=sum(e.token_count for e in candidates.tail),
        )
        return CompactionView(
            head_version=candidates.head_version,
            compacted_through=candidates.compacted_through,
            active_tokens=active,
            summary=candidates.summary,
            entries=candidates.tail,
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
        return self.append(
            tenant_id, context_id, [summary], now=now, expected_version=expected_version
        )

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
        """A new context holding copies of the parent's entries 1..version, copied in SQL."""
        params = {
            "tenant": tenant_id,
            "id": context_id,
            "version": version,
            "new_id": new_id,
            "name": name,
            "now": now,
        }
        row = self._one(queries.FORK, params)
        if row is not None:
            return context_from_row(row)
        parent = self.get_context(tenant_id, context_id)
        versioning.check_version(version, parent.head_version)
        raise InvalidInput(f"context id {new_id!r} already exists")

    def purge_context(
        self,
        tenant_id: str,
        context_id: str,
        *,
        now: datetime,
        reason: ErasureReason = ErasureReason.REQUEST,
    ) -> PurgeResult:
        """Remove the context and every own row no other context's base shares, in one
        transaction; a purged ancestor that only this one still shared gives up its rows
        too."""
        key = {"tenant": tenant_id, "id": context_id, "now": now}
        with self._cursor(tenant_id) as cur:
            row = cur.execute(queries.LOCK_FOR_PURGE, key).fetchone()
            if row is None:
                raise ContextNotFound(context_id)
            removed, embedded, kept = _release(cur, key)
            receipts = cur.execute(queries.PURGE_RECEIPTS, key).rowcount
            for ancestor in row["lineage_ids"]:
                other = {**key, "id": ancestor}
                if cur.execute(queries.LOCK_PURGED, other).fetchone() is not None:
                    more, more_embedded, _ = _release(cur, other)
                    removed, embedded = removed + more, embedded + more_embedded
            result = PurgeResult(
                context_id=context_id,
                entries_removed=removed,
                embeddings_removed=embedded,
                entries_kept_for_forks=kept,
                receipts_removed=max(receipts, 0),
            )
            cur.execute(
                queries.RECORD_ERASURE,
                {**key, "reason": str(reason), **attrs.asdict(result, recurse=False)},
            )
        return result

    def list_erasures(
        self, tenant_id: str, *, limit: int, cursor: str | None = None
    ) -> Page[Erasure]:
        """The tenant's erasure records by (erased_at, context_id)."""
        after_at, after_id = parse_context_cursor(cursor) if cursor is not None else (None, None)
        rows = self._all(
            queries.LIST_ERASURES,
            {"tenant": tenant_id, "after_at": after_at, "after_id": after_id, "limit": limit + 1},
        )
        items = tuple(
            Erasure(
                tenant_id=r["tenant_id"],
                context_id=r["context_id"],
                erased_at=r["erased_at"].astimezone(UTC),
                reason=ErasureReason(r["reason"]),
                entries_removed=r["entries_removed"],
                embeddings_removed=r["embeddings_removed"],
                receipts_removed=r["receipts_removed"],
                entries_kept_for_forks=r["entries_kept_for_forks"],
            )
            for r in rows[:limit]
        )
        more = len(rows) > limit and bool(items)
        last = items[-1] if items else None
        return Page(
            items=items,
            next_cursor=time_cursor(last.erased_at, last.context_id) if more and last else None,
        )

    def list_forks(self, tenant_id: str, context_id: str) -> tuple[Context, ...]:
        """The live direct forks of a context, by (created_at, id)."""
        self.get_context(tenant_id, context_id)
        rows = self._all(queries.LIST_FORKS, {"tenant": tenant_id, "id": context_id})
        return tuple(context_from_row(r) for r in rows)

    def search(
        self,
        tenant_id: str,
        embedding: Sequence[float],
        *,
        k: int,
        context_id: str | None = None,
    ) -> tuple[SearchHit, ...]:
        """The k nearest entries by cosine in the tenant's live contexts (HNSW, then exact)."""
        head = 0 if context_id is None else self.get_context(tenant_id, context_id).head_version
        if k < 1:
            return ()
        query = vector_param(embedding)
        params = {"tenant": tenant_id, "id": context_id, "q": query, "k": k, "at": None}
        if context_id is not None and head <= self._exact_below:
            # Exact, as the ranking of a short history is (ties to the older version).
            rows = self._tuples(queries.SEARCH_CONTEXT_EXACT, params)
        elif context_id is not None:
            rows = self._nearest(queries.SEARCH_CONTEXT, queries.SEARCH_CONTEXT_EXACT, params, k=k)
        else:
            # Left to itself, the planner prefers a top-N sort over the tenant's rows (146 ms
            # at 100k x 1536) to the HNSW index (a few ms): nearest steers it to the index.
            rows = self._nearest(queries.SEARCH, queries.SEARCH_EXACT, params, k=k)
        vectors = self._vectors(tenant_id)
        return tuple(_hit(r, vectors) for r in rows)

    def _nearest(
        self, indexed: str, exact: str, params: Mapping[str, Any], *, k: int
    ) -> list[tuple[Any, ...]]:
        with self._cursor(params["tenant"], tuples=True) as cur:
            return nearest.rows(cur, indexed, exact, params, k=k, ef_search=self._ef_search)

    def _vectors(self, tenant_id: str) -> VectorReads:
        """Where the entries of one read find their vectors, when looked at."""

        def fetch(keys: Sequence[VectorKey]) -> dict[VectorKey, Any]:
            srcs, versions = [k[0] for k in keys], int_array(k[1] for k in keys)
            rows = self._tuples(
                queries.READ_EMBEDDINGS,
                {"tenant": tenant_id, "srcs": srcs, "versions": versions},
            )
            return {(src, version): vector for src, version, vector in rows}

        return VectorReads(fetch)

    # -- plumbing ---------------------------------------------------------------

    @contextlib.contextmanager
    def _cursor(self, tenant_id: str, *, tuples: bool = False) -> Iterator[psycopg.Cursor[Any]]:
        # A transaction that names the tenant: for statements that must share one.
        with self._connection(tuples=tuples) as cur, tenancy.transaction(
            cur, tenancy.TENANT_SETTING, tenant_id
        ):
            yield cur

    @contextlib.contextmanager
    def _connection(self, *, tuples: bool = False) -> Iterator[psycopg.Cursor[Any]]:
        # Entry rows come as binary tuples (cheapest to decode), the rest as dicts.
        try:
            with (
                self._pool.connection() as conn,
                conn.cursor(row_factory=tuple_row if tuples else dict_row, binary=tuples) as cur,
            ):
                yield cur
        except (UnicodeEncodeError, psycopg.DataError, psycopg.errors.ProgramLimitExceeded) as err:
            # The engine rejects such text first; this keeps a stray one (or a text too
            # big for a tsvector) a client error rather than a crash.
            raise InvalidInput(f"not storable in PostgreSQL: {_first_line(err)}") from None
        except (PoolTimeout, psycopg.OperationalError) as err:
            raise outage.unavailable(err) from None

    @contextlib.contextmanager
    def _statement(
        self,
        sql: str,
        params: Mapping[str, Any],
        *,
        tuples: bool = False,
        before: Sequence[str] = (),
    ) -> Iterator[psycopg.Cursor[Any]]:
        # One statement in the transaction of its tenant (every statement names its
        # tenant as %(tenant)s), in one round trip; its rows are on the cursor yielded.
        with self._connection(tuples=tuples) as cur:
            yield tenancy.statement(
                cur, tenancy.TENANT_SETTING, params["tenant"], sql, params, before=before
            )

    def _all(self, sql: str, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        with self._statement(sql, params) as cur:
            rows: list[dict[str, Any]] = cur.fetchall()
            return rows

    def _tuples(
        self, sql: str, params: Mapping[str, Any], *, before: Sequence[str] = ()
    ) -> list[tuple[Any, ...]]:
        with self._statement(sql, params, tuples=True, before=before) as cur:
            rows: list[tuple[Any, ...]] = cur.fetchall()
            return rows

    def _one(self, sql: str, params: Mapping[str, Any]) -> dict[str, Any] | None:
        with self._statement(sql, params) as cur:
            row: dict[str, Any] | None = cur.fetchone()
            return row


def _release(cur: psycopg.Cursor[Any], key: Mapping[str, Any]) -> tuple[int, int, int]:
    """Delete a locked context's rows no unpurged base shares, its keys, and the context
    (or mark it a purged tombstone while rows are shared): (entries, embeddings, kept)."""
    shared = _value(cur.execute(queries.SHARED_THROUGH, key).fetchone(), "shared")
    params = {**key, "shared": shared}
    gone = cur.execute(queries.PURGE_ROWS, params).fetchone()
    cur.execute(queries.PURGE_KEYS, params)
    kept = _value(cur.execute(queries.KEPT_ROWS, params).fetchone(), "kept") if shared else 0
    cur.execute(queries.TOMBSTONE_CONTEXT if kept else queries.DROP_CONTEXT, params)
    return _value(gone, "entries"), _value(gone, "embeddings"), kept


def _value(row: Mapping[str, Any] | None, name: str) -> int:
    # Aggregates always return a row.
    return int(row[name]) if row is not None else 0


# A ranking's row is a Ranked's fields in order (queries.RANKED_COLUMNS; the scores are
# float8, so floats), made by namedtuple's _make (one tuple.__new__ over the row): 0.26
# us a row against 0.52 through a function unpacking it, and a query window reads up to
# 400 (two rankings of relevant_depth).
_ranked: Callable[[Sequence[Any]], Ranked] = Ranked._make


def _hit(row: tuple[Any, ...], vectors: VectorReads) -> SearchHit:
    context_id, distance = row[_HIT_CONTEXT], float(row[_HIT_DISTANCE])
    score = 0.0 if math.isnan(distance) else 1.0 - distance  # NaN: a zero vector
    return SearchHit(context_id=context_id, entry=entry_from_row(row, vectors), score=score)


# C-level: a window sorts its hundreds of entries by version on every request.
_version = operator.attrgetter("version")


def _first_line(err: BaseException) -> str:
    return str(err).splitlines()[0] if str(err) else type(err).__name__
