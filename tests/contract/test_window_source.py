"""The window source (ports.window_source): pins, the newest summary and the tail that
fits, with the policy of the same state."""

from __future__ import annotations

from domain.model import ContextChanges, Policy, Role
from entrypoints.engine import Store
from tests.conftest import FakeClock
from tests.contract.support import draft, make_context


def test_tail_is_the_newest_suffix_that_fits(
    store: Store, tenant: str, clock: FakeClock
) -> None:
    ctx = make_context(store, tenant, clock)
    tokens = [5, 3, 8, 2, 4]
    store.append(tenant, ctx.id, [draft(f"m{t}", tokens=t) for t in tokens], now=clock.now())
    cases = {
        0: [],
        3: [],
        4: [5],
        5: [5],
        6: [4, 5],
        13: [4, 5],
        14: [3, 4, 5],
        16: [3, 4, 5],
        17: [2, 3, 4, 5],
        21: [2, 3, 4, 5],
        22: [1, 2, 3, 4, 5],
    }
    for budget, versions in cases.items():
        got = store.window_candidates(tenant, ctx.id, tail_tokens=budget)
        assert [e.version for e in got.tail] == versions, budget
        assert got.head_version == 5 and got.compacted_through == 0
        assert got.pins == () and got.summary is None
    everything = store.window_candidates(tenant, ctx.id, tail_tokens=10_000)
    assert [e.version for e in everything.tail] == [1, 2, 3, 4, 5]


def test_candidates_carry_the_policy_of_the_same_state(
    store: Store, tenant: str, clock: FakeClock
) -> None:
    policy = Policy(budget=900, reserve=100, keep_recent=3)
    ctx = make_context(store, tenant, clock, policy=policy)
    assert store.window_candidates(tenant, ctx.id, tail_tokens=10).policy == policy
    changed = Policy(budget=500, reserve=0, enabled=True)
    store.update_context(tenant, ctx.id, ContextChanges(policy=changed), now=clock.now())
    store.append(tenant, ctx.id, [draft("a", tokens=4)], now=clock.now())
    got = store.window_candidates(tenant, ctx.id, tail_tokens=10)
    assert got.policy == changed and got.head_version == 1


def test_pins_are_kept_apart_and_never_cost_tail_tokens(
    store: Store, tenant: str, clock: FakeClock
) -> None:
    ctx = make_context(store, tenant, clock)
    store.append(
        tenant,
        ctx.id,
        [
            draft("sys", role=Role.SYSTEM, tokens=50),
            draft("a", tokens=4),
            draft("pinned", tokens=60, pinned=True),
            draft("b", tokens=4),
            draft("c", tokens=4),
        ],
        now=clock.now(),
    )
    got = store.window_candidates(tenant, ctx.id, tail_tokens=8)
    assert [e.version for e in got.pins] == [1, 3]
    assert [e.version for e in got.tail] == [4, 5]
    assert [e.version for e in store.window_candidates(tenant, ctx.id, tail_tokens=12).tail] == [
        2,
        4,
        5,
    ]
