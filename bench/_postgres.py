"""What the Postgres benches share: a fresh migrated database and an open store.

DATABASE_URL when set (a database is created on it when the role may), else the embedded
server in a temporary folder, removed afterwards.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from adapters.postgres.embedded import start
from adapters.postgres.pool import build_pool
from adapters.postgres.store import PostgresStore
from migrations import DEFAULT_DIMENSION, migrate


@contextlib.contextmanager
def server_url() -> Iterator[str]:
    """An admin URL: DATABASE_URL, or a throwaway embedded server."""
    given = os.environ.get("DATABASE_URL")
    if given:
        yield given
        return
    with tempfile.TemporaryDirectory(prefix="kata-bench-") as folder:
        server = start(Path(folder) / "data", delete_on_stop=True)
        try:
            yield server.url
        finally:
            server.stop()


@contextlib.contextmanager
def fresh_database(dimension: int = DEFAULT_DIMENSION) -> Iterator[str]:
    """The URL of a new database, migrated, dropped afterwards."""
    with server_url() as admin:
        name = f"kata_bench_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        params = conninfo_to_dict(admin)
        params["dbname"] = name
        url = make_conninfo("", **params)
        try:
            migrate(url, dimension=dimension)
            yield url
        finally:
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
                )


@contextlib.contextmanager
def open_store(
    url: str, *, max_size: int = 4, prepare: bool = False
) -> Iterator[PostgresStore]:
    """A PostgresStore over an open pool (closed afterwards); `prepare` as `serve` runs
    its embedded server (statements prepared after a few runs)."""
    pool = build_pool(url, min_size=1, max_size=max_size, prepare=prepare)
    with pool:
        pool.wait(timeout=30)
        yield PostgresStore(pool)
