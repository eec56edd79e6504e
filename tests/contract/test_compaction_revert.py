"""Compaction you can undo, refuse and hold back: revert, summaries that must be shorter,
hysteresis, and windows without summaries (both stores, through the engine)."""

from __future__ import annotations

import itertools

import pytest

from domain.errors import NotRevertible, SummaryNotShorter, VersionOutOfRange
from domain.model import EntryKind, Message, Policy, Role
from domain.window import Reason
from entrypoints.engine import Engine

# Summaries capped far below what they cover, so every compaction here is shorter.
_POLICY = Policy(budget=400, keep_recent=2, summary_tokens=30)



def _talk(n: int, start: int = 0) -> list[Message]:
    return [
        Message(role=Role.USER if i % 2 else Role.ASSISTANT,
                content=f"message {i}: the harbour opens at {i} and the ferry leaves after it",
                token_count=20)
        for i in range(start, start + n)
    ]


def _versions(window: object) -> list[tuple[int, Reason]]:
    return [(w.entry.version, w.reason) for w in window.entries]  # type: ignore[attr-defined]


def test_a_revert_puts_the_summary_before_back_in_force(engine: Engine, tenant: str) -> None:
    cid = engine.create_context(tenant, policy=_POLICY).id
    engine.append(tenant, cid, [Message(role=Role.SYSTEM, content="Be brief.", token_count=3)])
    engine.append(tenant, cid, _talk(6))
    first = engine.compact(tenant, cid, force=True)
    engine.append(tenant, cid, _talk(6, start=6))
    second = engine.compact(tenant, cid, force=True)
    s1, s2 = first.append.last_version, second.append.last_version
    head_before = engine.get_context(tenant, cid).head_version
    before = engine.window(tenant, cid)
    assert before.summary_covers == second.summary.covers

    with pytest.raises(NotRevertible):
        engine.revert_compaction(tenant, cid, s1)  # not the one in force
    reverted = engine.revert_compaction(tenant, cid, s2)
    marker = reverted.append.last_version
    assert marker == head_before + 1
    assert reverted.reverted.version == s2
    assert reverted.restores is not None and reverted.restores.version == s1
    state = engine.get_context(tenant, cid)
    assert state.compacted_through == first.summary.covers.last  # type: ignore[union-attr]
    after = engine.window(tenant, cid)
    assert after.summary_covers == first.summary.covers
    assert (s1, Reason.SUMMARY) in _versions(after)
    assert all(v != s2 for v, _ in _versions(after))
    # The summary and the marker stay readable, with who/when/what.
    entries = {e.version: e for e in engine.entries(tenant, cid, limit=100).items}
    assert entries[s2].kind is EntryKind.SUMMARY
    assert entries[marker].kind is EntryKind.REVERT
    record = entries[marker].metadata["revert"]
    assert (record["summary_version"], record["restores"]) == (s2, s1)
    assert record["tokens_before"] == reverted.tokens_before
    assert record["tokens_after"] == reverted.tokens_after
    assert engine.store.compaction_view(tenant, cid).active_tokens == reverted.tokens_after
    # Time travel: as of before the marker, the reverted summary was in force.
    assert engine.window(tenant, cid, at=marker - 1) == engine.window(tenant, cid, at=head_before)
    assert engine.window(tenant, cid, at=marker - 1).summary_covers == second.summary.covers
    # Reverting the first too leaves no summary at all; forks see what was in force.
    engine.revert_compaction(tenant, cid, s1)
    assert engine.get_context(tenant, cid).compacted_through == 0
    assert engine.window(tenant, cid).summary_covers is None
    fork = engine.fork(tenant, cid, version=marker)
    assert fork.compacted_through == first.summary.covers.last  # type: ignore[union-attr]
    assert engine.window(tenant, fork.id).summary_covers == first.summary.covers
    with pytest.raises(NotRevertible):
        engine.revert_compaction(tenant, cid, s1)


def test_a_window_can_leave_summaries_out(engine: Engine, tenant: str) -> None:
    cid = engine.create_context(tenant, policy=_POLICY).id
    engine.append(tenant, cid, _talk(10))
    done = engine.compact(tenant, cid, force=True)
    plain = engine.window(tenant, cid, include_summary=False)
    assert plain.summary_covers is None
    assert all(w.reason is not Reason.SUMMARY for w in plain.entries)
    assert [v for v, _ in _versions(plain)] == list(range(1, 11))
    assert engine.window(tenant, cid).summary_covers == done.summary.covers
    aware = engine.window(tenant, cid, include_summary=False, query="harbour opens at 3")
    assert aware.summary_covers is None and 4 in [v for v, _ in _versions(aware)]
    with pytest.raises(VersionOutOfRange):
        engine.window(tenant, cid, include_summary=False, at=99)


def test_a_summary_no_shorter_than_what_it_covers_is_refused(
    engine: Engine, tenant: str
) -> None:
    cid = engine.create_context(tenant, policy=Policy(budget=400, keep_recent=1)).id
    engine.append(tenant, cid, [Message(role=Role.USER, content="ok", token_count=1)] * 3)
    head = engine.get_context(tenant, cid).head_version
    with pytest.raises(SummaryNotShorter) as refused:
        engine.compact(tenant, cid, force=True)
    assert refused.value.summary_tokens >= refused.value.covered_tokens == 2
    assert engine.get_context(tenant, cid).head_version == head


def test_automatic_compaction_waits_for_real_growth(engine: Engine, tenant: str) -> None:
    # The case: budget 200, threshold 0.5, keep_recent 2: without hysteresis
    # every append after the sixth wrote another summary.
    policy = Policy(budget=200, threshold=0.5, keep_recent=2, enabled=True, summary_tokens=20)
    cid = engine.create_context(tenant, policy=policy).id
    for i in range(40):
        engine.append(tenant, cid, _talk(1, start=i))
    summaries = [
        e for e in engine.entries(tenant, cid, limit=1000).items if e.kind is EntryKind.SUMMARY
    ]
    grown = policy.compaction_margin * policy.budget
    assert 1 <= len(summaries) <= 40 * 20 // grown
    # Each waited for at least margin x budget tokens of growth since the one before.
    for earlier, later in itertools.pairwise(summaries):
        appended = later.version - earlier.version - 1
        assert appended * 20 >= policy.compaction_margin * policy.budget
    for s in summaries:
        assert s.metadata["compaction"]["trigger"] == "auto"
        assert s.metadata["compaction"]["tokens_after"] <= 0.5 * 200
