"""Forks (ports.forks): the parent's history up to N, listed under the parent."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.errors import ContextNotFound, VersionOutOfRange
from domain.model import Role
from entrypoints.engine import Store
from tests.conftest import FakeClock
from tests.contract.support import draft, make_context, new_id, summary, vec


def _all(store: Store, tenant: str, cid: str, at: int | None = None) -> list:
    return list(store.read_entries(tenant, cid, limit=1000, at=at).items)


def test_fork_copies_history_and_records_its_origin(
    store: Store, tenant: str, clock: FakeClock
) -> None:
    parent = make_context(store, tenant, clock, name="p", metadata={"m": 1})
    store.append(
        tenant,
        parent.id,
        [draft("sys", role=Role.SYSTEM, tokens=2), draft("a", tokens=3, embedding=vec(1, 2))],
        now=clock.now(),
    )
    store.record_compaction(
        tenant, parent.id, summary(1, 2, tokens=4), expected_version=2, now=clock.now()
    )
    store.append(tenant, parent.id, [draft("b", tokens=5), draft("c", tokens=6)], now=clock.now())
    now = clock.now()
    child_id = new_id()
    child = store.fork(tenant, parent.id, version=4, new_id=child_id, name="kid", now=now)
    assert child.id == child_id and child.tenant_id == tenant and child.name == "kid"
    assert child.parent_id == parent.id and child.fork_version == 4
    assert child.head_version == 4 and child.token_total == 2 + 3 + 4 + 5
    assert child.compacted_through == 2
    assert child.policy == parent.policy
    assert child.created_at == now and child.deleted_at is None
    assert store.get_context(tenant, child_id) == child
    assert _all(store, tenant, child_id) == _all(store, tenant, parent.id, at=4)
    cands = store.window_candidates(tenant, child_id, tail_tokens=100)
    assert cands.summary is not None and cands.summary.version == 3
    assert [e.version for e in cands.tail] == [4]
    # The child grows on its own; the parent does not see it.
    store.append(tenant, child_id, [draft("child only", tokens=1)], now=clock.now())
    assert store.get_context(tenant, parent.id).head_version == 5
    assert _all(store, tenant, child_id)[-1].content == "child only"
    assert _all(store, tenant, child_id)[-1].version == 5


def test_fork_before_the_summary_has_no_compaction_state(
    store: Store, tenant: str, clock: FakeClock
) -> None:
    parent = make_context(store, tenant, clock)
    store.append(tenant, parent.id, [draft("a"), draft("b")], now=clock.now())
    store.record_compaction(tenant, parent.id, summary(1, 1), expected_version=2, now=clock.now())
    child = store.fork(tenant, parent.id, version=2, new_id=new_id(), name="f", now=clock.now())
    assert child.compacted_through == 0
    view = store.compaction_view(tenant, child.id)
    assert view.summary is None and [e.version for e in view.entries] == [1, 2]


def test_fork_at_zero_and_out_of_range(store: Store, tenant: str, clock: FakeClock) -> None:
    parent = make_context(store, tenant, clock)
    store.append(tenant, parent.id, [draft()], now=clock.now())
    empty = store.fork(tenant, parent.id, version=0, new_id=new_id(), name="e", now=clock.now())
    assert empty.head_version == 0 and _all(store, tenant, empty.id) == []
    for bad in (-1, 2):
        with pytest.raises(VersionOutOfRange):
            store.fork(tenant, parent.id, version=bad, new_id=new_id(), name="x", now=clock.now())


def test_list_forks_shows_live_direct_children_oldest_first(
    store: Store, tenant: str, clock: FakeClock
) -> None:
    parent = make_context(store, tenant, clock)
    store.append(tenant, parent.id, [draft(), draft()], now=clock.now())
    kids = [
        store.fork(tenant, parent.id, version=v, new_id=new_id(), name=f"k{v}", now=clock.now())
        for v in (1, 2, 0)
    ]
    grandchild = store.fork(
        tenant, kids[0].id, version=1, new_id=new_id(), name="g", now=clock.now()
    )
    store.delete_context(tenant, kids[1].id, now=clock.now())
    assert [c.id for c in store.list_forks(tenant, parent.id)] == [kids[0].id, kids[2].id]
    assert [c.id for c in store.list_forks(tenant, kids[0].id)] == [grandchild.id]
    assert store.list_forks(tenant, grandchild.id) == ()
    with pytest.raises(ContextNotFound):
        store.list_forks(tenant, kids[1].id)


# The store is shared by the examples on purpose: each one uses a fresh tenant.
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    tokens=st.lists(st.integers(1, 20), min_size=1, max_size=12),
    summary_at=st.none() | st.integers(1, 12),
    data=st.data(),
)
def test_state_at_n_of_a_fork_equals_the_parents(
    store: Store, tokens: list[int], summary_at: int | None, data: st.DataObject
) -> None:
    tenant, clock = new_id(), FakeClock()
    parent = make_context(store, tenant, clock)
    store.append(
        tenant, parent.id, [draft(f"m{i}", tokens=t) for i, t in enumerate(tokens)], now=clock.now()
    )
    if summary_at is not None and summary_at <= len(tokens):
        head = store.get_context(tenant, parent.id).head_version
        store.record_compaction(
            tenant, parent.id, summary(1, summary_at), expected_version=head, now=clock.now()
        )
    head = store.get_context(tenant, parent.id).head_version
    n = data.draw(st.integers(0, head))
    child = store.fork(tenant, parent.id, version=n, new_id=new_id(), name="f", now=clock.now())
    store.append(tenant, child.id, [draft("later")], now=clock.now())
    for v in range(n + 1):
        assert _all(store, tenant, child.id, at=v) == _all(store, tenant, parent.id, at=v)
    parent_view = [e for e in _all(store, tenant, parent.id, at=n) if e.is_summary]
    expected_through = parent_view[-1].covers.last if parent_view else 0
    assert store.get_context(tenant, child.id).compacted_through == expected_through
