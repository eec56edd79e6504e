"""The connection pool: built here, opened explicitly by its owner, never at import.

Prepared statements: connections are made with `prepare_threshold=None` by default, so
psycopg never creates named server-side prepared statements. Every query then goes through
the extended protocol's unnamed statement, which is safe behind a transaction-mode pooler
(PgBouncer, Neon's pooled endpoint, Supavisor): a named statement prepared on one server
connection would be missing on the next. The cost is re-planning each query (tens of
microseconds for ours) and it buys a plan made for the actual parameter values, which the
window and search queries benefit from. A deployment talking to PostgreSQL directly may pass
`prepare=True` to get psycopg's default (prepare after 5 executions).

pgvector's `vector` type (adapters/postgres/vectors.py, without the pgvector package) and
a faster JSON parser are registered in the pool's `configure` callback, once per new
connection, so every connection the pool hands out speaks `vector`.
"""

from __future__ import annotations

from typing import Any

import msgspec
import psycopg
from psycopg.types.json import set_json_loads
from psycopg_pool import ConnectionPool

from adapters.postgres.vectors import register_vectors

# psycopg's own default when preparing is allowed.
PREPARE_AFTER = 5
# How long a request waits for a free connection before it is told the store is
# unavailable (psycopg_pool's own default, 30 s, holds a worker that long per request).
DEFAULT_TIMEOUT = 5.0


def configure(conn: psycopg.Connection[Any]) -> None:
    """Make a new connection ready: pgvector's types, msgspec to parse JSON columns, and
    the session in UTC."""
    # Binary vector columns are decoded only when read (adapters/postgres/vectors.py).
    register_vectors(conn)
    # Windows decode JSON for every entry they return; msgspec does it about twice as fast.
    set_json_loads(msgspec.json.decode, conn)
    # The domain speaks UTC. With the session's zone named UTC, psycopg returns timestamps
    # in datetime.UTC itself, so no row needs converting (the embedded server says
    # Etc/UTC: 0.3 us a row, 160 a window); and interval arithmetic in SQL follows no
    # daylight saving, as the memory store's timedelta does not. A transaction-mode
    # pooler keeps it: PgBouncer tracks TimeZone per client.
    conn.execute("SET TIME ZONE 'UTC'")


def connection_kwargs(*, prepare: bool = False) -> dict[str, Any]:
    """What every connection is opened with: autocommit (each statement is atomic)."""
    return {"autocommit": True, "prepare_threshold": PREPARE_AFTER if prepare else None}


def build_pool(
    url: str,
    *,
    min_size: int = 1,
    max_size: int = 4,
    max_idle: float = 60.0,
    prepare: bool = False,
    timeout: float = DEFAULT_TIMEOUT,
    name: str = "kata-context",
) -> ConnectionPool:
    """A closed pool: open it with `pool.open(wait=True)` (or `with pool:`) in a lifespan.

    Serverless deployments keep `max_size` small and `max_idle` short: many instances
    share one database's connection limit. `timeout` bounds the wait for a connection
    (then PoolTimeout, which the stores answer as StoreUnavailable); the pool keeps trying
    to reconnect in the background, so service resumes when the database returns.
    """
    return ConnectionPool(
        url,
        min_size=min_size,
        max_size=max_size,
        max_idle=max_idle,
        kwargs=connection_kwargs(prepare=prepare),
        configure=configure,
        timeout=timeout,
        open=False,
        name=name,
    )
