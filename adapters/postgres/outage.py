"""Outages: a database that cannot be reached is StoreUnavailable (a 503), never a crash.

Two ways it shows: no pool connection within the pool's timeout (the server is down, or
every connection is busy), and a connection that breaks mid-request (a restart). Neither
left anything half-written: each statement is atomic, and a retried append with the same
Idempotency-Key settles whether the first one landed.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import psycopg
from psycopg_pool import ConnectionPool, PoolTimeout

from domain.errors import StoreUnavailable

# The cheapest statement that proves a connection reaches a live server.
PING = "SELECT 1"


def unavailable(err: Exception) -> StoreUnavailable:
    """The domain error for a pool timeout or a connection that failed."""
    if isinstance(err, PoolTimeout):
        return StoreUnavailable("no database connection became free in time; retry shortly")
    first = str(err).splitlines()[0] if str(err) else type(err).__name__
    return StoreUnavailable(f"the database is unavailable ({first}); retry shortly")


@contextlib.contextmanager
def reachable() -> Iterator[None]:
    """Turn pool timeouts and connection failures inside the block into StoreUnavailable."""
    try:
        yield
    except (PoolTimeout, psycopg.OperationalError) as err:
        raise unavailable(err) from None


def ping(pool: ConnectionPool, *, timeout: float | None = None) -> None:
    """Return when a pooled connection answers; raise StoreUnavailable otherwise."""
    with reachable(), pool.connection(timeout=timeout) as conn:
        conn.execute(PING)
