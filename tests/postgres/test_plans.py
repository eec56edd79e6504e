"""The plans behind the flat-cost promises: index seeks, never a scan of the history."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import psycopg

from adapters.postgres import queries
from adapters.postgres.store import PostgresStore
from tests.contract.support import draft
from tests.postgres.conftest import Loader, explain

HISTORY = 20_000


def test_the_window_seeks_the_running_sum_backwards(
    postgres_store: PostgresStore, tenant: str, load_history: Loader
) -> None:
    cid = load_history(tenant, HISTORY)
    params = {"tenant": tenant, "id": cid, "tail": 8000, "at": None, "summaries": True}
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


def _fork_chain(store: PostgresStore, tenant: str, cid: str, depth: int) -> str:
    """Fork `depth` times, 10 versions back each time, appending 5 entries to each fork."""
    now = datetime.now(UTC)
    for i in range(depth):
        head = store.get_context(tenant, cid).head_version
        cid = store.fork(tenant, cid, version=head - 10, new_id=str(uuid.uuid4()),
                         name=f"f{i}", now=now).id
        store.append(tenant, cid, [draft(f"fork {i} entry {j}", tokens=50) for j in range(5)],
                     now=now)
    return cid


def test_a_fork_copies_no_row_and_its_window_seeks_each_segment(
    postgres_store: PostgresStore, postgres_url: str, tenant: str, load_history: Loader
) -> None:
    root = load_history(tenant, HISTORY)
    leaf = _fork_chain(postgres_store, tenant, root, depth=5)
    with psycopg.connect(postgres_url) as owner:
        stored = owner.execute(
            "SELECT count(*) FROM context_versions WHERE tenant_id = %s AND context_id <> %s",
            (tenant, root),
        ).fetchone()
    with postgres_store.pool.connection() as conn, conn.transaction():
        # As the store runs it: as the app role, its tenant named for row-level security.
        conn.execute("SELECT set_config('kata.tenant_id', %s, true)", (tenant,))
        base = {"tenant": tenant, "id": leaf, "tail": 8000, "summaries": True}
        plan = explain(conn, queries.WINDOW, {**base, "at": None})
        at_plan = explain(conn, queries.WINDOW_THEN, {**base, "at": HISTORY - 30})
    # Only the forks' own appends are stored: 5 each.
    assert stored is not None and stored[0] == 5 * 5
    for p in (plan, at_plan):
        assert "context_versions_tail" in p, p
        assert "Seq Scan on context_versions" not in p, p
    assert "context_versions_summaries" in at_plan, at_plan
    window = postgres_store.window_candidates(tenant, leaf, tail_tokens=8000)
    assert len(window.tail) == 160 and window.head_version == HISTORY - 50 + 25
