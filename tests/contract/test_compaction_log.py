"""The compaction log (ports.compaction_log): summaries recorded as versions, standing in
for what they cover, refused when the head moved."""

from __future__ import annotations

import pytest

from domain.errors import VersionConflict
from domain.model import EntryKind, Role, VersionRange
from entrypoints.engine import Store
from tests.conftest import FakeClock
from tests.contract.support import draft, make_context, summary


def test_compaction_summary_stands_in_for_what_it_covers(
    store: Store, tenant: str, clock: FakeClock
) -> None:
    ctx = make_context(store, tenant, clock)
    store.append(
        tenant,
        ctx.id,
        [draft("sys", role=Role.SYSTEM, tokens=5)]
        + [draft(f"m{i}", tokens=10) for i in range(2, 8)],
        now=clock.now(),
    )
    before = store.compaction_view(tenant, ctx.id)
    assert before.head_version == 7 and before.compacted_through == 0 and before.summary is None
    assert [e.version for e in before.entries] == [2, 3, 4, 5, 6, 7]
    assert before.active_tokens == 65
    result = store.record_compaction(
        tenant, ctx.id, summary(1, 4, tokens=6), expected_version=7, now=clock.now()
    )
    assert (result.first_version, result.last_version, result.head_version) == (8, 8, 8)
    ctx_now = store.get_context(tenant, ctx.id)
    assert ctx_now.compacted_through == 4 and ctx_now.head_version == 8
    assert ctx_now.token_total == 65 + 6
    view = store.compaction_view(tenant, ctx.id)
    assert view.compacted_through == 4 and view.head_version == 8
    assert view.summary is not None and view.summary.version == 8
    assert view.summary.kind is EntryKind.SUMMARY
    assert view.summary.covers == VersionRange(first=1, last=4)
    assert [e.version for e in view.entries] == [5, 6, 7]
    assert view.active_tokens == 5 + 6 + 30
    cands = store.window_candidates(tenant, ctx.id, tail_tokens=1000)
    assert cands.compacted_through == 4
    assert cands.summary is not None and cands.summary.version == 8
    assert [e.version for e in cands.pins] == [1]
    assert [e.version for e in cands.tail] == [5, 6, 7]
    # Covered entries stay readable by time travel.
    assert [e.version for e in store.read_entries(tenant, ctx.id, at=4).items] == [1, 2, 3, 4]


def test_newest_summary_supersedes_older_ones(
    store: Store, tenant: str, clock: FakeClock
) -> None:
    ctx = make_context(store, tenant, clock)
    store.append(tenant, ctx.id, [draft(f"m{i}", tokens=10) for i in range(1, 5)], now=clock.now())
    store.record_compaction(
        tenant, ctx.id, summary(1, 2, tokens=3), expected_version=4, now=clock.now()
    )
    store.append(tenant, ctx.id, [draft("m6", tokens=10), draft("m7", tokens=10)], now=clock.now())
    store.record_compaction(
        tenant, ctx.id, summary(1, 6, text="newer", tokens=4), expected_version=7, now=clock.now()
    )
    view = store.compaction_view(tenant, ctx.id)
    assert view.summary is not None and view.summary.version == 8
    assert view.summary.content == "newer"
    assert [e.version for e in view.entries] == [7]
    assert view.active_tokens == 4 + 10
    cands = store.window_candidates(tenant, ctx.id, tail_tokens=1000)
    assert [e.version for e in cands.tail] == [7] and cands.compacted_through == 6


def test_compaction_refuses_a_moved_head(
    store: Store, tenant: str, clock: FakeClock
) -> None:
    ctx = make_context(store, tenant, clock)
    store.append(tenant, ctx.id, [draft(), draft(), draft()], now=clock.now())
    with pytest.raises(VersionConflict) as err:
        store.record_compaction(tenant, ctx.id, summary(1, 2), expected_version=2, now=clock.now())
    assert (err.value.expected, err.value.current) == (2, 3)
    ctx_now = store.get_context(tenant, ctx.id)
    assert ctx_now.head_version == 3 and ctx_now.compacted_through == 0
