"""The key cache: trusted for its TTL, then asked again; unknown keys never remembered."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest
from litestar import Request
from litestar.testing import TestClient

from adapters.memory.keys import MemoryKeyStore
from adapters.memory.store import MemoryStore
from domain.errors import Unauthorized
from entrypoints.compose import build_engine
from entrypoints.http.app import create_app
from entrypoints.http.auth import TenantCache, caller_provider
from entrypoints.keys import issue_key
from entrypoints.settings import Settings
from tests.conftest import FakeClock


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


def _request(secret: str) -> Request[Any, Any, Any]:
    """A bare request carrying `secret` as its bearer key (all the provider reads)."""
    headers = [(b"authorization", f"Bearer {secret}".encode())]
    return Request(scope={"type": "http", "headers": headers, "state": {}})


def test_revocation_reaches_a_caller_after_the_ttl() -> None:
    keys, ticks = MemoryKeyStore(), Ticks()
    key, secret = issue_key(keys, tenant_id="t", clock=FakeClock())
    provide = caller_provider(
        engine=build_engine(MemoryStore()), keys=keys, settings=Settings(),
        cache=TenantCache(5, now=ticks),
    )  # fmt: skip
    assert asyncio.run(provide(_request(secret))).tenant == "t"
    keys.revoke_key(key.id, now=datetime.now(UTC))
    # Within the TTL the remembered key still answers; after it, the store is asked again.
    ticks.t += 4.9
    assert asyncio.run(provide(_request(secret))).tenant == "t"
    ticks.t += 0.2
    with pytest.raises(Unauthorized):
        asyncio.run(provide(_request(secret)))
    with pytest.raises(Unauthorized):
        asyncio.run(provide(_request("kc_no")))


def test_a_remembered_key_hash_never_skips_the_store() -> None:
    # Key hashes are kept per process; with no tenant cache, the store still answers
    # every request, so a revocation holds from the next one.
    keys = MemoryKeyStore()
    key, secret = issue_key(keys, tenant_id="t", clock=FakeClock())
    provide = caller_provider(
        engine=build_engine(MemoryStore()), keys=keys, settings=Settings(), cache=TenantCache(0)
    )
    assert asyncio.run(provide(_request(secret))).tenant == "t"
    assert asyncio.run(provide(_request(secret))).tenant == "t"
    keys.revoke_key(key.id, now=datetime.now(UTC))
    with pytest.raises(Unauthorized):
        asyncio.run(provide(_request(secret)))


def test_the_first_authorization_header_is_read() -> None:
    keys = MemoryKeyStore()
    _, secret = issue_key(keys, tenant_id="t", clock=FakeClock())
    provide = caller_provider(
        engine=build_engine(MemoryStore()), keys=keys, settings=Settings(), cache=TenantCache(0)
    )
    headers = [(b"x-other", b"Bearer nope"), (b"authorization", f"Bearer {secret}".encode()),
               (b"authorization", b"Bearer kc_no")]  # fmt: skip
    request: Request[Any, Any, Any] = Request(
        scope={"type": "http", "headers": headers, "state": {}}
    )
    assert asyncio.run(provide(request)).tenant == "t"
    with pytest.raises(Unauthorized):
        asyncio.run(provide(Request(scope={"type": "http", "headers": [], "state": {}})))


def _after_revoking(key_cache_seconds: float) -> tuple[int, int, int]:
    """Statuses from an app caching keys that long: before, then after revoking the key,
    then for a key that never existed."""
    keys = MemoryKeyStore()
    key, secret = issue_key(keys, tenant_id="t", clock=FakeClock())
    app = create_app(
        engine=build_engine(MemoryStore()),
        keys=keys,
        settings=Settings(key_cache_seconds=key_cache_seconds),
    )
    with TestClient(app) as client:
        before = client.get("/api/v1/tenant", headers={"Authorization": f"Bearer {secret}"})
        keys.revoke_key(key.id, now=datetime.now(UTC))
        after = client.get("/api/v1/tenant", headers={"Authorization": f"Bearer {secret}"})
        unknown = client.get("/api/v1/tenant", headers={"Authorization": "Bearer kc_no"})
    return before.status_code, after.status_code, unknown.status_code


def test_an_app_trusts_a_remembered_key_for_its_settings_ttl() -> None:
    # An hour cannot pass during the test: the revoked key is still within its TTL.
    assert _after_revoking(3600) == (200, 200, 401)


def test_an_app_without_a_key_cache_refuses_a_revoked_key_at_once() -> None:
    assert _after_revoking(0) == (200, 401, 401)
