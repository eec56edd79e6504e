"""Search (ports.search): similarity search within a tenant."""

from __future__ import annotations

import math

import pytest

from domain.errors import ContextNotFound, InvalidInput
from entrypoints.engine import Store
from tests.conftest import FakeClock
from tests.contract.support import draft, make_context, new_id, summary, vec


def test_search_ranks_by_cosine_within_the_tenant(
    store: Store, tenant: str, clock: FakeClock
) -> None:
    one = make_context(store, tenant, clock)
    two = make_context(store, tenant, clock)
    gone = make_context(store, tenant, clock)
    stranger = new_id()
    theirs = make_context(store, stranger, clock)
    store.append(
        tenant,
        one.id,
        [draft("east", embedding=vec(1, 0)), draft("none"), draft("north", embedding=vec(0, 1))],
        now=clock.now(),
    )
    store.append(tenant, two.id, [draft("north-east", embedding=vec(1, 1))], now=clock.now())
    store.append(tenant, gone.id, [draft("deleted east", embedding=vec(1, 0))], now=clock.now())
    store.delete_context(tenant, gone.id, now=clock.now())
    store.append(stranger, theirs.id, [draft("their east", embedding=vec(1, 0))], now=clock.now())

    hits = store.search(tenant, vec(1, 0), k=10)
    assert [(h.context_id, h.entry.content) for h in hits] == [
        (one.id, "east"),
        (two.id, "north-east"),
        (one.id, "north"),
    ]
    assert [h.score for h in hits] == pytest.approx([1.0, math.sqrt(0.5), 0.0], abs=1e-6)
    assert [h.entry.content for h in store.search(tenant, vec(1, 0), k=2)] == [
        "east",
        "north-east",
    ]
    scoped = store.search(tenant, vec(1, 0), k=10, context_id=two.id)
    assert [(h.context_id, h.entry.version) for h in scoped] == [(two.id, 1)]
    assert [h.entry.content for h in store.search(stranger, vec(1, 0), k=10)] == ["their east"]
    for hidden in (gone.id, theirs.id, new_id()):
        with pytest.raises(ContextNotFound):
            store.search(tenant, vec(1, 0), k=10, context_id=hidden)


def test_search_covers_the_whole_history(
    store: Store, tenant: str, clock: FakeClock
) -> None:
    ctx = make_context(store, tenant, clock)
    store.append(
        tenant,
        ctx.id,
        [
            draft("pinned", pinned=True, embedding=vec(1, 0, 0)),
            draft("old", embedding=vec(0, 1, 0)),
            draft("new", embedding=vec(0, 0, 1)),
        ],
        now=clock.now(),
    )
    store.record_compaction(tenant, ctx.id, summary(1, 2), expected_version=3, now=clock.now())
    for query, content in ((vec(1, 0, 0), "pinned"), (vec(0, 1, 0), "old"), (vec(0, 0, 1), "new")):
        assert store.search(tenant, query, k=1, context_id=ctx.id)[0].entry.content == content


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_a_non_finite_embedding_is_refused_alike_and_nothing_is_written(
    store: Store, tenant: str, clock: FakeClock, bad: float
) -> None:
    # NaN and the infinities have no cosine; PostgreSQL cannot store them, so neither
    # store takes one (domain.model.check_embedding), stored or asked with.
    ctx = make_context(store, tenant, clock)
    store.append(tenant, ctx.id, [draft("kept", embedding=vec(1, 0))], now=clock.now())
    with pytest.raises(InvalidInput, match="non-finite"):
        store.append(tenant, ctx.id, [draft("a"), draft("b", embedding=vec(1, bad))],
                     now=clock.now())  # fmt: skip
    assert store.get_context(tenant, ctx.id).head_version == 1
    with pytest.raises(InvalidInput, match="non-finite"):
        store.search(tenant, vec(bad, 1), k=1)
    with pytest.raises(InvalidInput, match="non-finite"):
        store.rank_relevant(tenant, ctx.id, text=None, embedding=vec(1, bad), k=1)
    [hit] = store.search(tenant, vec(1, 0), k=1)
    assert hit.entry.content == "kept"
