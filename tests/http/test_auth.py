"""The key cache: trusted for its TTL, then asked again; unknown keys never remembered."""

from __future__ import annotations

from datetime import UTC, datetime

from litestar.testing import TestClient

from adapters.memory.keys import MemoryKeyStore
from adapters.memory.store import MemoryStore
from entrypoints.compose import build_engine
from entrypoints.http.app import create_app
from entrypoints.http.auth import TenantCache
from entrypoints.keys import issue_key
from entrypoints.settings import Settings


class Ticks:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def test_cache_remembers_for_its_ttl_only() -> None:
    ticks = Ticks()
    cache = TenantCache(5, now=ticks)
    cache.put("h", "t")
    assert cache.get("h") == "t"
    ticks.t += 4.9
    assert cache.get("h") == "t"
    ticks.t += 0.2
    assert cache.get("h") is None
    assert cache.get("other") is None


def test_a_zero_ttl_remembers_nothing() -> None:
    cache = TenantCache(0)
    cache.put("h", "t")
    assert cache.get("h") is None


def test_revocation_reaches_a_caching_app_after_the_ttl(clock: object) -> None:
    keys = MemoryKeyStore()
    key, secret = issue_key(keys, tenant_id="t", clock=clock)  # type: ignore[arg-type]
    app = create_app(
        engine=build_engine(MemoryStore()), keys=keys, settings=Settings(key_cache_seconds=0.2)
    )
    h = {"Authorization": f"Bearer {secret}"}
    with TestClient(app) as client:
        assert client.get("/api/v1/tenant", headers=h).status_code == 200
        keys.revoke_key(key.id, now=datetime.now(UTC))
        # Within the TTL the remembered key still answers; after it, it does not.
        assert client.get("/api/v1/tenant", headers=h).status_code == 200
        import time

        time.sleep(0.25)
        assert client.get("/api/v1/tenant", headers=h).status_code == 401
        assert (
            client.get("/api/v1/tenant", headers={"Authorization": "Bearer kc_no"}).status_code
            == 401
        )
