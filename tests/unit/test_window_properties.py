"""Properties of the token-budget window rule (domain/window.py select_window)."""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from domain.errors import BudgetTooSmall, InvalidInput
from domain.model import Role
from domain.window import Reason, Window, WindowCandidates, omitted_ranges, select_window
from tests.unit.histories import candidate_sets

budgets = st.integers(1, 400)


def _window(c: WindowCandidates, budget: int, reserve: int) -> Window:
    """select_window, skipping the cases where the pins alone cannot fit."""
    pins = sum(e.token_count for e in c.pins)
    assume(pins <= budget - reserve)
    return select_window(c, budget=budget, reserve=reserve)


def _recent(w: Window) -> list[int]:
    return [x.entry.version for x in w.entries if x.reason is Reason.RECENT]


@st.composite
def budget_and_reserve(draw: st.DrawFn) -> tuple[int, int]:
    budget = draw(budgets)
    return budget, draw(st.integers(0, budget - 1))


@given(c=candidate_sets, br=budget_and_reserve())
def test_never_exceeds_budget_minus_reserve(c: WindowCandidates, br: tuple[int, int]) -> None:
    budget, reserve = br
    w = _window(c, budget, reserve)
    assert w.tokens == sum(x.entry.token_count for x in w.entries)
    assert w.tokens <= budget - reserve == w.available
    assert (w.budget, w.reserve, w.head_version) == (budget, reserve, c.head_version)


@given(c=candidate_sets, br=budget_and_reserve())
def test_pins_first_then_chronological(c: WindowCandidates, br: tuple[int, int]) -> None:
    w = _window(c, *br)
    reasons = [x.reason for x in w.entries]
    n_pins = reasons.count(Reason.PINNED)
    assert [x.entry for x in w.entries[:n_pins]] == list(c.pins)
    rest = w.entries[n_pins:]
    assert all(x.reason is not Reason.PINNED for x in rest)
    # The summary leads what follows the pins; the recent entries ascend.
    if rest and c.summary is not None and rest[0].entry == c.summary:
        rest = rest[1:]
    assert all(x.reason is Reason.RECENT for x in rest)
    versions = [x.entry.version for x in rest]
    assert versions == sorted(versions)


@given(c=candidate_sets, br=budget_and_reserve())
def test_recent_entries_are_the_longest_fitting_suffix(
    c: WindowCandidates, br: tuple[int, int]
) -> None:
    budget, reserve = br
    w = _window(c, budget, reserve)
    recent = _recent(w)
    tail = [e.version for e in c.tail]
    if recent:
        # A contiguous run that reaches the newest eligible entry.
        assert recent == tail[len(tail) - len(recent) :]
    # What precedes the kept run either did not fit or is a tool result cut from its call.
    skipped = c.tail[: len(tail) - len(recent)]
    room = w.available - w.tokens
    cut_tools = 0
    for e in reversed(skipped):
        if e.role is not Role.TOOL:
            break
        cut_tools += 1
    if len(skipped) > cut_tools:
        blocker = skipped[len(skipped) - cut_tools - 1]
        cut_tokens = sum(e.token_count for e in skipped[len(skipped) - cut_tools :])
        assert blocker.token_count + cut_tokens > room


@given(c=candidate_sets, budget=budgets, more=st.integers(1, 200))
def test_bigger_budget_never_keeps_fewer_recent_entries(
    c: WindowCandidates, budget: int, more: int
) -> None:
    small = _window(c, budget, 0)
    big = _window(c, budget + more, 0)
    has_summary = [any(x.reason is Reason.SUMMARY for x in w.entries) for w in (small, big)]
    # The summary outranks recent entries, so one that only fits the bigger budget may
    # displace some of them: the property holds whenever both windows agree on it.
    assume(has_summary[0] == has_summary[1])
    assert set(_recent(small)) <= set(_recent(big))
    assert big.tokens >= small.tokens


