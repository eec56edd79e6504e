"""The in-process engine: the use cases, over whatever adapters the caller chose."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import Any

import attrs

from domain import compaction, versioning
from domain.errors import (
    DimensionMismatch,
    InvalidInput,
    NothingToCompact,
    PolicyChanged,
    VersionConflict,
)
from domain.model import (
    AppendResult,
    Context,
    ContextChanges,
    Entry,
    EntryDraft,
    Message,
    Page,
    Policy,
    Role,
    SearchHit,
    TokenSource,
    storable_text,
)
from domain.relevance import fuse, lexical_query, select_query_window
from domain.tokens import FRAMING_TOKENS, framing_tokens, message_text
from domain.window import Window, WindowCandidates, select_window
from ports.clock import Clock, IdGenerator
from ports.embedder import Embedder
from ports.store import ContextStore
from ports.summarizer import Summarizer
from ports.tokens import TokenCounter

MAX_BATCH = 1000
MAX_PAGE = 1000
MAX_QUERY_CHARS = 20_000
# How deep each ranking goes: as many entries as the relevant share could hold at
# RELEVANT_ENTRY_TOKENS each, within bounds (bench/eval_recall.py: a fixed 40 lost a
# tenth of the evidence at 8k tokens that this depth keeps).
RELEVANT_ENTRY_TOKENS = 20
RELEVANT_K_MIN = 20
RELEVANT_K_MAX = 200
# How far from a relevant entry its tool call or results are looked for (results follow
# their call; a group spread wider than this is left out rather than split).
TOOL_REACH = 8
DEFAULT_POLICY = Policy()
MAX_SEEN = 10_000  # contexts whose policy the engine remembers (a guess, see window)
APPEND_TRIES = 3  # counted under the remembered policy, the reported one, a fresh read


@attrs.frozen(kw_only=True)
class CompactionResult:
    """A compaction that happened: the summary's version and its figures."""

    append: AppendResult
    summary: EntryDraft


