"""Ranking (ports.ranking): a context's eligible active entries ranked for a query, by
BM25 on its text and by cosine to its vector."""

from __future__ import annotations

import math

import attrs
import pytest

from domain.model import Role, ToolCall
from entrypoints.engine import Store
from tests.conftest import FakeClock
from tests.contract.support import draft, make_context, summary, vec


def _lexical_fixture(store: Store, tenant: str, clock: FakeClock) -> str:
    ctx = make_context(store, tenant, clock)
    store.append(
        tenant,
        ctx.id,
        [
            draft("red apple pie recipe", tokens=4),  # 1: covered by the summary below
            draft("the red apple pie is here", role=Role.SYSTEM),  # 2: a pin
            draft("red apple pie pinned", pinned=True),  # 3: a pin
            draft("fresh red apple pie today"),  # 4: all three terms
            draft("one red apple only now"),  # 5: two terms
            draft("nothing matches this text"),  # 6
            draft("a pie from yesterday maybe"),  # 7: one term
        ],
        now=clock.now(),
    )
    store.record_compaction(
        tenant,
        ctx.id,
        summary(1, 1, text="red apple pie summary"),
        expected_version=7,
        now=clock.now(),
    )
    return ctx.id


def test_lexical_ranking_reads_only_eligible_active_entries(
    store: Store, tenant: str, clock: FakeClock
) -> None:
    cid = _lexical_fixture(store, tenant, clock)
    got = store.rank_relevant(tenant, cid, text="Red apple PIE!", embedding=None, k=10)
    assert got.semantic == ()
    assert [r.entry.version for r in got.lexical] == [4, 5, 7]
    scores = [r.score for r in got.lexical]
    assert scores[0] > scores[1] > scores[2] > 0
    top = store.rank_relevant(tenant, cid, text="red apple pie", embedding=None, k=2)
    assert [r.entry.version for r in top.lexical] == [4, 5]


def test_lexical_ranking_is_empty_without_terms(
    store: Store, tenant: str, clock: FakeClock
) -> None:
    cid = _lexical_fixture(store, tenant, clock)
    for text in (None, "", "?! ..."):
        assert store.rank_relevant(tenant, cid, text=text, embedding=None, k=5).lexical == ()
    assert store.rank_relevant(tenant, cid, text="zebra", embedding=None, k=5).lexical == ()


def test_lexical_ranking_reads_tool_call_names_and_arguments(
    store: Store, tenant: str, clock: FakeClock
) -> None:
    ctx = make_context(store, tenant, clock)
    call = ToolCall(id="c1", name="get_weather", arguments='{"city": "Lisbon"}')
    store.append(
        tenant,
        ctx.id,
        [
            draft("", role=Role.ASSISTANT, tool_calls=[call]),
            draft("warm", role=Role.TOOL, tool_call_id="c1"),
            draft("unrelated words here"),
        ],
        now=clock.now(),
    )
    got = store.rank_relevant(tenant, ctx.id, text="lisbon", embedding=None, k=5)
    assert [r.entry.version for r in got.lexical] == [1]


def test_semantic_ranking_reads_only_eligible_active_entries(
    store: Store, tenant: str, clock: FakeClock
) -> None:
    ctx = make_context(store, tenant, clock)
    store.append(
        tenant,
        ctx.id,
        [
            draft("covered", embedding=vec(1, 0)),  # 1: covered by the summary
            draft("pin", pinned=True, embedding=vec(1, 0)),  # 2
            draft("close", embedding=vec(4, 1)),  # 3
            draft("far", embedding=vec(0, 1)),  # 4
            draft("no vector"),  # 5
            draft("closest", embedding=vec(8, 1)),  # 6
        ],
        now=clock.now(),
    )
    store.record_compaction(tenant, ctx.id, summary(1, 1), expected_version=6, now=clock.now())
    got = store.rank_relevant(tenant, ctx.id, text=None, embedding=vec(1, 0), k=10)
    assert got.lexical == ()
    assert [r.entry.version for r in got.semantic] == [6, 3, 4]
    assert [r.score for r in got.semantic] == pytest.approx(
        [8 / math.sqrt(65), 4 / math.sqrt(17), 0.0], abs=1e-6
    )
    top = store.rank_relevant(tenant, ctx.id, text=None, embedding=vec(1, 0), k=1)
    assert [r.entry.version for r in top.semantic] == [6]


def test_lexical_ranking_reads_the_subjects_an_entry_was_drafted_with(
    store: Store, tenant: str, clock: FakeClock
) -> None:
    ctx = make_context(store, tenant, clock)
    store.append(
        tenant,
        ctx.id,
        [
            draft("we should talk about Zephyr"),
            attrs.evolve(draft("its staging port is 8080"), context_terms=("zephyr",)),
            draft("the staging port of the other box is 9090"),
        ],
        now=clock.now(),
    )
    ranked = store.rank_relevant(tenant, ctx.id, text="zephyr staging port", embedding=None, k=3)
    assert ranked.lexical[0].entry.version == 2
    # The subjects are an index's concern: the entry reads back as it was sent.
    assert ranked.lexical[0].entry.content == "its staging port is 8080"
