"""Pytest plugin: a real PostgreSQL for the session, a fresh migrated database on it.

Registered from tests/conftest.py. Nothing starts unless a test asks for one of these
fixtures, so memory-only runs never pay for a server. The stores connect as the app role
(migrations/roles.py), as the service does: every Postgres test then runs its queries
through the row-level security policies. Migrations and the CLI use the owner's URL.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from psycopg_pool import ConnectionPool

from adapters.postgres.keys import PostgresKeyStore
from adapters.postgres.pool import build_pool
from adapters.postgres.store import PostgresStore
from migrations import DEFAULT_DIMENSION, migrate
from migrations.roles import app_url, grant_app_role
from tests.support.database import Server, resolve_server

StoreFactory = Callable[[int], tuple[PostgresStore, PostgresKeyStore]]

# The role the test stores connect as; the password counts only where the server asks
# for one (testcontainers over TCP; the embedded server trusts its Unix socket).
APP_ROLE = "kata_test_app"
APP_PASSWORD = "kata-test-app"


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
def postgres_owner_urls() -> dict[int, str]:
    """The owner's URL of each database postgres_stores made, by embedding dimension."""
    return {}


@pytest.fixture(scope="session")
def postgres_stores(
    postgres_server: Server, postgres_owner_urls: dict[int, str]
) -> Iterator[StoreFactory]:
    """Stores over a fresh migrated database per embedding dimension, made on demand,
    connected as the app role."""
    made: dict[int, tuple[PostgresStore, PostgresKeyStore]] = {}
    pools: list[tuple[ConnectionPool, str]] = []

    def get(dimension: int = DEFAULT_DIMENSION) -> tuple[PostgresStore, PostgresKeyStore]:
        if dimension not in made:
            url = postgres_server.create_database()
            migrate(url, dimension=dimension)
            grant_app_role(url, role=APP_ROLE, password=APP_PASSWORD)
            postgres_owner_urls[dimension] = url
            pool = build_pool(app_url(url, role=APP_ROLE, password=APP_PASSWORD), max_size=8)
            pool.open(wait=True, timeout=30)
            pools.append((pool, url))
            made[dimension] = (PostgresStore(pool), PostgresKeyStore(pool))
        return made[dimension]

    yield get
    for pool, url in pools:
        pool.close()
        postgres_server.drop_database(url)


@pytest.fixture(scope="session")
def postgres_url(postgres_stores: StoreFactory, postgres_owner_urls: dict[int, str]) -> str:
    """The owner's URL of the session's migrated database (embedding dimension 1536)."""
    postgres_stores(DEFAULT_DIMENSION)
    return postgres_owner_urls[DEFAULT_DIMENSION]


@pytest.fixture(scope="session")
def postgres_app_url(postgres_stores: StoreFactory) -> str:
    """The app role's URL of the session's database: row-level security applies to it."""
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
def postgres_key_store(postgres_url: str) -> Iterator[PostgresKeyStore]:
    """The API key store the contract suite runs: the owner's, as the admin commands use
    it. Listing every tenant's keys and revoking by id cross tenants by design; the
    service's role authenticates and adds keys only (tests/postgres/test_row_level_security)."""
    with build_pool(postgres_url, max_size=2) as pool:
        yield PostgresKeyStore(pool)
