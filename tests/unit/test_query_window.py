"""The query-aware window: relevance fusion and the budget rule, as properties and examples."""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from datetime import UTC, datetime
from unittest.mock import patch

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain import relevance as relevance_rules
from domain.errors import InvalidInput
from domain.model import Entry, EntryKind, Role, ToolCall, VersionRange
from domain.relevance import (
    TOOL_REACH,
    Ranked,
    Relevance,
    above_floor,
    fuse,
    latest_turn_start,
    lexical_query,
    ranked,
    relevant_head,
    select_query_window,
    versions_around,
)
from domain.tool_groups import EntryPool, closure, in_tool_group
from domain.window import (
    Reason,
    ScoredEntry,
    Window,
    WindowCandidates,
    recent_suffix,
    select_window,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def entry(version: int, role: Role, tokens: int = 10, **kw: object) -> Entry:
    return Entry(version=version, role=role, content=f"v{version}", token_count=tokens,
                 created_at=T0, **kw)  # type: ignore[arg-type]


# -- histories ----------------------------------------------------------------------


@st.composite
def histories(draw: st.DrawFn) -> list[Entry]:
    """Turns of user, assistant and tool entries, a few pins, ids reused across turns."""
    out: list[Entry] = []
    tokens = st.integers(min_value=1, max_value=60)

    def add(role: Role, **kw: object) -> None:
        out.append(entry(len(out) + 1, role, draw(tokens), **kw))

    if draw(st.booleans()):
        add(Role.SYSTEM)
    for _ in range(draw(st.integers(min_value=0, max_value=14))):
        add(Role.USER, pinned=draw(st.integers(0, 9)) == 0)
        for _ in range(draw(st.integers(0, 2))):
            calls = draw(st.integers(0, 3))
            # "c0", "c1"... again in every turn: results answer the nearest earlier call.
            ids = [f"c{i}" for i in range(calls)]
            add(Role.ASSISTANT, tool_calls=tuple(ToolCall(id=i, name="f") for i in ids))
            for i in draw(st.permutations(ids)):
                add(Role.TOOL, tool_call_id=i)
        if draw(st.booleans()):
            add(Role.ASSISTANT)
    return out


def summary_at(history: Sequence[Entry], through: int, tokens: int) -> Entry:
    return Entry(version=len(history) + 1, role=Role.SYSTEM, content="summary",
                 token_count=tokens, kind=EntryKind.SUMMARY,
                 covers=VersionRange(first=1, last=through), created_at=T0)


@st.composite
def cases(draw: st.DrawFn) -> tuple[WindowCandidates, list[Entry], int, int, float, int]:
    """Candidates built the way an adapter and the engine would, from a whole history."""
    history = draw(histories())
    summary = None
    through = 0
    starts = [e.version - 1 for e in history if e.role is Role.USER and e.version > 1]
    if starts and draw(st.booleans()):
        # Compaction cuts at a turn boundary (it never splits a tool group).
        through = draw(st.sampled_from(starts))
        summary = summary_at(history, through, draw(st.integers(1, 40)))
    pins = tuple(e for e in history if e.is_pin)
    eligible = [e for e in history if not e.is_pin and e.version > through]
    picked = []
    if eligible:
        picked = draw(st.lists(st.sampled_from(eligible), unique_by=lambda e: e.version))
    scores = sorted(draw(st.lists(st.floats(0.001, 1.0), min_size=len(picked),
                                  max_size=len(picked), unique=True)), reverse=True)
    relevant = tuple(ScoredEntry(entry=e, score=s) for e, s in zip(picked, scores, strict=True))
    companions: tuple[Entry, ...] = tuple(eligible)
    if eligible and not draw(st.booleans()):
        companions = tuple(draw(st.lists(st.sampled_from(eligible))))
    head = summary.version if summary else len(history)
    pin_tokens = sum(e.token_count for e in pins)
    budget = draw(st.integers(min_value=pin_tokens + 1, max_value=pin_tokens + 800))
    reserve = draw(st.integers(min_value=0, max_value=budget - pin_tokens - 1))
    tail = eligible
    if draw(st.booleans()):
        # What window_candidates gives: the newest entries whose suffix fits the budget.
        tail = eligible[len(eligible) - len(recent_run(eligible, budget - reserve)):]
    candidates = WindowCandidates(head_version=head, compacted_through=through, pins=pins,
                                  summary=summary, tail=tuple(tail), relevant=relevant,
                                  companions=companions)
    share = draw(st.sampled_from([0.0, 0.25, 0.5, 0.8, 1.0]))
    neighbours = draw(st.integers(0, 2))
    return candidates, history, budget, reserve, share, neighbours


def recent_run(entries: Sequence[Entry], tokens: int) -> list[Entry]:
    """The longest suffix of `entries` whose tokens add up to at most `tokens`."""
    total = 0
    out: list[Entry] = []
    for e in reversed(entries):
        total += e.token_count
        if total > tokens:
            break
        out.insert(0, e)
    return out


def run(case: tuple[WindowCandidates, list[Entry], int, int, float, int]) -> Window:
    candidates, _, budget, reserve, share, neighbours = case
    return select_query_window(candidates, budget=budget, reserve=reserve, share=share,
                               neighbours=neighbours)


def call_of(history: Sequence[Entry], result: Entry) -> Entry | None:
    """The nearest earlier assistant entry that made the call a result answers."""
    for e in reversed(history[: result.version - 1]):
        if any(c.id == result.tool_call_id for c in e.tool_calls):
            return e
    return None


def assert_valid_sequence(window: Window, history: Sequence[Entry]) -> None:
    """No tool result without its call; no call without every result it has."""
    sent = {w.entry.version for w in window.entries if w.entry.kind is EntryKind.MESSAGE}
    for v in sent:
        e = history[v - 1]
        if e.role is Role.TOOL:
            call = call_of(history, e)
            assert call is not None and call.version in sent, f"orphan result v{v}"
        for r in history:
            if r.role is Role.TOOL and e.tool_calls and (c := call_of(history, r)) is e:
                assert c is not None and r.version in sent, f"call v{v} split from v{r.version}"


# -- properties ---------------------------------------------------------------------


@given(cases())
def test_never_over_budget_and_tokens_add_up(case: tuple) -> None:
    window = run(case)
    assert window.tokens <= window.available
    assert window.tokens == sum(w.entry.token_count for w in window.entries)
    assert len({w.entry.version for w in window.entries}) == len(window.entries)


@given(cases())
def test_pins_first_then_summary_then_chronological(case: tuple) -> None:
    candidates = case[0]
    window = run(case)
    reasons = [w.reason for w in window.entries]
    n_pins = len(candidates.pins)
    assert reasons[:n_pins] == [Reason.PINNED] * n_pins
    rest = [w for w in window.entries[n_pins:] if w.reason is not Reason.SUMMARY]
    assert [w.entry.version for w in rest] == sorted(w.entry.version for w in rest)
    if candidates.summary is not None and Reason.SUMMARY in reasons:
        assert reasons[n_pins] is Reason.SUMMARY


@given(cases())
def test_window_is_a_valid_sequence(case: tuple) -> None:
    assert_valid_sequence(run(case), case[1])


@given(cases())
def test_relevant_share_respected_and_scores_explained(case: tuple) -> None:
    candidates, _, budget, reserve, share, _ = case
    window = run(case)
    relevant = [w for w in window.entries if w.reason is Reason.RELEVANT]
    assert sum(w.entry.token_count for w in relevant) <= math.floor(share * (budget - reserve))
    scores = {s.entry.version: s.score for s in candidates.relevant}
    for w in relevant:
        assert w.score is None or scores[w.entry.version] == w.score
    assert all(w.score is None for w in window.entries if w.reason is not Reason.RELEVANT)
    # Only entries after the summary's range are ever chosen for relevance.
    assert all(w.entry.version > candidates.compacted_through for w in relevant)


@given(cases())
def test_without_relevant_entries_it_is_the_plain_window(case: tuple) -> None:
    candidates, _, budget, reserve, share, neighbours = case
    plain = WindowCandidates(head_version=candidates.head_version,
                             compacted_through=candidates.compacted_through,
                             pins=candidates.pins, summary=candidates.summary,
                             tail=candidates.tail)
    assert select_query_window(plain, budget=budget, reserve=reserve, share=share,
                               neighbours=neighbours) == select_window(
        plain, budget=budget, reserve=reserve)


@given(cases(), st.randoms(use_true_random=False))
def test_deterministic_whatever_the_companions_order(case: tuple, rnd: random.Random) -> None:
    candidates = case[0]
    shuffled = list(candidates.companions)
    rnd.shuffle(shuffled)
    other = WindowCandidates(head_version=candidates.head_version,
                             compacted_through=candidates.compacted_through,
                             pins=candidates.pins, summary=candidates.summary,
                             tail=candidates.tail, relevant=candidates.relevant,
                             companions=tuple(shuffled))
    assert run(case) == run((other, *case[1:]))


@given(cases())
def test_latest_turn_kept_when_it_fits(case: tuple) -> None:
    candidates, _, budget, reserve, _, _ = case
    window = run(case)
    tail = candidates.tail
    turn = tail[latest_turn_start(tail):]
    head = sum(e.token_count for e in candidates.pins)
    if candidates.summary is not None and head + candidates.summary.token_count <= budget - reserve:
        head += candidates.summary.token_count
    if head + sum(e.token_count for e in turn) <= budget - reserve:
        sent = {w.entry.version for w in window.entries}
        # A turn can only open on a tool result whose call fell out of the tail: cut it.
        assert {e.version for e in recent_suffix(turn, budget)} <= sent


# -- examples -----------------------------------------------------------------------


def chat(n: int, tokens: int = 10) -> list[Entry]:
    """Alternating user and assistant entries, versions 1..n."""
    return [entry(v, Role.USER if v % 2 else Role.ASSISTANT, tokens) for v in range(1, n + 1)]


def candidates_for(history: list[Entry], relevant: list[tuple[int, float]],
                   **kw: object) -> WindowCandidates:
    return WindowCandidates(
        head_version=len(history), tail=tuple(history),
        relevant=tuple(ScoredEntry(entry=history[v - 1], score=s) for v, s in relevant),
        companions=tuple(history), **kw)  # type: ignore[arg-type]


def test_a_deep_relevant_entry_joins_the_latest_entries() -> None:
    history = chat(101)
    window = select_query_window(candidates_for(history, [(7, 0.9)]), budget=100, share=0.5)
    got = [(w.entry.version, w.reason, w.score) for w in window.entries]
    # 10 tokens each: v7 takes 10 of the 50 relevant tokens; the rest goes to v93..v101.
    assert got == [(7, Reason.RELEVANT, 0.9)] + [(v, Reason.RECENT, None) for v in range(93, 102)]
    assert window.tokens == 100
    assert window.omitted == (VersionRange(first=1, last=6), VersionRange(first=8, last=92))


def test_a_relevant_tool_result_brings_its_call_and_the_call_s_other_results() -> None:
    history = chat(40)
    history[19] = entry(20, Role.ASSISTANT, tool_calls=(ToolCall(id="a", name="f"),
                                                        ToolCall(id="b", name="g")))
    history[20] = entry(21, Role.TOOL, tool_call_id="b")
    history[21] = entry(22, Role.TOOL, tool_call_id="a")
    window = select_query_window(candidates_for(history, [(22, 0.5)]), budget=100, share=0.5)
    relevant = [(w.entry.version, w.score) for w in window.entries if w.reason is Reason.RELEVANT]
    assert relevant == [(20, None), (21, None), (22, 0.5)]


def place(history: Sequence[Entry], e: Entry) -> Ranked:
    """e's place as a store ranks it: with the entries within TOOL_REACH either side."""
    return ranked(
        e, 1.0, before=history[max(e.version - 1 - TOOL_REACH, 0) : e.version - 1],
        after=history[e.version : e.version + TOOL_REACH],
    )


def test_a_group_starts_at_its_call_within_reach() -> None:
    history = chat(30)
    history[9] = entry(10, Role.ASSISTANT, tool_calls=(ToolCall(id="a", name="f"),))
    history[10] = entry(11, Role.TOOL, tool_call_id="a")
    history[11] = entry(12, Role.TOOL, tool_call_id="a")
    history[12 + TOOL_REACH] = entry(13 + TOOL_REACH, Role.TOOL, tool_call_id="a")
    assert [place(history, history[v - 1]).group_start for v in (10, 11, 12)] == [10, 10, 10]
    # It ends at the newest result within reach of the start (13 + TOOL_REACH is past it).
    assert [place(history, history[v - 1]).group_end for v in (10, 11, 12)] == [12, 12, 12]
    assert place(history, history[12 + TOOL_REACH]).group_start is None  # past reach
    assert place(history, history[12 + TOOL_REACH]).group_end is None
    assert place(history, history[4])[-2:] == (None, None)  # in no group
    # A group is read from its start through its end, a place in no group alone, a
    # grouped place whose end is not known through TOOL_REACH after its start, and one
    # whose start is not known (or an entry) either side.
    assert versions_around([place(history, history[11])], 0) == {10, 11, 12}
    unended = place(history, history[11])._replace(group_end=None)
    assert versions_around([unended], 0) == set(range(10, 11 + TOOL_REACH))
    assert versions_around([place(history, history[4])], 1) == {4, 5, 6}
    assert versions_around([ranked(history[11], 1.0)], 0) == set(
        range(12 - TOOL_REACH, 13 + TOOL_REACH)
    )
    assert versions_around([history[11]], 0) == set(range(12 - TOOL_REACH, 13 + TOOL_REACH))


@given(histories())
def test_reading_from_the_group_start_finds_every_group_whole(history: list[Entry]) -> None:
    # The histories' groups are a call and its results right after it: reading each
    # grouped entry's versions_around finds the same group as the whole history does.
    whole = EntryPool(history)
    for e in history:
        if in_tool_group(e):
            pool = EntryPool(
                history[v - 1] for v in versions_around([place(history, e)], 0)
                if 1 <= v <= len(history)
            )
            assert closure(e, pool) == closure(e, whole)


@st.composite
def tangled(draw: st.DrawFn) -> list[Entry]:
    """Any order of messages, calls (of a few ids, reused) and results (of any of those
    ids, answered or not, near their call or not)."""
    out: list[Entry] = []
    ids = st.sampled_from(["a", "b", "c"])
    for v in range(1, draw(st.integers(1, 40)) + 1):
        kind = draw(st.sampled_from(["user", "assistant", "call", "result", "result"]))
        if kind == "call":
            names = draw(st.lists(ids, min_size=1, max_size=3, unique=True))
            calls = tuple(ToolCall(id=i, name="f") for i in names)
            out.append(entry(v, Role.ASSISTANT, tool_calls=calls))
        elif kind == "result":
            out.append(entry(v, Role.TOOL, tool_call_id=draw(ids)))
        else:
            out.append(entry(v, Role.USER if kind == "user" else Role.ASSISTANT))
    return out


@given(tangled())
def test_a_group_read_through_its_end_finds_what_a_read_through_reach_finds(
    history: list[Entry],
) -> None:
    # Ranked.group_end only shortens a read that went TOOL_REACH past the start: the
    # entry's group (and its start's) is the same whole, or the same None, either way.
    def pool(versions: set[int]) -> EntryPool:
        return EntryPool(history[v - 1] for v in sorted(versions) if 1 <= v <= len(history))

    for e in history:
        p = place(history, e)
        if p.group_start is None:
            continue
        assert p.group_start <= e.version <= p.group_end <= p.group_start + TOOL_REACH
        tight = pool(versions_around([p], 0))
        reach = pool(versions_around([p._replace(group_end=None)], 0))
        for seed in (e, history[p.group_start - 1]):
            assert closure(seed, tight) == closure(seed, reach)


def test_a_group_whose_call_is_unknown_is_skipped_not_split() -> None:
    history = chat(40)
    history[19] = entry(20, Role.ASSISTANT, tool_calls=(ToolCall(id="a", name="f"),))
    history[20] = entry(21, Role.TOOL, tool_call_id="a")
    candidates = WindowCandidates(
        head_version=40, tail=tuple(history[30:]),
        relevant=(ScoredEntry(entry=history[20], score=0.5),
                  ScoredEntry(entry=history[4], score=0.4)),
        companions=(history[4],))
    window = select_query_window(candidates, budget=100, share=0.5)
    assert [w.entry.version for w in window.entries if w.reason is Reason.RELEVANT] == [5]


def test_neighbours_travel_with_a_relevant_entry() -> None:
    history = chat(101)
    window = select_query_window(candidates_for(history, [(7, 0.9)]), budget=100, share=0.5,
                                 neighbours=1)
    assert [w.entry.version for w in window.entries if w.reason is Reason.RELEVANT] == [6, 7, 8]


def test_groups_that_do_not_fit_the_share_are_passed_over_for_smaller_ones() -> None:
    history = chat(101)
    history[9] = entry(10, Role.ASSISTANT, tokens=45)
    window = select_query_window(candidates_for(history, [(10, 0.9), (30, 0.8), (50, 0.7)]),
                                 budget=100, share=0.3)
    assert [w.entry.version for w in window.entries if w.reason is Reason.RELEVANT] == [30, 50]


def test_relevant_entries_the_recent_part_sends_anyway_cost_no_share() -> None:
    history = chat(101)
    window = select_query_window(candidates_for(history, [(99, 0.9), (7, 0.5)]),
                                 budget=100, share=0.5)
    by_version = {w.entry.version: w.reason for w in window.entries}
    assert by_version[99] is Reason.RECENT and by_version[7] is Reason.RELEVANT


def test_the_latest_turn_comes_before_relevance() -> None:
    history = chat(60)
    history[59] = entry(60, Role.ASSISTANT, tokens=70)  # latest turn: v59 (user) + v60
    window = select_query_window(candidates_for(history, [(3, 0.9), (5, 0.8)]),
                                 budget=100, share=0.5)
    got = [(w.entry.version, w.reason) for w in window.entries]
    assert got == [(3, Reason.RELEVANT), (5, Reason.RELEVANT), (59, Reason.RECENT),
                   (60, Reason.RECENT)]


def test_bad_share_is_invalid_input() -> None:
    with pytest.raises(InvalidInput):
        select_query_window(candidates_for(chat(4), [(1, 0.5)]), budget=100, share=1.5)


def test_rrf_sums_reciprocal_ranks_and_breaks_ties_to_the_newer_entry() -> None:
    e = {v: entry(v, Role.USER) for v in (1, 2, 3)}
    relevance = Relevance(
        semantic=(ranked(e[1], 0.9), ranked(e[2], 0.8)),
        lexical=(ranked(e[2], 7.0), ranked(e[1], 3.0),
                 ranked(e[3], 1.0)),
    )
    fused = fuse(relevance)
    assert [s.version for s in fused] == [2, 1, 3]
    assert fused[0].score == pytest.approx(1 / 61 + 1 / 62)
    assert fused[2].score == pytest.approx(1 / 63)


def test_rrf_of_nothing_is_nothing() -> None:
    assert fuse(Relevance()) == ()


def test_entries_under_a_rankings_floor_never_enter_it() -> None:
    e = {v: entry(v, Role.USER) for v in (1, 2, 3, 4)}
    lexical = (ranked(e[1], 8.0), ranked(e[2], 2.0),
               ranked(e[3], 0.5))
    assert [r.version for r in above_floor(lexical, 0.25)] == [1, 2]
    assert above_floor(lexical, 0.0) == lexical
    # A cosine ranking that is all negative has no best to measure against: kept whole.
    negative = (ranked(e[4], -0.1), ranked(e[3], -0.4))
    assert above_floor(negative, 0.5) == negative
    with patch.object(relevance_rules, "LEXICAL_FLOOR", 0.25):
        fused = fuse(Relevance(lexical=lexical))
    assert [s.version for s in fused] == [1, 2]


def test_a_window_chooses_from_the_head_of_the_fused_ranking() -> None:
    fused = tuple(Ranked(version=v, score=1.0 / v, token_count=10) for v in range(1, 9))
    # 1.25 x 24 tokens of share (30): the first three entries' own tokens fit, not four.
    assert [s.version for s in relevant_head(fused, 24)] == [1, 2, 3]
    assert [s.version for s in relevant_head(fused, 23)] == [1, 2]
    assert relevant_head(fused, 1000) == fused
    # The best entry always stays, however big.
    big = (Ranked(version=1, score=1.0, token_count=500), *fused[1:])
    assert [s.version for s in relevant_head(big, 20)] == [1]
    assert relevant_head((), 20) == ()
    # Entries the candidates' tail holds are read already: they count no tokens.
    assert [s.version for s in relevant_head(fused, 23, tail={1, 2})] == [1, 2, 3, 4]


def test_a_rankings_weight_scales_its_share_of_the_fusion() -> None:
    e = {v: entry(v, Role.USER) for v in (1, 2)}
    relevance = Relevance(semantic=(ranked(e[1], 0.9),),
                          lexical=(ranked(e[2], 7.0),))
    # Equal weights: a tie, to the newer entry; a heavier lexical ranking wins outright.
    assert [s.version for s in fuse(relevance)] == [2, 1]
    with patch.object(relevance_rules, "SEMANTIC_WEIGHT", 2.0):
        fused = fuse(relevance)
    assert [s.version for s in fused] == [1, 2]
    assert fused[0].score == pytest.approx(2 / 61)


def test_lexical_query_keeps_the_words_that_tell_entries_apart() -> None:
    assert lexical_query("Which port does the Kestrel test-box answer on?") == (
        "port kestrel test box answer"
    )
    assert lexical_query("What is it?") is None
    assert lexical_query(None) is None
