"""The HTTP suite's fixtures: the app over each adapter, and two tenants with keys."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import attrs
import pytest
from litestar.testing import TestClient

from adapters.memory.keys import MemoryKeyStore
from adapters.memory.store import MemoryStore
from adapters.summaries import ExtractiveSummarizer
from adapters.tokens import OfflineTokenCounter
from entrypoints.engine import Engine, Store
from entrypoints.http.app import create_app
from entrypoints.keys import issue_key
from entrypoints.settings import Settings
from ports.keys import ApiKeyStore

DIMENSION = 3
# No key cache: revocation is checked at once (tests/http/test_auth.py covers the cache).
SETTINGS = Settings(
    dimension=DIMENSION, max_body_bytes=64 * 1024, max_metadata_bytes=1024, key_cache_seconds=0
)


@attrs.frozen
class Api:
    """A client with one tenant's key, and the other tenant's headers for isolation."""

    client: TestClient[Any]
    headers: dict[str, str]
    other: dict[str, str]
    keys: ApiKeyStore

    def new_context(self, **body: Any) -> str:
        r = self.client.post("/api/v1/contexts", json=body, headers=self.headers)
        assert r.status_code == 201, r.text
        return str(r.json()["id"])

    def append(self, cid: str, *messages: dict[str, Any], **extra: Any) -> Any:
        body = {"messages": list(messages), **extra}
        return self.client.post(f"/api/v1/contexts/{cid}/messages", json=body, headers=self.headers)


@pytest.fixture(params=["memory", pytest.param("postgres", marks=pytest.mark.postgres)])
def adapters(request: pytest.FixtureRequest) -> tuple[Store, ApiKeyStore]:
    """The store and key store of each adapter in turn (Postgres: a database of dimension 3)."""
    if request.param == "postgres":
        store, keys = request.getfixturevalue("postgres_stores")(DIMENSION)
        return store, keys
    return MemoryStore(), MemoryKeyStore()


@pytest.fixture
def api(adapters: tuple[Store, ApiKeyStore], clock: Any, ids: Any) -> Iterator[Api]:
    """The app over the chosen adapters, with a fresh tenant (and a second one) per test."""
    store, keys = adapters
    engine = engine_over(store, clock)
    _, mine = issue_key(keys, tenant_id=f"t-{uuid.uuid4()}", clock=clock)
    _, theirs = issue_key(keys, tenant_id=f"t-{uuid.uuid4()}", clock=clock)
    app = create_app(engine=engine, keys=keys, settings=SETTINGS)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield Api(
            client=client,
            headers={"Authorization": f"Bearer {mine}"},
            other={"Authorization": f"Bearer {theirs}"},
            keys=keys,
        )


def revoking_store(api: Api, request: pytest.FixtureRequest) -> ApiKeyStore:
    """The key store revocation by id runs on: the admin commands' (the owner's, for
    Postgres: the service's role sees only the rows its transactions name)."""
    from adapters.postgres.keys import PostgresKeyStore
    from adapters.postgres.pool import build_pool

    if not isinstance(api.keys, PostgresKeyStore):
        return api.keys
    url = request.getfixturevalue("postgres_owner_urls")[DIMENSION]
    pool = build_pool(url, max_size=1)
    pool.open(wait=True)
    request.addfinalizer(pool.close)
    return PostgresKeyStore(pool)


class _UniqueIds:
    # A shared database outlives one test: sequential ids would collide across tests.
    def new_id(self) -> str:
        return str(uuid.uuid4())


def engine_over(store: Store, clock: Any, **options: Any) -> Engine:
    """The engine the HTTP suite serves over `store` (offline tokens and summaries, the
    suite's dimension, unique ids), with any further Engine options."""
    tokens = OfflineTokenCounter()
    return Engine(
        store=store,
        tokens=tokens,
        summarizer=ExtractiveSummarizer(tokens),
        clock=clock,
        ids=_UniqueIds(),
        dimension=DIMENSION,
        **options,
    )
