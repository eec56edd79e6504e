"""Partial policy updates: the store merges the fields under its lock, all or nothing."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest

from domain.errors import ContextNotFound, InvalidInput
from domain.model import ContextChanges, Policy
from entrypoints.engine import Store
from tests.conftest import FakeClock
from tests.contract.support import make_context, new_id

ROUNDS = 25
# Each writer owns one field; every value it writes keeps the policy valid.
WRITERS: dict[str, Callable[[int], Any]] = {
    "budget": lambda i: 9000 + i,
    "reserve": lambda i: i,
    "threshold": lambda i: 0.5 + i / 100,
    "keep_recent": lambda i: i,
    "relevant_share": lambda i: i / 100,
    "neighbours": lambda i: i % 5,
    "enabled": lambda i: i % 2 == 0,
}


def test_concurrent_updates_of_different_policy_fields_all_survive(
    store: Store, tenant: str, clock: FakeClock
) -> None:
    ctx = make_context(store, tenant, clock)
    start = threading.Barrier(len(WRITERS))
    errors: list[BaseException] = []

    def writer(field: str, value: Callable[[int], Any]) -> None:
        start.wait()
        try:
            for i in range(ROUNDS):
                changes = ContextChanges(policy_fields={field: value(i)})
                store.update_context(tenant, ctx.id, changes, now=clock.now())
        except BaseException as exc:  # surfaced in the main thread below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=item) for item in WRITERS.items()]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    got = store.get_context(tenant, ctx.id).policy
    assert {f: getattr(got, f) for f in WRITERS} == {f: v(ROUNDS - 1) for f, v in WRITERS.items()}
    assert (got.encoding, got.summary_tokens) == ("cl100k_base", None)


def test_policy_fields_change_the_stored_policy_not_the_defaults(
    store: Store, tenant: str, clock: FakeClock
) -> None:
    ctx = make_context(store, tenant, clock, policy=Policy(budget=4000, keep_recent=3))
    got = store.update_context(
        tenant, ctx.id, ContextChanges(policy_fields={"reserve": 10}), now=clock.now()
    )
    assert got.policy == Policy(budget=4000, keep_recent=3, reserve=10)
    assert store.get_context(tenant, ctx.id) == got


def test_a_merged_policy_that_breaks_a_rule_is_refused_and_nothing_changes(
    store: Store, tenant: str, clock: FakeClock
) -> None:
    ctx = make_context(store, tenant, clock, policy=Policy(budget=1000, reserve=100))
    changes = ContextChanges(name="renamed", metadata={"a": 1}, policy_fields={"reserve": 1000})
    with pytest.raises(InvalidInput, match="reserve must be at least 0 and below the budget"):
        store.update_context(tenant, ctx.id, changes, now=clock.now())
    assert store.get_context(tenant, ctx.id) == ctx


def test_a_whole_policy_then_fields_replaces_then_changes(
    store: Store, tenant: str, clock: FakeClock
) -> None:
    ctx = make_context(store, tenant, clock, policy=Policy(budget=4000, keep_recent=3))
    changes = ContextChanges(policy=Policy(budget=2000), policy_fields={"enabled": True})
    got = store.update_context(tenant, ctx.id, changes, now=clock.now())
    assert got.policy == Policy(budget=2000, enabled=True)


def test_policy_fields_of_another_tenants_context_answer_not_found(
    store: Store, tenant: str, clock: FakeClock
) -> None:
    ctx = make_context(store, tenant, clock)
    changes = ContextChanges(policy_fields={"budget": 10})
    for who, cid in ((new_id(), ctx.id), (tenant, new_id())):
        with pytest.raises(ContextNotFound):
            store.update_context(who, cid, changes, now=clock.now())
    assert store.get_context(tenant, ctx.id) == ctx


def test_unknown_policy_fields_are_refused() -> None:
    with pytest.raises(InvalidInput, match="not policy fields: budgett"):
        ContextChanges(policy_fields={"budgett": 10})
