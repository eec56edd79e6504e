"""A tenant's quota over HTTP: 403 quota-exceeded problem+json, nothing stored."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from litestar.testing import TestClient

from adapters.memory.keys import MemoryKeyStore
from adapters.memory.store import MemoryStore
from adapters.postgres.store import PostgresStore
from domain.quota import Quota
from entrypoints.engine import Store
from entrypoints.http.app import create_app
from entrypoints.keys import issue_key
from ports.keys import ApiKeyStore
from tests.http.conftest import DIMENSION, SETTINGS, engine_over


@pytest.fixture(params=["memory", pytest.param("postgres", marks=pytest.mark.postgres)])
def quota_adapters(request: pytest.FixtureRequest) -> tuple[Store, ApiKeyStore]:
    limit = Quota(max_entries=3)
    if request.param == "postgres":
        store, keys = request.getfixturevalue("postgres_stores")(DIMENSION)
        return PostgresStore(store.pool, quota=limit), keys
    return MemoryStore(quota=limit), MemoryKeyStore()


def test_an_append_past_the_quota_is_a_403_problem(
    quota_adapters: tuple[Store, ApiKeyStore], clock: Any
) -> None:
    store, keys = quota_adapters
    engine = engine_over(store, clock)
    _, secret = issue_key(keys, tenant_id=f"t-{uuid.uuid4()}", clock=clock)
    auth = {"Authorization": f"Bearer {secret}"}
    app = create_app(engine=engine, keys=keys, settings=SETTINGS)
    with TestClient(app, raise_server_exceptions=False) as client:
        cid = client.post("/api/v1/contexts", json={}, headers=auth).json()["id"]
        url = f"/api/v1/contexts/{cid}/messages"
        two = {"messages": [{"role": "user", "content": "a"}, {"role": "user", "content": "b"}]}
        assert client.post(url, json=two, headers=auth).status_code == 201
        r = client.post(url, json=two, headers=auth)
        assert r.status_code == 403
        assert r.headers["content-type"].startswith("application/problem+json")
        body = r.json()
        assert body["type"].endswith("/quota-exceeded")
        assert (body["resource"], body["limit"], body["used"], body["requested"]) == (
            "entries",
            3,
            2,
            2,
        )
        assert client.get(f"/api/v1/contexts/{cid}", headers=auth).json()["head_version"] == 2
