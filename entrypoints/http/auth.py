"""Bearer API keys: each request's key names its tenant, looked up by the key's hash."""

from __future__ import annotations

import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any

import anyio.to_thread
import attrs
from litestar import Request

from domain.errors import Unauthorized
from domain.keys import hash_key
from domain.records import Record
from entrypoints.engine import Engine
from entrypoints.settings import Settings
from ports.keys import ApiKeyStore

BEARER = "bearer "
MAX_CACHED = 10_000


def _authorization(request: Request[Any, Any, Any]) -> str:
    # The raw header, first one given: request.headers builds a multidict of them all.
    for name, value in request.scope["headers"]:
        if name == b"authorization":
            return bytes(value).decode("latin-1")
    return ""


def bearer_token(request: Request[Any, Any, Any]) -> str:
    """The token of an `Authorization: Bearer <key>` header. Raises Unauthorized."""
    header = _authorization(request)
    if header[: len(BEARER)].lower() != BEARER or not header[len(BEARER) :].strip():
        raise Unauthorized("send the API key as `Authorization: Bearer <key>`")
    return header[len(BEARER) :].strip()


class TenantCache:
    """Tenants of recently seen key hashes, for `ttl` seconds (0 disables the cache).

    A key store lookup is a database round trip on every request; remembering good keys
    briefly saves it. The price: a key revoked elsewhere (the CLI, another instance)
    still works here for at most `ttl` seconds. Unknown keys are never remembered.
    """

    def __init__(self, ttl: float, *, now: Callable[[], float] = time.monotonic) -> None:
        self._ttl = ttl
        self._now = now
        self._lock = threading.Lock()
        self._tenants: dict[str, tuple[str, float]] = {}

    def get(self, key_hash: str) -> str | None:
        """The remembered tenant, if still fresh."""
        if self._ttl <= 0:
            return None
        with self._lock:
            found = self._tenants.get(key_hash)
        if found is None or found[1] <= self._now():
            return None
        return found[0]

    def put(self, key_hash: str, tenant: str) -> None:
        """Remember a key that the store just vouched for."""
        if self._ttl <= 0:
            return
        with self._lock:
            if len(self._tenants) >= MAX_CACHED:
                self._tenants.clear()
            self._tenants[key_hash] = (tenant, self._now() + self._ttl)


@attrs.frozen(repr=False, eq=False)
class Caller(Record):
    """An authenticated request: its tenant, and the engine and limits that serve it.

    One dependency rather than three: Litestar resolves several dependencies of a handler
    concurrently in a task group, which costs more than the work itself.
    """

    tenant: str
    engine: Engine
    settings: Settings


def caller_provider(
    *, engine: Engine, keys: ApiKeyStore, settings: Settings, cache: TenantCache
) -> Callable[[Request[Any, Any, Any]], Awaitable[Caller]]:
    """A Litestar dependency answering the authenticated Caller.

    A cached key answers on the event loop; otherwise the store is asked in a worker
    thread (it may block on the database). A key's hash is computed once per process:
    keys the store vouched for keep theirs (at most MAX_CACHED; unknown keys never).
    """
    hashes: dict[str, str] = {}

    async def provide_caller(request: Request[Any, Any, Any]) -> Caller:
        token = bearer_token(request)
        key_hash = hashes.get(token) or hash_key(token)
        tenant = cache.get(key_hash)
        if tenant is None:
            tenant = await anyio.to_thread.run_sync(keys.tenant_for, key_hash)
            if tenant is None:
                raise Unauthorized("unknown or revoked API key")
            cache.put(key_hash, tenant)
            if len(hashes) >= MAX_CACHED:
                hashes.clear()
            hashes[token] = key_hash
        return Caller(tenant=tenant, engine=engine, settings=settings)

    return provide_caller