@attrs.define(kw_only=True)
class Engine:
    """Kata Context's use cases. Sync by design: see the README's design notes."""

    store: ContextStore
    tokens: TokenCounter
    summarizer: Summarizer
    clock: Clock
    ids: IdGenerator
    embedder: Embedder | None = None
    dimension: int = 1536
    # The policy last seen per context: only a guess (of the tail a window fetches, of the
    # encoding an append counts with), checked by the store in the same statement.
    _seen: dict[tuple[str, str], Policy] = attrs.field(
        factory=dict, init=False, repr=False, eq=False
    )

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
        now = self.clock.now()
        context = Context(
            id=self.ids.new_id(),
            tenant_id=tenant_id,
            name=name,
            metadata=metadata or {},
            policy=policy or Policy(),
            created_at=now,
            updated_at=now,
        )
        created = self.store.create_context(context)
        self._remember(tenant_id, created.id, created.policy)
        return created

    def get_context(self, tenant_id: str, context_id: str) -> Context:
        """The context with its head and totals."""
        return self.store.get_context(tenant_id, context_id)

    def list_contexts(
        self, tenant_id: str, *, limit: int = 50, cursor: str | None = None
    ) -> Page[Context]:
        """The tenant's contexts, a page at a time."""
        _check_limit(limit)
        return self.store.list_contexts(tenant_id, limit=limit, cursor=cursor)

    def update_context(
        self, tenant_id: str, context_id: str, changes: ContextChanges
    ) -> Context:
        """Rename, or replace metadata or policy."""
        updated = self.store.update_context(tenant_id, context_id, changes, now=self.clock.now())
        self._remember(tenant_id, context_id, updated.policy)
        return updated

    def delete_context(self, tenant_id: str, context_id: str) -> None:
        """Soft delete: history is kept but the context answers as missing."""
        self.store.delete_context(tenant_id, context_id, now=self.clock.now())

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
        """Append a batch all-or-nothing as versions head+1..head+n."""
        if not messages:
            versioning.versions_after(0, 0)
        if len(messages) > MAX_BATCH:
            raise InvalidInput(f"at most {MAX_BATCH} entries per append, got {len(messages)}")
        # Counted under the policy last seen for the context (read at first sight): the
        # store refuses the batch in the same statement if the policy is another, and we
        # count again with the one it reports. The last try reads the policy first and
        # asks for no check, as before this optimisation (a policy stored by an older
        # release may never compare equal).
        seen = self._seen.get((tenant_id, context_id))
        policy = seen or self.store.get_context(tenant_id, context_id).policy
        counted: dict[str, list[EntryDraft]] = {}
        fingerprint = versioning.batch_fingerprint(messages) if idempotency_key else None
        for attempt in range(APPEND_TRIES):
            last = attempt == APPEND_TRIES - 1
            if last:
                policy = self.store.get_context(tenant_id, context_id).policy
            drafts = counted.get(policy.encoding)
            if drafts is None:
                drafts = counted[policy.encoding] = self._drafts(messages, encoding=policy.encoding)
            try:
                result = self.store.append(
                    tenant_id,
                    context_id,
                    drafts,
                    now=self.clock.now(),
                    expected_version=expected_version,
                    idempotency_key=idempotency_key,
                    fingerprint=fingerprint,
                    policy=None if last else policy,
                )
                break
            except PolicyChanged as changed:
                policy = changed.policy
        self._remember(tenant_id, context_id, policy)
        if policy.enabled and not result.replayed:
            self._compact_if_due(tenant_id, context_id, policy)
        return result

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
        _check_limit(limit)
        return self.store.read_entries(tenant_id, context_id, after=after, limit=limit, at=at)

    def state_at(self, tenant_id: str, context_id: str, version: int) -> tuple[Entry, ...]:
        """The whole state at `version`: entries 1..version."""
        out: list[Entry] = []
        after = 0
        while True:
            page = self.store.read_entries(
                tenant_id, context_id, after=after, limit=MAX_PAGE, at=version
            )
            out.extend(page.items)
            if page.next_cursor is None or not page.items:
                return tuple(out)
            after = page.items[-1].version

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
    ) -> Window:
        """The best window for the budget (the policy's when not given).

        With a `query` (text, vector or both), older entries relevant to it share the
        budget with the most recent ones; without one, the window is recency only.
        """
        query = _query_text(query)
        asked = query is not None or query_embedding is not None
        if not asked and (budget is None or reserve is None):
            return self._window_on_policy(tenant_id, context_id, budget=budget, reserve=reserve)
        policy: Policy | None = None
        if budget is None or reserve is None or asked:
            policy = self.store.get_context(tenant_id, context_id).policy
            budget = policy.budget if budget is None else budget
            reserve = policy.reserve if reserve is None else reserve
        if budget < 1 or not 0 <= reserve < budget:
            raise InvalidInput("budget must be at least 1 and reserve within 0..budget-1")
        if query_embedding is not None:
            self._check_dimension(query_embedding)
        candidates = self.store.window_candidates(
            tenant_id, context_id, tail_tokens=budget - reserve
        )
        if policy is None or not asked:
            return select_window(candidates, budget=budget, reserve=reserve)
        candidates = self._with_relevance(
            tenant_id,
            context_id,
            candidates,
            query=query,
            query_embedding=query_embedding,
            neighbours=policy.neighbours,
            depth=relevant_depth(budget - reserve, policy.relevant_share),
        )
        return select_query_window(
            candidates,
            budget=budget,
            reserve=reserve,
            share=policy.relevant_share,
            neighbours=policy.neighbours,
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
        parent = self.store.get_context(tenant_id, context_id)
        at = parent.head_version if version is None else version
        versioning.check_version(at, parent.head_version)
        return self.store.fork(
            tenant_id,
            context_id,
            version=at,
            new_id=self.ids.new_id(),
            name=name if name is not None else f"{parent.name} (fork at {at})".strip(),
            now=self.clock.now(),
        )

    def forks(self, tenant_id: str, context_id: str) -> tuple[Context, ...]:
        """The forks made from a context."""
        return self.store.list_forks(tenant_id, context_id)

    def compact(self, tenant_id: str, context_id: str, *, force: bool = False) -> CompactionResult:
        """Summarize older active entries now (when due, or always with force)."""
        policy = self.store.get_context(tenant_id, context_id).policy
        return self._compact(tenant_id, context_id, policy, force=force)

    def search(
        self,
        tenant_id: str,
        embedding: Sequence[float],
        *,
        k: int = 10,
        context_id: str | None = None,
    ) -> tuple[SearchHit, ...]:
        """The k entries most similar to `embedding` in the tenant (or one context)."""
        if not 1 <= k <= 100:
            raise InvalidInput("k must be within 1..100")
        self._check_dimension(embedding)
        return self.store.search(tenant_id, embedding, k=k, context_id=context_id)

    # -- helpers --------------------------------------------------------------------

    def __attrs_post_init__(self) -> None:
        if self.embedder is not None and self.embedder.dimension != self.dimension:
            raise InvalidInput(
                f"the embedder makes {self.embedder.dimension}-dimensional vectors but the "
                f"deployment's dimension is {self.dimension}"
            )

    def _window_on_policy(
        self, tenant_id: str, context_id: str, *, budget: int | None, reserve: int | None
    ) -> Window:
        """A recency window on the policy's budget or reserve, read with the candidates.

        The tail is fetched for the budget and reserve last seen for the context (the
        defaults at first); the policy read in the same statement decides, and a guess
        that proves short costs one more read.
        """
        guess = self._seen.get((tenant_id, context_id)) or DEFAULT_POLICY
        fetched = (guess.budget if budget is None else budget) - (
            guess.reserve if reserve is None else reserve
        )
        candidates = self.store.window_candidates(tenant_id, context_id, tail_tokens=fetched)
        policy = candidates.policy or self.store.get_context(tenant_id, context_id).policy
        self._remember(tenant_id, context_id, policy)
        budget = policy.budget if budget is None else budget
        reserve = policy.reserve if reserve is None else reserve
        if budget < 1 or not 0 <= reserve < budget:
            raise InvalidInput("budget must be at least 1 and reserve within 0..budget-1")
        if budget - reserve > fetched:
            candidates = self.store.window_candidates(
                tenant_id, context_id, tail_tokens=budget - reserve
            )
        return select_window(candidates, budget=budget, reserve=reserve)

    def _remember(self, tenant_id: str, context_id: str, policy: Policy) -> None:
        if len(self._seen) >= MAX_SEEN:
            self._seen.clear()
        self._seen[tenant_id, context_id] = policy

    def _with_relevance(
        self,
        tenant_id: str,
        context_id: str,
        candidates: WindowCandidates,
        *,
        query: str | None,
        query_embedding: Sequence[float] | None,
        neighbours: int,
        depth: int,
    ) -> WindowCandidates:
        """The candidates with the fused ranking and the entries around the ranked ones."""
        embedding = query_embedding
        if embedding is None and query is not None and self.embedder is not None:
            embedding = self.embedder.embed([query])[0]
            self._check_dimension(embedding)
        relevance = self.store.rank_relevant(
            tenant_id, context_id, text=lexical_query(query), embedding=embedding, k=depth
        )
        fused = fuse(relevance)
        if not fused:
            return candidates
        ranked = [s.entry for s in fused]
        known = {e.version: e for e in (*candidates.tail, *ranked)}
        found = self._read_missing(
            tenant_id, context_id, _around(ranked, neighbours), known, candidates
        )
        # A second, bounded pass: the tool-call partners of neighbours found in the first.
        self._read_missing(tenant_id, context_id, _around(found, 0), known, candidates)
        tail = {e.version for e in candidates.tail}
        companions = tuple(known[v] for v in sorted(known) if v not in tail)
        return attrs.evolve(candidates, relevant=fused, companions=companions)

    def _read_missing(
        self,
        tenant_id: str,
        context_id: str,
        wanted: set[int],
        known: dict[int, Entry],
        candidates: WindowCandidates,
    ) -> list[Entry]:
        """Read the wanted versions not known yet (only active ones), adding them to `known`."""
        todo = sorted(
            v
            for v in wanted
            if candidates.compacted_through < v <= candidates.head_version and v not in known
        )
        if not todo:
            return []
        found = list(self.store.read_versions(tenant_id, context_id, todo))
        known.update((e.version, e) for e in found)
        return found

    def _drafts(self, messages: Sequence[Message], *, encoding: str) -> list[EntryDraft]:
        to_count = [i for i, m in enumerate(messages) if m.token_count is None]
        counts = self.tokens.count([message_text(messages[i]) for i in to_count], encoding=encoding)
        counted = dict(zip(to_count, counts, strict=True))
        vectors = self._embed_missing(messages)
        drafts = []
        for i, m in enumerate(messages):
            if m.token_count is not None:
                tokens, source = m.token_count, TokenSource.CLIENT
            else:
                c = counted[i]
                tokens = c.tokens + framing_tokens(m)
                source = TokenSource.COUNTED if c.exact else TokenSource.ESTIMATED
            embedding = m.embedding if m.embedding is not None else vectors.get(i)
            if embedding is not None:
                self._check_dimension(embedding)
            drafts.append(
                EntryDraft(
                    role=m.role,
                    content=m.content,
                    name=m.name,
                    tool_calls=m.tool_calls,
                    tool_call_id=m.tool_call_id,
                    metadata=m.metadata,
                    token_count=tokens,
                    token_source=source,
                    pinned=m.pinned,
                    embedding=tuple(embedding) if embedding is not None else None,
                )
            )
        return drafts

    def _embed_missing(self, messages: Sequence[Message]) -> dict[int, list[float]]:
        if self.embedder is None:
            return {}
        # A blank text has no meaning to embed (and a zero vector has no cosine).
        texts = {i: message_text(m) for i, m in enumerate(messages) if m.embedding is None}
        todo = [i for i, text in texts.items() if text.strip()]
        if not todo:
            return {}
        vectors = self.embedder.embed([texts[i] for i in todo])
        return dict(zip(todo, vectors, strict=True))

    def _check_dimension(self, embedding: Sequence[float]) -> None:
        if len(embedding) != self.dimension:
            raise DimensionMismatch(expected=self.dimension, got=len(embedding))

    def _compact_if_due(self, tenant_id: str, context_id: str, policy: Policy) -> None:
        # Automatic compaction is best effort: a racing writer simply defers it.
        with contextlib.suppress(NothingToCompact, VersionConflict):
            self._compact(tenant_id, context_id, policy, force=False)

    def _compact(
        self, tenant_id: str, context_id: str, policy: Policy, *, force: bool
    ) -> CompactionResult:
        view = self.store.compaction_view(tenant_id, context_id)
        plan = compaction.plan_compaction(view, policy, at=self.clock.now(), force=force)
        text = self.summarizer.summarize(
            plan.to_summarize,
            previous=plan.previous_summary.text if plan.previous_summary else None,
            max_tokens=policy.summary_limit,
            encoding=policy.encoding,
        )
        count = self.tokens.count([text], encoding=policy.encoding)[0]
        draft = compaction.summary_draft(plan, text=text, token_count=count.tokens + FRAMING_TOKENS)
        result = self.store.record_compaction(
            tenant_id,
            context_id,
            draft,
            expected_version=plan.expected_version,
            now=self.clock.now(),
        )
        return CompactionResult(append=result, summary=draft)


def relevant_depth(available: int, share: float) -> int:
    """How many entries each ranking returns for a window of `available` tokens."""
    fits = int(available * share) // RELEVANT_ENTRY_TOKENS
    return max(RELEVANT_K_MIN, min(RELEVANT_K_MAX, fits))


def _query_text(query: str | None) -> str | None:
    """The query text, None when blank; refused when no store could search it."""
    if query is None or not query.strip():
        return None
    if len(query) > MAX_QUERY_CHARS:
        raise InvalidInput(f"query must be at most {MAX_QUERY_CHARS} characters")
    storable_text(query, what="query")
    return query


def _around(entries: Sequence[Entry], neighbours: int) -> set[int]:
    """Versions whose entries may have to travel with `entries`: neighbours, and for
    entries in a tool-call group, the versions within TOOL_REACH of them."""
    wanted: set[int] = set()
    for e in entries:
        reach = TOOL_REACH if e.role is Role.TOOL or e.tool_calls else 0
        span = max(reach, neighbours)
        wanted.update(range(e.version - span, e.version + span + 1))
    return wanted


def _check_limit(limit: int) -> None:
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(f"limit must be within 1..{MAX_PAGE}")
