"""Pytest plugin: a real PostgreSQL for the session, a fresh migrated database on it.

Registered from tests/conftest.py. Nothing starts unless a test asks for one of these
fixtures, so memory-only runs never pay for a server.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from psycopg_pool import ConnectionPool

from adapters.postgres.keys import PostgresKeyStore
from adapters.postgres.pool import build_pool
from adapters.postgres.store import PostgresStore
from migrations import DEFAULT_DIMENSION, migrate
from tests.support.database import Server, resolve_server

StoreFactory = Callable[[int], tuple[PostgresStore, PostgresKeyStore]]


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[Server]:
    """The session's server: DATABASE_URL, testcontainers, or embedded (fails loudly)."""
    try:
        server = resolve_server()
    except Exception as err:
        pytest.fail(f"no PostgreSQL for the tests ({type(err).__name__}: {err})", pytrace=False)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def postgres_stores(postgres_server: Server) -> Iterator[StoreFactory]:
    """Stores over a fresh migrated database per embedding dimension, made on demand."""
    made: dict[int, tuple[PostgresStore, PostgresKeyStore]] = {}
    pools: list[tuple[ConnectionPool, str]] = []

    def get(dimension: int = DEFAULT_DIMENSION) -> tuple[PostgresStore, PostgresKeyStore]:
        if dimension not in made:
            url = postgres_server.create_database()
            migrate(url, dimension=dimension)
            pool = build_pool(url, min_size=1, max_size=8)
            pool.open(wait=True, timeout=30)
            pools.append((pool, url))
            made[dimension] = (PostgresStore(pool), PostgresKeyStore(pool))
        return made[dimension]

    yield get
    for pool, url in pools:
        pool.close()
        postgres_server.drop_database(url)


@pytest.fixture(scope="session")
def postgres_url(postgres_stores: StoreFactory, postgres_server: Server) -> str:
    """URL of the session's migrated database (embedding dimension 1536)."""
    store, _ = postgres_stores(DEFAULT_DIMENSION)
    return str(store.pool.conninfo)


@pytest.fixture(scope="session")
def postgres_store(postgres_stores: StoreFactory) -> PostgresStore:
    """The Postgres store over the session's database (dimension 1536); use fresh tenants."""
    return postgres_stores(DEFAULT_DIMENSION)[0]


@pytest.fixture(scope="session")
def postgres_keys(postgres_stores: StoreFactory) -> PostgresKeyStore:
    """The Postgres API key store over the session's database."""
    return postgres_stores(DEFAULT_DIMENSION)[1]


@pytest.fixture(scope="session")
def postgres_key_store(postgres_keys: PostgresKeyStore) -> PostgresKeyStore:
    """Alias of postgres_keys, under the name the contract suite asks for."""
    return postgres_keys
