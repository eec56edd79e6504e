"""The sync and async clients offer the same methods, with the engine's names."""

from __future__ import annotations

import inspect

from entrypoints.client import AsyncKataClient, KataClient
from entrypoints.engine import Engine


def _public(cls: type) -> dict[str, inspect.Signature]:
    return {
        name: inspect.signature(fn)
        for name, fn in vars(cls).items()
        if callable(fn) and not name.startswith("_")
    }


def test_async_client_mirrors_the_sync_client() -> None:
    sync, aio = _public(KataClient), _public(AsyncKataClient)
    # tenant_id: a property of the sync client, a coroutine method of the async one.
    assert set(sync) - {"close"} == set(aio) - {"aclose", "tenant_id"}
    for name in set(sync) - {"close"}:
        assert str(sync[name]) == str(aio[name]), name
        assert inspect.iscoroutinefunction(getattr(AsyncKataClient, name)), name


def test_the_clients_use_the_engines_names_less_the_tenant() -> None:
    engine = _public(Engine)
    shared = set(engine) & set(_public(KataClient))
    assert shared >= {
        "create_context", "get_context", "list_contexts", "update_context", "delete_context",
        "append", "entries", "state_at", "window", "fork", "forks", "compact", "search",
    }
    for name in shared:
        params = [p for p in engine[name].parameters if p not in ("self", "tenant_id")]
        client = [p for p in _public(KataClient)[name].parameters if p != "self"]
        assert params == [p for p in client if p in params], name
