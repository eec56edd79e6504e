"""Postgres and memory agree on everything they store and rank, over random histories.

Full entries are compared (content parts, tool calls, metadata JSON, float32-exact
embeddings), not projections: what goes into Postgres must come back as it went in.
"""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.memory.store import MemoryStore
from adapters.postgres.store import PostgresStore
from domain.model import ContentPart, Context, EntryDraft, Role, ToolCall
from domain.relevance import Ranked
from entrypoints.engine import Store
from migrations import DEFAULT_DIMENSION

T0 = datetime(2026, 1, 1, tzinfo=UTC)
TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    max_size=30,
)
WORDS = st.lists(st.sampled_from(["alpha", "beta", "gamma", "delta", "omega"]), max_size=6)
JSON: st.SearchStrategy[Any] = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**53), 2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=8,
)
# A few directions (the same direction always with the same length), exactly
# representable in float32: equal scores are then exact ties in both stores, not float32
# noise that could order them differently.
DIRECTIONS = [(1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0.0, 0.0, 1.0), (0.5, 0.5, 0.0), (-1.0, 0.0, 0.5)]
EMBEDDING = st.sampled_from(DIRECTIONS).map(lambda xs: xs + (0.0,) * (DEFAULT_DIMENSION - len(xs)))


@st.composite
def drafts(draw: st.DrawFn) -> EntryDraft:
    role = draw(st.sampled_from([Role.USER, Role.ASSISTANT, Role.SYSTEM]))
    words = " ".join(draw(WORDS))
    content: str | tuple[ContentPart, ...] = words
    if draw(st.booleans()):
        content = (
            ContentPart(type="text", text=words),
            ContentPart(type="image", data=draw(st.dictionaries(TEXT, JSON, max_size=2))),
        )
    calls = ()
    if role is Role.ASSISTANT and draw(st.booleans()):
        calls = (ToolCall(id=draw(TEXT), name="lookup", arguments='{"q": "omega"}'),)
    return EntryDraft(
        role=role,
        content=content,
        name=draw(st.none() | TEXT),
        tool_calls=calls,
        metadata=draw(st.dictionaries(TEXT, JSON, max_size=3)),
        token_count=draw(st.integers(1, 40)),
        pinned=draw(st.booleans()) and draw(st.booleans()),
        embedding=draw(st.none() | EMBEDDING),
    )


def _fill(store: Store, tenant: str, cid: str, batches: list[list[EntryDraft]]) -> None:
    store.create_context(
        Context(id=cid, tenant_id=tenant, name="agree", created_at=T0, updated_at=T0)
    )
    for i, batch in enumerate(batches):
        store.append(tenant, cid, batch, now=T0 + timedelta(seconds=i))


@settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    batches=st.lists(st.lists(drafts(), min_size=1, max_size=5), min_size=1, max_size=5),
    tail=st.integers(0, 150),
    query=WORDS,
    probe=EMBEDDING,
)
def test_postgres_and_memory_agree(
    postgres_store: PostgresStore,
    batches: list[list[EntryDraft]],
    tail: int,
    query: list[str],
    probe: tuple[float, ...],
) -> None:
    tenant, cid = f"t-{uuid.uuid4()}", str(uuid.uuid4())
    memory = MemoryStore()
    for store in (memory, postgres_store):
        _fill(store, tenant, cid, batches)

    def both(fn: Any) -> tuple[Any, Any]:
        return fn(memory), fn(postgres_store)

    mem, pg = both(lambda s: s.read_entries(tenant, cid, limit=1000))
    assert pg == mem
    mem, pg = both(lambda s: s.window_candidates(tenant, cid, tail_tokens=tail))
    assert pg == mem
    mem, pg = both(lambda s: s.compaction_view(tenant, cid))
    assert pg == mem
    assert both(lambda s: s.get_context(tenant, cid))[1] == memory.get_context(tenant, cid)

    text = " ".join(query) or None
    mem, pg = both(lambda s: s.rank_relevant(tenant, cid, text=text, embedding=probe, k=50))
    assert [r.score for r in pg.semantic] == pytest.approx([r.score for r in mem.semantic])
    scores = [r.score for r in mem.semantic]
    if all(abs(a - b) > 1e-6 or a == b for a, b in itertools.combinations(scores, 2)):
        assert places(pg.semantic) == places(mem.semantic)
    # One BM25 (domain/lexical.py) in both: the same entries in the same order, and the
    # same scores (ties, as between entries of the same words, go to the newer alike).
    assert places(pg.lexical) == places(mem.lexical)
    assert [r.score for r in pg.lexical] == pytest.approx(
        [r.score for r in mem.lexical], rel=1e-12
    )

    mem, pg = both(lambda s: s.search(tenant, probe, k=100))
    by_version = {h.entry.version: h.score for h in mem}
    assert sorted(h.entry.version for h in pg) == sorted(by_version)
    assert [h.score for h in pg] == pytest.approx([by_version[h.entry.version] for h in pg])


def places(
    ranking: tuple[Ranked, ...],
) -> list[tuple[int, int, bool, int | None, int | None]]:
    """A ranking's entries as what a window reads of them before it reads them whole."""
    return [(r.version, r.token_count, r.grouped, r.group_start, r.group_end) for r in ranking]
