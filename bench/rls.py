"""What row-level security costs, alternating A B A B in the same run on one database.

1. Append and window through the store as the owner (a superuser: the policies do not
   apply) against the app role (they do). Both send each statement with its tenant
   setting, so this is the cost of the policies themselves.
2. The setting's own cost: one statement (GET_CONTEXT) sent alone against sent with
   set_config in one pipeline (adapters/postgres/tenancy.statement).
"""

from __future__ import annotations

import statistics
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from adapters.postgres import queries, tenancy
from adapters.postgres.store import PostgresStore
from bench._common import emit, log, sized
from bench._postgres import fresh_database, open_store
from domain.model import Context, EntryDraft, Policy, Role, TokenSource
from migrations.roles import app_url, grant_app_role

ROUNDS = sized(20, 2)
PER_ROUND = sized(200, 5)
BATCH = 10
ROLE = "kata_bench_app"
NOW = datetime(2026, 1, 1, tzinfo=UTC)


def _drafts() -> list[EntryDraft]:
    return [
        EntryDraft(
            role=Role.USER if i % 2 else Role.ASSISTANT,
            content=f"message {i} about the order",
            token_count=50,
            token_source=TokenSource.CLIENT,
        )
        for i in range(BATCH)
    ]


def _context(store: PostgresStore, tenant: str) -> str:
    cid = str(uuid.uuid4())
    store.create_context(
        Context(id=cid, tenant_id=tenant, name="b", policy=Policy(), created_at=NOW, updated_at=NOW)
    )
    return cid


def _timed(fn: Callable[[], object], n: int) -> list[float]:
    out = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def _setting_cost(store: PostgresStore, tenant: str, cid: str) -> dict[str, list[float]]:
    params = {"tenant": tenant, "id": cid}
    out: dict[str, list[float]] = {"owner": [], "rls": []}
    with store.pool.connection() as conn, conn.cursor() as cur:

        def alone() -> None:
            cur.execute(queries.GET_CONTEXT, params).fetchall()

        def with_setting() -> None:
            tenancy.statement(cur, tenancy.TENANT_SETTING, tenant, queries.GET_CONTEXT, params)
            cur.fetchall()

        for _ in range(ROUNDS):
            out["owner"] += _timed(alone, PER_ROUND)
            out["rls"] += _timed(with_setting, PER_ROUND)
    return {"alone": out["owner"], "with_setting": out["rls"]}


def main() -> None:
    """Print append and window p50 for each role, the owner's as the baseline."""
    with fresh_database() as url:
        grant_app_role(url, role=ROLE)
        with open_store(url) as owner, open_store(app_url(url, role=ROLE)) as app:
            stores = {"owner": owner, "rls": app}
            tenant = f"bench-{uuid.uuid4()}"
            cids = {name: _context(s, tenant) for name, s in stores.items()}
            drafts = _drafts()
            appends: dict[str, list[float]] = {"owner": [], "rls": []}
            windows: dict[str, list[float]] = {"owner": [], "rls": []}
            for _ in range(ROUNDS):
                for name, store in stores.items():  # A B A B
                    cid = cids[name]
                    appends[name] += _timed(
                        lambda s=store, c=cid: s.append(tenant, c, drafts, now=NOW), PER_ROUND
                    )
                    windows[name] += _timed(
                        lambda s=store, c=cid: s.window_candidates(tenant, c, tail_tokens=8000),
                        PER_ROUND,
                    )
            setting = _setting_cost(owner, tenant, cids["owner"])
            log(f"rls: {ROUNDS} rounds of {PER_ROUND} appends of {BATCH} and windows per role")
            for what, times in (("append", appends), ("window", windows), ("statement", setting)):
                (a, a_times), (b, b_times) = times.items()
                base = statistics.median(a_times) * 1000
                emit(f"rls_{what}_{a}_p50", len(a_times), base, "ms")
                emit(
                    f"rls_{what}_{b}_p50",
                    len(b_times),
                    statistics.median(b_times) * 1000,
                    "ms",
                    baseline=f"rls_{what}_{a}_p50",
                    baseline_value=base,
                )


if __name__ == "__main__":
    main()
