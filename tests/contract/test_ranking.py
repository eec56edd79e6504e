"""Ranking (ports.ranking): a context's eligible active entries ranked for a query, by
BM25 on its text and by cosine to its vector."""

from __future__ import annotations

import math

import attrs
import pytest

from domain.errors import ContextNotFound
from domain.model import EntryDraft, Role, ToolCall
from domain.relevance import TOOL_REACH, RankQuery
from entrypoints.engine import Store
from tests.conftest import FakeClock
from tests.contract.support import draft, make_context, new_id, summary, vec


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
    assert [r.version for r in got.lexical] == [4, 5, 7]
    scores = [r.score for r in got.lexical]
    assert scores[0] > scores[1] > scores[2] > 0
    top = store.rank_relevant(tenant, cid, text="red apple pie", embedding=None, k=2)
    assert [r.version for r in top.lexical] == [4, 5]


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
    assert [r.version for r in got.lexical] == [1]


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
    assert [r.version for r in got.semantic] == [6, 3, 4]
    assert [r.score for r in got.semantic] == pytest.approx(
        [8 / math.sqrt(65), 4 / math.sqrt(17), 0.0], abs=1e-6
    )
    top = store.rank_relevant(tenant, ctx.id, text=None, embedding=vec(1, 0), k=1)
    assert [r.version for r in top.semantic] == [6]


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
    assert ranked.lexical[0].version == 2
    # The subjects are an index's concern: the entry reads back as it was sent.
    [entry] = store.read_versions(tenant, ctx.id, [2])
    assert entry.content == "its staging port is 8080"


def test_a_query_windows_reads_at_once_are_its_reads_one_by_one(
    store: Store, tenant: str, clock: FakeClock
) -> None:
    # ranked_candidates is window_candidates and rank_relevant over the same state: at
    # the head, at an older version, with and without the summary, with a fork's shared
    # rows, and for either query part alone.
    ctx = make_context(store, tenant, clock)
    call = ToolCall(id="c1", name="lookup", arguments='{"q": "apple"}')
    store.append(
        tenant,
        ctx.id,
        [
            draft("red apple pie", embedding=vec(1, 0)),  # 1: covered by the summary
            draft("the pinned apple", pinned=True, embedding=vec(1, 1)),  # 2
            draft("", role=Role.ASSISTANT, tool_calls=[call], embedding=vec(0, 1)),  # 3
            draft("apple found", role=Role.TOOL, tool_call_id="c1", embedding=vec(2, 1)),
            draft("green pear", embedding=vec(0, 1)),  # 5
            draft("apple crumble", embedding=vec(3, 1)),  # 6
        ],
        now=clock.now(),
    )
    store.record_compaction(tenant, ctx.id, summary(1, 1), expected_version=6, now=clock.now())
    store.append(tenant, ctx.id, [draft("baked apple", embedding=vec(5, 1))], now=clock.now())
    fork = store.fork(tenant, ctx.id, version=8, new_id=new_id(), name="f", now=clock.now())
    store.append(tenant, fork.id, [draft("apple tart", embedding=vec(1, 0))], now=clock.now())
    queries = [
        RankQuery(text="apple pie", embedding=vec(1, 0), k=10),
        RankQuery(text="apple", embedding=None, k=2),
        RankQuery(text=None, embedding=vec(1, 0), k=3),
    ]
    for cid in (ctx.id, fork.id):
        for at in (None, 6, 4):
            for summaries in (True, False):
                for query in queries:
                    got = store.ranked_candidates(
                        tenant, cid, tail_tokens=15, query=query, at=at, summaries=summaries
                    )
                    candidates = store.window_candidates(
                        tenant, cid, tail_tokens=15, at=at, summaries=summaries
                    )
                    relevance = store.rank_relevant(
                        tenant, cid, text=query.text, embedding=query.embedding, k=query.k,
                        at=at, summaries=summaries,
                    )
                    assert got[0] == candidates, (cid, at, summaries, query)
                    assert [(r.version, r.token_count, r.grouped) for r in got[1].lexical] == [
                        (r.version, r.token_count, r.grouped) for r in relevance.lexical
                    ]
                    assert [r.score for r in got[1].lexical] == pytest.approx(
                        [r.score for r in relevance.lexical]
                    )
                    assert [r.version for r in got[1].semantic] == [
                        r.version for r in relevance.semantic
                    ]
    head = store.ranked_candidates(
        tenant, ctx.id, tail_tokens=100, query=queries[0], at=None, summaries=True
    )
    # The summary's range is out of both rankings; the pin never ranks; the tool call and
    # its result rank as members of a group.
    assert head[0].compacted_through == 1
    ranked = {r.version: r for r in head[1].lexical + head[1].semantic}
    assert 1 not in ranked and 2 not in ranked
    assert ranked[4].grouped and not ranked[6].grouped
    with pytest.raises(ContextNotFound):
        store.ranked_candidates(tenant, "nope", tail_tokens=10, query=queries[0])


