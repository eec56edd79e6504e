"""Readiness: a reachable store answers ping() with nothing, and stays usable after it."""

from __future__ import annotations

from entrypoints.engine import Store


def test_a_reachable_store_is_ready(store: Store, tenant: str) -> None:
    for _ in range(3):
        assert store.ping() is None
    assert store.list_contexts(tenant, limit=1).items == ()
