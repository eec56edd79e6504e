"""Contexts (ports.contexts): create, read, list with cursors, update, soft delete,
tenant isolation."""

from __future__ import annotations

import re

import pytest

from domain.errors import ContextNotFound, InvalidInput
from domain.model import ContextChanges, Policy
from entrypoints.engine import Store
from tests.conftest import FakeClock
from tests.contract.support import draft, make_context, new_id


def test_create_then_get_returns_the_same_empty_context(
    store: Store, tenant: str, clock: FakeClock
) -> None:
    policy = Policy(budget=4000, reserve=100, keep_recent=3, enabled=True)
    created = make_context(store, tenant, clock, name="alpha", policy=policy, metadata={"a": [1]})
    got = store.get_context(tenant, created.id)
    assert got == created
    assert (got.head_version, got.token_total, got.compacted_through) == (0, 0, 0)
    assert got.policy == policy
    assert got.metadata == {"a": [1]}
    assert got.parent_id is None and got.fork_version is None and got.deleted_at is None


def test_unknown_context_is_not_found(store: Store, tenant: str) -> None:
    missing = new_id()
    with pytest.raises(ContextNotFound) as err:
        store.get_context(tenant, missing)
    assert err.value.context_id == missing


def test_other_tenants_context_answers_like_a_missing_one(
    store: Store, tenant: str, clock: FakeClock
) -> None:
    ctx = make_context(store, tenant, clock)
    store.append(tenant, ctx.id, [draft()], now=clock.now())
    other = new_id()
    calls = [
        lambda: store.get_context(other, ctx.id),
        lambda: store.append(other, ctx.id, [draft()], now=clock.now()),
        lambda: store.read_entries(other, ctx.id),
        lambda: store.read_versions(other, ctx.id, [1]),
        lambda: store.window_candidates(other, ctx.id, tail_tokens=100),
        lambda: store.compaction_view(other, ctx.id),
        lambda: store.rank_relevant(other, ctx.id, text="hello", embedding=None, k=3),
        lambda: store.update_context(other, ctx.id, ContextChanges(name="x"), now=clock.now()),
        lambda: store.fork(other, ctx.id, version=1, new_id=new_id(), name="f", now=clock.now()),
        lambda: store.list_forks(other, ctx.id),
        lambda: store.delete_context(other, ctx.id, now=clock.now()),
    ]
    for call in calls:
        with pytest.raises(ContextNotFound):
            call()
    assert store.list_contexts(other, limit=10).items == ()
    # Nothing the other tenant tried changed the owner's context.
    assert store.get_context(tenant, ctx.id).head_version == 1
    assert store.get_context(tenant, ctx.id).name == "ctx"


def test_list_pages_through_live_contexts_in_creation_order(
    store: Store, tenant: str, clock: FakeClock
) -> None:
    made = [make_context(store, tenant, clock, name=f"c{i}") for i in range(7)]
    make_context(store, new_id(), clock, name="someone else's")
    store.delete_context(tenant, made[3].id, now=clock.now())
    seen = []
    cursor = None
    pages = 0
    while True:
        page = store.list_contexts(tenant, limit=2, cursor=cursor)
        pages += 1
        seen.extend(page.items)
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert [c.id for c in seen] == [c.id for i, c in enumerate(made) if i != 3]
    assert pages == 3


def test_list_exact_multiple_of_limit_ends_without_cursor(
    store: Store, tenant: str, clock: FakeClock
) -> None:
    made = [make_context(store, tenant, clock) for _ in range(4)]
    first = store.list_contexts(tenant, limit=2)
    assert first.next_cursor is not None
    second = store.list_contexts(tenant, limit=2, cursor=first.next_cursor)
    assert [c.id for c in first.items + second.items] == [c.id for c in made]
    assert second.next_cursor is None
    everything = store.list_contexts(tenant, limit=4)
    assert everything.next_cursor is None and len(everything.items) == 4


def test_cursors_travel_in_a_url_as_they_are(
    store: Store, tenant: str, clock: FakeClock
) -> None:
    for _ in range(3):
        make_context(store, tenant, clock)
    cursor = store.list_contexts(tenant, limit=1).next_cursor
    assert cursor is not None and re.fullmatch(r"[A-Za-z0-9_-]+", cursor)
    for bad in ("not-a-cursor", cursor[:-3], "", "|"):
        with pytest.raises(InvalidInput):
            store.list_contexts(tenant, limit=1, cursor=bad)


def test_update_replaces_given_fields_and_bumps_updated_at(
    store: Store, tenant: str, clock: FakeClock
) -> None:
    ctx = make_context(store, tenant, clock, name="before", metadata={"k": 1})
    now = clock.now()
    renamed = store.update_context(tenant, ctx.id, ContextChanges(name="after"), now=now)
    assert renamed.name == "after"
    assert renamed.metadata == {"k": 1} and renamed.policy == ctx.policy
    assert renamed.updated_at == now and renamed.created_at == ctx.created_at
    policy = Policy(budget=1234, keep_recent=2)
    later = clock.now()
    changed = store.update_context(
        tenant, ctx.id, ContextChanges(metadata={"n": {"x": True}}, policy=policy), now=later
    )
    assert changed.name == "after"
    assert changed.metadata == {"n": {"x": True}}
    assert changed.policy == policy
    assert changed.updated_at == later
    assert store.get_context(tenant, ctx.id) == changed


def test_soft_deleted_context_answers_as_missing_everywhere(
    store: Store, tenant: str, clock: FakeClock
) -> None:
    ctx = make_context(store, tenant, clock)
    store.append(tenant, ctx.id, [draft(embedding=None)], now=clock.now())
    store.delete_context(tenant, ctx.id, now=clock.now())
    with pytest.raises(ContextNotFound):
        store.get_context(tenant, ctx.id)
    with pytest.raises(ContextNotFound):
        store.read_entries(tenant, ctx.id)
    with pytest.raises(ContextNotFound):
        store.append(tenant, ctx.id, [draft()], now=clock.now())
    with pytest.raises(ContextNotFound):
        store.fork(tenant, ctx.id, version=1, new_id=new_id(), name="f", now=clock.now())
    with pytest.raises(ContextNotFound):
        store.delete_context(tenant, ctx.id, now=clock.now())
    assert ctx.id not in [c.id for c in store.list_contexts(tenant, limit=10).items]
