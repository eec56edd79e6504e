"""The plans behind the flat-cost promises: index seeks, never a scan of the history."""

from __future__ import annotations

from adapters.postgres import queries
from adapters.postgres.store import PostgresStore
from tests.postgres.conftest import Loader, explain

HISTORY = 20_000


def test_the_window_seeks_the_running_sum_backwards(
    postgres_store: PostgresStore, tenant: str, load_history: Loader
) -> None:
    cid = load_history(tenant, HISTORY)
    params = {"tenant": tenant, "id": cid, "tail": 8000}
    with postgres_store.pool.connection() as conn:
        plan = explain(conn, queries.WINDOW, params)
    # Backward (ordered, stops at the limit) or a bitmap over the bound: either reads only
    # the index range at the top of the running sum.
    assert "using context_versions_tail" in plan.replace("Bitmap Index Scan on", "using"), plan
    assert "context_versions_pins" in plan, plan
    assert "Seq Scan on context_versions" not in plan, plan
    window = postgres_store.window_candidates(tenant, cid, tail_tokens=8000)
    assert [e.version for e in window.tail] == list(range(HISTORY - 159, HISTORY + 1))


def test_paging_and_time_travel_seek_the_primary_key(
    postgres_store: PostgresStore, tenant: str, load_history: Loader
) -> None:
    cid = load_history(tenant, HISTORY)
    params = {"tenant": tenant, "id": cid, "after": 15_000, "at": 16_000, "limit": 100}
    with postgres_store.pool.connection() as conn:
        plan = explain(conn, queries.READ_ENTRIES, params)
    assert "context_versions_pkey" in plan, plan
    assert "Seq Scan on context_versions" not in plan, plan


def test_context_pages_and_forks_seek_their_indexes(
    postgres_store: PostgresStore, tenant: str
) -> None:
    with postgres_store.pool.connection() as conn:
        pages = explain(
            conn,
            queries.LIST_CONTEXTS,
            {"tenant": tenant, "after_at": None, "after_id": None, "limit": 51},
        )
        forks = explain(conn, queries.LIST_FORKS, {"tenant": tenant, "id": "x"})
        conn.execute("SET enable_seqscan = off")  # tiny table: only the index choice matters
        pages_forced = explain(
            conn,
            queries.LIST_CONTEXTS,
            {"tenant": tenant, "after_at": None, "after_id": None, "limit": 51},
        )
        forks_forced = explain(conn, queries.LIST_FORKS, {"tenant": tenant, "id": "x"})
        conn.execute("RESET enable_seqscan")
    assert "contexts_live_order" in pages_forced, pages
    assert "contexts_forks" in forks_forced, forks
