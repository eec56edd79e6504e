"""Properties of compaction plans (domain/compaction.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from domain.compaction import (
    CompactionView,
    due,
    keep_boundary,
    plan_compaction,
    summary_draft,
)
from domain.errors import NothingToCompact
from domain.model import Entry, EntryKind, Policy, Role, VersionRange
from tests.unit.histories import candidates_of, histories

AT = datetime(2026, 2, 1, tzinfo=UTC)


def view_of(history: list[Entry]) -> CompactionView:
    """The compaction view a store would give for this history."""
    c = candidates_of(history)
    tokens = sum(e.token_count for e in c.pins) + sum(e.token_count for e in c.tail)
    if c.summary is not None:
        tokens += c.summary.token_count
    return CompactionView(
        head_version=c.head_version,
        compacted_through=c.compacted_through,
        active_tokens=tokens,
        summary=c.summary,
        entries=c.tail,
    )


policies = st.builds(
    Policy,
    budget=st.integers(100, 2000),
    threshold=st.floats(0.05, 1.0),
    keep_recent=st.integers(0, 12),
    summary_tokens=st.integers(1, 99),
)


@given(history=histories(), keep=st.integers(0, 15))
def test_keep_boundary_keeps_the_last_entries_and_whole_tool_groups(
    history: list[Entry], keep: int
) -> None:
    entries = candidates_of(history).tail
    start = keep_boundary(entries, keep)
    kept = entries[start:]
    assert len(kept) >= min(keep, len(entries))
    # The cut never falls between a tool call and its results.
    if 0 < start < len(entries):
        assert entries[start].role is not Role.TOOL
    summarized_calls = {c.id for e in entries[:start] for c in e.tool_calls}
    kept_results = {e.tool_call_id for e in kept if e.role is Role.TOOL}
    assert not summarized_calls & kept_results


@given(history=histories(), policy=policies)
def test_a_plan_covers_everything_up_to_what_it_keeps(history: list[Entry], policy: Policy) -> None:
    view = view_of(history)
    try:
        plan = plan_compaction(view, policy, at=AT, force=True)
    except NothingToCompact:
        assert keep_boundary(view.entries, policy.keep_recent) == 0
        return
    start = keep_boundary(view.entries, policy.keep_recent)
    assert plan.to_summarize == view.entries[:start]
    assert plan.covers == VersionRange(first=1, last=view.entries[start - 1].version)
    assert plan.covers.last > view.compacted_through
    assert plan.expected_version == view.head_version
    assert plan.previous_summary == view.summary
    replaced = sum(e.token_count for e in plan.to_summarize)
    replaced += view.summary.token_count if view.summary is not None else 0
    assert plan.tokens_replaced == replaced
    assert plan.tokens_before == view.active_tokens
    assert (plan.policy, plan.at) == (policy, AT)


@given(history=histories(), policy=policies)
def test_without_force_only_a_due_history_compacts(history: list[Entry], policy: Policy) -> None:
    view = view_of(history)
    is_due = due(view, policy)
    assert is_due == (view.active_tokens >= policy.threshold * policy.budget)
    if not is_due:
        with pytest.raises(NothingToCompact):
            plan_compaction(view, policy, at=AT)


@given(history=histories(), policy=policies, tokens=st.integers(1, 300))
def test_the_summary_draft_records_its_range_and_figures(
    history: list[Entry], policy: Policy, tokens: int
) -> None:
    view = view_of(history)
    assume(keep_boundary(view.entries, policy.keep_recent) > 0)
    plan = plan_compaction(view, policy, at=AT, force=True)
    draft = summary_draft(plan, text="the gist", token_count=tokens, summarizer="extractive")
    assert draft.kind is EntryKind.SUMMARY and draft.role is Role.SYSTEM
    assert draft.covers == plan.covers and draft.token_count == tokens
    assert not draft.is_pin
    record = draft.metadata["compaction"]
    assert record["covers"] == {"first": 1, "last": plan.covers.last}
    assert record["summarized_entries"] == len(plan.to_summarize)
    assert record["tokens_before"] == view.active_tokens
    assert record["tokens_after"] == view.active_tokens - plan.tokens_replaced + tokens
    assert record["at"] == AT.isoformat()
    assert record["policy"]["budget"] == policy.budget
    assert record["summarizer"] == "extractive" and "fallback" not in record