@given(c=candidate_sets, br=budget_and_reserve())
def test_windowing_a_window_changes_nothing(c: WindowCandidates, br: tuple[int, int]) -> None:
    budget, reserve = br
    w = _window(c, budget, reserve)
    again_candidates = WindowCandidates(
        head_version=c.head_version,
        compacted_through=c.compacted_through,
        pins=tuple(x.entry for x in w.entries if x.reason is Reason.PINNED),
        summary=next((x.entry for x in w.entries if x.reason is Reason.SUMMARY), None),
        tail=tuple(x.entry for x in w.entries if x.reason is Reason.RECENT),
    )
    again = select_window(again_candidates, budget=budget, reserve=reserve)
    assert again.entries == w.entries
    assert again.tokens == w.tokens


@given(c=candidate_sets, br=budget_and_reserve())
def test_tool_results_travel_with_their_calls(c: WindowCandidates, br: tuple[int, int]) -> None:
    w = _window(c, *br)
    included = [x.entry for x in w.entries]
    call_ids = {call.id for e in included for call in e.tool_calls}
    result_ids = {e.tool_call_id for e in included if e.role is Role.TOOL}
    # Never a tool result whose call was cut (in particular never the first recent entry).
    assert result_ids <= call_ids
    # Never an assistant tool call without the results that follow it in the tail.
    tail_results = {e.tool_call_id for e in c.tail if e.role is Role.TOOL}
    assert (call_ids & tail_results) <= result_ids


@given(c=candidate_sets, br=budget_and_reserve())
def test_a_budget_of_exactly_what_the_window_uses_keeps_it(
    c: WindowCandidates, br: tuple[int, int]
) -> None:
    # Whatever fits, fits with no room to spare: an entry is kept when it fits *exactly*,
    # and nothing the window left out fits in less room than it had.
    budget, reserve = br
    w = _window(c, budget, reserve)
    tight = select_window(c, budget=reserve + max(w.tokens, 1), reserve=reserve)
    assert tight.entries == w.entries
    assert (tight.tokens, tight.omitted) == (w.tokens, w.omitted)


@given(c=candidate_sets, br=budget_and_reserve())
def test_omitted_count_and_ranges_are_exact(c: WindowCandidates, br: tuple[int, int]) -> None:
    w = _window(c, *br)
    included = {x.entry.version for x in w.entries}
    expected = set(range(c.compacted_through + 1, c.head_version + 1)) - included
    listed = [v for r in w.omitted for v in range(r.first, r.last + 1)]
    assert sorted(listed) == listed and set(listed) == expected and len(listed) == len(expected)
    assert w.omitted_count == len(expected)
    # Ranges are maximal: two ranges never touch.
    for a, b in zip(w.omitted, w.omitted[1:], strict=False):
        assert b.first > a.last + 1
    summary = c.summary
    assert w.summary_covers == (summary.covers if summary is not None else None)


@given(c=candidate_sets, br=budget_and_reserve())
def test_budget_too_small_carries_the_amount_needed(
    c: WindowCandidates, br: tuple[int, int]
) -> None:
    budget, reserve = br
    pins = sum(e.token_count for e in c.pins)
    if pins <= budget - reserve:
        select_window(c, budget=budget, reserve=reserve)
        return
    with pytest.raises(BudgetTooSmall) as err:
        select_window(c, budget=budget, reserve=reserve)
    assert err.value.needed == pins + reserve
    assert err.value.available == budget
    # Exactly the amount needed is enough.
    select_window(c, budget=err.value.needed, reserve=reserve)


@pytest.mark.parametrize(("budget", "reserve"), [(0, 0), (-5, 0), (10, 10), (10, -1), (10, 11)])
def test_impossible_budgets_are_invalid_input(budget: int, reserve: int) -> None:
    with pytest.raises(InvalidInput):
        select_window(WindowCandidates(head_version=0), budget=budget, reserve=reserve)


@given(
    first=st.integers(1, 30),
    span=st.integers(-1, 30),
    included=st.sets(st.integers(0, 70)),
)
def test_omitted_ranges_partition_what_is_missing(
    first: int, span: int, included: set[int]
) -> None:
    last = first + span
    ranges = omitted_ranges(first, last, included)
    covered = [v for r in ranges for v in range(r.first, r.last + 1)]
    assert covered == sorted(set(range(first, last + 1)) - included)