def test_a_grouped_places_group_read_is_its_call_through_its_last_result_in_reach(
    store: Store, tenant: str, clock: FakeClock
) -> None:
    # Ranked.group_start (domain.relevance.group_start) is where a window's read of the
    # entry's tool-call group begins: a call's own version, a result's nearest call at or
    # within TOOL_REACH before it (through a fork's shared rows too), None past reach.
    def call(*ids: str) -> EntryDraft:
        calls = [ToolCall(id=i, name="lookup", arguments='{"q": "apple"}') for i in ids]
        return draft("", role=Role.ASSISTANT, tool_calls=calls, embedding=vec(1, 0))

    def result(call_id: str) -> EntryDraft:
        return draft("apple found", role=Role.TOOL, tool_call_id=call_id, embedding=vec(1, 0))

    ctx = make_context(store, tenant, clock)
    history = [
        draft("apple talk", embedding=vec(1, 0)),  # 1
        call("a"),  # 2
        result("a"),  # 3
        call("b", "c"),  # 4: parallel calls
        result("b"),  # 5
        result("c"),  # 6
        call("far"),  # 7
        *[draft(f"chatter {i}", embedding=vec(0, 1)) for i in range(TOOL_REACH)],  # 8..15
        result("far"),  # 16: its call lies TOOL_REACH + 1 versions back
        call("d"),  # 17: the fork shares 1..17
    ]
    store.append(tenant, ctx.id, history, now=clock.now())
    fork = store.fork(tenant, ctx.id, version=17, new_id=new_id(), name="f", now=clock.now())
    store.append(tenant, fork.id, [result("d")], now=clock.now())  # 18, the fork's own
    starts = {1: None, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 7, 16: None, 17: 17, 18: 17}
    # Ranked.group_end (domain.relevance.group_end): the newest result within reach of
    # the start (any call's: 2's read ends at 6), the place itself where none is newer
    # (7: its result is past reach); 17's in the fork is the fork's own 18.
    ends = {1: None, 2: 6, 3: 6, 4: 6, 5: 6, 6: 6, 7: 7, 16: None, 17: 17, 18: 18}
    query = RankQuery(text="apple", embedding=vec(1, 0), k=30)
    for cid in (ctx.id, fork.id):
        _, relevance = store.ranked_candidates(tenant, cid, tail_tokens=0, query=query)
        for ranking in (relevance.lexical, relevance.semantic):
            got = {r.version: (r.group_start, r.group_end) for r in ranking if r.version in starts}
            expected = {
                v: (s, 18 if v == 17 and cid == fork.id else ends[v])
                for v, s in starts.items() if v != 18 or cid == fork.id
            }
            assert got == expected, (cid, ranking)
            assert all(r.group_start is None for r in ranking if not r.grouped)
    # As of an older version, a group ends within the history then.
    as_of = {(ctx.id, 5): {2: (2, 5), 4: (4, 5), 5: (4, 5)}, (fork.id, 17): {17: (17, 17)}}
    for (cid, at), wanted in as_of.items():
        _, relevance = store.ranked_candidates(tenant, cid, tail_tokens=0, query=query, at=at)
        for ranking in (relevance.lexical, relevance.semantic):
            got = {r.version: (r.group_start, r.group_end) for r in ranking if r.version in wanted}
            assert got == wanted, (cid, at, ranking)
