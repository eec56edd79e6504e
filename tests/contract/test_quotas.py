"""Per-tenant quotas (domain/quota.py): both stores refuse, whole, the append that would
pass a limit, count the same things, and never let concurrent appends go past it."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.memory.store import MemoryStore
from adapters.postgres.store import PostgresStore
from domain import quota
from domain.errors import QuotaExceeded
from domain.quota import Quota, Usage
from entrypoints.engine import Store
from tests.conftest import FakeClock
from tests.contract.support import draft, make_context, summary

QuotaStore = Callable[[Quota], Store]


@pytest.fixture(params=["memory", "postgres"])
def with_quota(request: pytest.FixtureRequest) -> QuotaStore:
    """A store of each adapter under a given quota (Postgres: the session's database)."""
    if request.param == "postgres":
        pool = request.getfixturevalue("postgres_store").pool
        return lambda q: PostgresStore(pool, quota=q)
    return lambda q: MemoryStore(quota=q)


def test_the_append_past_the_entry_limit_is_refused_whole(
    with_quota: QuotaStore, tenant: str, clock: FakeClock
) -> None:
    store = with_quota(Quota(max_entries=5))
    ctx = make_context(store, tenant, clock)
    store.append(tenant, ctx.id, [draft("a"), draft("b"), draft("c")], now=clock.now())
    with pytest.raises(QuotaExceeded) as refused:
        store.append(tenant, ctx.id, [draft("d"), draft("e"), draft("f")], now=clock.now())
    err = refused.value
    assert (err.resource, err.limit, err.used, err.requested) == ("entries", 5, 3, 3)
    assert store.get_context(tenant, ctx.id).head_version == 3  # nothing written
    # Up to the limit exactly, across contexts of the tenant; other tenants are apart.
    other_ctx = make_context(store, tenant, clock)
    store.append(tenant, other_ctx.id, [draft("d"), draft("e")], now=clock.now())
    with pytest.raises(QuotaExceeded):
        store.append(tenant, ctx.id, [draft("g")], now=clock.now())
    stranger = str(uuid.uuid4())
    theirs = make_context(store, stranger, clock)
    store.append(stranger, theirs.id, [draft(str(i)) for i in range(5)], now=clock.now())


def test_bytes_count_the_texts_utf8_and_summaries_count_nothing(
    with_quota: QuotaStore, tenant: str, clock: FakeClock
) -> None:
    store = with_quota(Quota(max_bytes=10))
    ctx = make_context(store, tenant, clock)
    store.append(tenant, ctx.id, [draft("héllo")], now=clock.now())  # 6 bytes
    with pytest.raises(QuotaExceeded) as refused:
        store.append(tenant, ctx.id, [draft("12345")], now=clock.now())
    assert (refused.value.resource, refused.value.used, refused.value.requested) == (
        "bytes",
        6,
        5,
    )
    store.append(tenant, ctx.id, [draft("1234")], now=clock.now())
    # At the limit, a compaction summary is still stored: it frees the window, not space.
    store.record_compaction(
        tenant, ctx.id, summary(1, 1, text="a long summary"), expected_version=2, now=clock.now()
    )
    assert store.get_context(tenant, ctx.id).head_version == 3


def test_replays_and_refused_appends_count_nothing(
    with_quota: QuotaStore, tenant: str, clock: FakeClock
) -> None:
    store = with_quota(Quota(max_entries=2))
    ctx = make_context(store, tenant, clock)
    first = store.append(tenant, ctx.id, [draft("a")], now=clock.now(), idempotency_key="k")
    again = store.append(tenant, ctx.id, [draft("a")], now=clock.now(), idempotency_key="k")
    assert again.replayed and again.first_version == first.first_version
    with pytest.raises(QuotaExceeded):
        store.append(tenant, ctx.id, [draft("b"), draft("c")], now=clock.now())
    store.append(tenant, ctx.id, [draft("b")], now=clock.now())
    # At the limit, a replay of a stored batch still answers.
    assert store.append(tenant, ctx.id, [draft("a")], now=clock.now(), idempotency_key="k").replayed


def test_without_a_quota_nothing_is_limited(
    with_quota: QuotaStore, tenant: str, clock: FakeClock
) -> None:
    store = with_quota(Quota())
    ctx = make_context(store, tenant, clock)
    store.append(tenant, ctx.id, [draft(str(i)) for i in range(50)], now=clock.now())
    assert store.get_context(tenant, ctx.id).head_version == 50


def test_concurrent_appends_never_pass_the_limit(
    with_quota: QuotaStore, tenant: str, clock: FakeClock
) -> None:
    store = with_quota(Quota(max_entries=7))
    contexts = [make_context(store, tenant, clock).id for _ in range(4)]
    barrier = threading.Barrier(8)
    stored: list[int] = []
    refused: list[QuotaExceeded] = []

    def write(cid: str) -> None:
        barrier.wait()
        for _ in range(3):
            try:
                stored.append(store.append(tenant, cid, [draft("x")], now=clock.now()).head_version)
            except QuotaExceeded as err:
                refused.append(err)

    threads = [threading.Thread(target=write, args=(contexts[i % 4],)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(stored) == 7 and len(refused) == 24 - 7
    assert sum(store.get_context(tenant, c).head_version for c in contexts) == 7
    assert all(e.used + e.requested > e.limit for e in refused)


@given(used=st.integers(0, 50), entries=st.integers(0, 50), limit=st.integers(1, 50))
def test_check_refuses_exactly_past_the_limit(used: int, entries: int, limit: int) -> None:
    q = Quota(max_entries=limit)
    fits = used + entries <= limit
    try:
        quota.check(q, Usage(entries=used), Usage(entries=entries))
    except QuotaExceeded:
        assert not fits
    else:
        assert fits
