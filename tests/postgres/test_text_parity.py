"""Lexical parity: memory and PostgreSQL rank text queries alike, and so choose the same
query-aware windows, over random histories (pins, system entries, compactions, words
that repeat, underscores, digits, other scripts, mixed case). Both are also held to the
plain model in tests/support/bm25.py, which scans the history as domain/lexical.py says."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from unittest.mock import patch

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.memory.store import MemoryStore
from adapters.postgres.store import PostgresStore
from adapters.summaries import ExtractiveSummarizer
from adapters.tokens import OfflineTokenCounter
from domain import lexical
from domain.errors import BudgetTooSmall
from domain.model import (
    ContentPart,
    Context,
    Entry,
    EntryDraft,
    EntryKind,
    Role,
    ToolCall,
    VersionRange,
)
from domain.relevance import in_tool_group
from domain.window import Window
from entrypoints.engine import Engine
from entrypoints.engine import Store as ContextStore
from migrations import DEFAULT_DIMENSION
from tests.conftest import FakeClock, SequentialIds
from tests.support.bm25 import model_ranking

T0 = datetime(2026, 1, 1, tzinfo=UTC)
# Few words, so that they repeat within and across entries; several spell one term
# ("Amber", "AMBER"), some are stopwords, two long runs become one term once cut.
WORDS = [
    "amber", "Amber", "AMBER", "basalt", "cobalt_blue", "dune42", "42", "x_1", "_",
    "fjörd", "FJÖRD", "naïve", "straße", "œuvre", "東京", "ωμέγα", "the", "of",
    "z" * 510, "z" * 520,
]  # fmt: skip
SEPARATORS = [" ", "  ", ", ", "-", ".", "\n", "/", "'s "]
TEXT = st.lists(st.tuples(st.sampled_from(WORDS), st.sampled_from(SEPARATORS)), max_size=8).map(
    lambda pairs: "".join(w + s for w, s in pairs)
)
QUERY = st.lists(st.sampled_from([*WORDS, "absent", "AMBER!"]), min_size=1, max_size=5).map(
    " ".join
)


@st.composite
def drafts(draw: st.DrawFn) -> EntryDraft:
    """A message whose text is in its content, its parts or its tool calls."""
    role = draw(st.sampled_from([Role.USER, Role.ASSISTANT] * 3 + [Role.SYSTEM]))
    content: str | tuple[ContentPart, ...] = draw(TEXT)
    if draw(st.integers(0, 3)) == 0:
        content = (
            ContentPart(type="text", text=draw(TEXT)),
            ContentPart(type="image", data={"url": "amber.png"}),
            ContentPart(type="text", text=draw(TEXT)),
        )
    calls: tuple[ToolCall, ...] = ()
    if role is Role.ASSISTANT and draw(st.integers(0, 3)) == 0:
        calls = (ToolCall(id="c1", name="basalt_lookup", arguments=draw(TEXT)),)
    return EntryDraft(
        role=role,
        content=content,
        tool_calls=calls,
        token_count=draw(st.integers(1, 30)),
        pinned=draw(st.integers(0, 7)) == 0,
    )




def steps(*, least: int = 1, most: int) -> st.SearchStrategy[list[Any]]:
    """Steps that each append a batch, or compact: the summary then covers the next
    fraction of the versions not yet compacted."""
    batch = st.lists(drafts(), min_size=1, max_size=8)
    return st.lists(
        st.one_of(batch, batch, st.floats(0.1, 1.0)), min_size=least, max_size=most
    )


@pytest.fixture(scope="module")
def counter() -> OfflineTokenCounter:
    """One counter for the module: loading its ranks once keeps the examples fast."""
    return OfflineTokenCounter()


def _build(stores: list[ContextStore], steps: list[Any]) -> tuple[str, str]:
    """The same history in every store: (tenant, context id)."""
    tenant, cid = f"t-{uuid.uuid4()}", str(uuid.uuid4())
    for store in stores:
        store.create_context(
            Context(id=cid, tenant_id=tenant, name="parity", created_at=T0, updated_at=T0)
        )
    for i, step in enumerate(steps):
        now = T0 + timedelta(seconds=i)
        head = stores[0].get_context(tenant, cid)
        if isinstance(step, list):
            for store in stores:
                store.append(tenant, cid, step, now=now)
            continue
        through = head.compacted_through
        last = through + int(step * (head.head_version - through))
        if last <= through:
            continue
        summary = EntryDraft(
            role=Role.SYSTEM,
            content="amber basalt summary",
            token_count=5,
            kind=EntryKind.SUMMARY,
            covers=VersionRange(first=through + 1, last=last),
        )
        for store in stores:
            store.record_compaction(
                tenant, cid, summary, expected_version=head.head_version, now=now
            )
    return tenant, cid


@pytest.fixture
def both(postgres_store: PostgresStore) -> Iterator[list[ContextStore]]:
    """A fresh memory store and the session's PostgreSQL store."""
    yield [MemoryStore(), postgres_store]


@settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    steps=steps(most=6),
    queries=st.lists(QUERY, min_size=1, max_size=3),
    k=st.integers(1, 30),
    # The cut to each term's newest holders: the real one, and ones these small histories
    # pass, so that the cut itself is held to the model.
    cut=st.sampled_from([lexical.POSTINGS_PER_TERM, 1, 3]),
)
def test_both_stores_rank_text_as_the_model(
    both: list[ContextStore], steps: list[Any], queries: list[str], k: int, cut: int
) -> None:
    tenant, cid = _build(both, steps)
    memory, postgres = both
    entries = memory.read_entries(tenant, cid, limit=1000).items
    through = memory.get_context(tenant, cid).compacted_through
    with patch.object(lexical, "POSTINGS_PER_TERM", cut):
        _rank_as_the_model(memory, postgres, tenant, cid, entries, through, queries, k)


def _rank_as_the_model(
    memory: ContextStore,
    postgres: ContextStore,
    tenant: str,
    cid: str,
    entries: Sequence[Entry],
    through: int,
    queries: list[str],
    k: int,
) -> None:
    for text in queries:
        want = model_ranking(entries, compacted_through=through, text=text, k=k)
        scores = []
        for store in (memory, postgres):
            got = store.rank_relevant(tenant, cid, text=text, embedding=None, k=k).lexical
            assert [r.version for r in got] == [v for v, _ in want], (type(store), text)
            assert [r.score for r in got] == pytest.approx([s for _, s in want], rel=1e-12)
            assert [(r.token_count, r.grouped) for r in got] == [
                (entries[v - 1].token_count, in_tool_group(entries[v - 1])) for v, _ in want
            ]
            scores.append([r.score for r in got])
        # The same floats added in the same order: bit for bit the same scores.
        assert scores[0] == scores[1], text


@settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=steps(least=4, most=12), query=QUERY, data=st.data())
def test_both_stores_choose_the_same_query_window(
    both: list[ContextStore],
    counter: OfflineTokenCounter,
    steps: list[Any],
    query: str,
    data: st.DataObject,
) -> None:
    tenant, cid = _build(both, steps)
    # Mostly more than the pins and the summary take, less than the whole active history:
    # the window then has to choose among the older entries.
    candidates = both[0].window_candidates(tenant, cid, tail_tokens=0)
    head = sum(e.token_count for e in candidates.pins)
    head += candidates.summary.token_count if candidates.summary is not None else 0
    active = both[0].compaction_view(tenant, cid).active_tokens
    budget = data.draw(st.integers(max(head, 1), max(active, head + 1)), label="budget")
    windows: list[Window | BudgetTooSmall] = []
    for store in both:
        engine = Engine(
            store=store,
            tokens=counter,
            summarizer=ExtractiveSummarizer(counter),
            clock=FakeClock(),
            ids=SequentialIds(),
            dimension=DEFAULT_DIMENSION,
        )
        try:
            windows.append(engine.window(tenant, cid, budget=budget, query=query))
        except BudgetTooSmall as err:  # the pins alone do not fit: refused alike
            windows.append(err)
    memory, postgres = windows
    if isinstance(memory, BudgetTooSmall) or isinstance(postgres, BudgetTooSmall):
        assert str(postgres) == str(memory)
        return
    shape = [(w.entry.version, w.reason, w.score) for w in memory.entries]
    assert [(w.entry.version, w.reason, w.score) for w in postgres.entries] == shape
    assert postgres == memory
