"""The composition root: which adapters a deployment runs on, and the engine and app over them.

`kata-context serve` (cli.py), the Vercel entry (vercel.py), offline agents (offline.py) and
the CLI's one-off commands all build here. Nothing opens here: a PostgreSQL pool is built
closed and opens in the app's lifespan, or in a command's `with` block. PostgreSQL and
Litestar are imported only by the functions that need them, so an offline agent never pays
for either.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager, contextmanager
from typing import TYPE_CHECKING, Any, cast

import attrs

from adapters.system import SystemClock, UuidIds
from adapters.tokens import OfflineTokenCounter
from domain.quota import NO_QUOTA, Quota
from domain.records import Record
from entrypoints.deferred import Deferred, Later
from entrypoints.embedding import embedder_from_env
from entrypoints.engine import Engine
from entrypoints.engine import Store as ContextStore
from entrypoints.engine.limits import WindowLimits
from entrypoints.settings import Settings
from entrypoints.summarizing import summarizers_from_env
from ports.embedder import Embedder
from ports.keys import ApiKeyStore

if TYPE_CHECKING:
    from litestar import Litestar

Lifespan = Callable[[Any], AbstractAsyncContextManager[None]]


@attrs.frozen(kw_only=True, repr=False, eq=False)
class Adapters(Record):
    """A deployment's storage: the context store, the API key store, and the lifespans
    that open and close what they hold (a pool)."""

    store: ContextStore
    keys: ApiKeyStore
    lifespan: Sequence[Lifespan] = ()
    # The pool's gauges for /api/metrics (psycopg_pool's get_stats), when there is a pool.
    pool_stats: Callable[[], Mapping[str, int]] | None = None


def memory_adapters(*, quota: Quota = NO_QUOTA) -> Adapters:
    """Everything in process memory: nothing to open, nothing kept."""
    from adapters.memory.keys import MemoryKeyStore
    from adapters.memory.store import MemoryStore

    return Adapters(store=MemoryStore(quota=quota), keys=MemoryKeyStore())


def postgres_adapters(
    url: str,
    *,
    min_size: int,
    max_size: int,
    max_idle: float = 60.0,
    prepare: bool = False,
    timeout: float = 5.0,
    before: Callable[[], Any] | None = None,
    quota: Quota = NO_QUOTA,
) -> Adapters:
    """Both stores over one pool on `url`, built closed: the lifespan opens it (after
    `before`, e.g. migrations) when the app starts and closes it when the app stops.

    The pool and the stores are made on first use (the lifespan's start, at the latest),
    so building an app imports neither psycopg nor the PostgreSQL adapters: a cold start
    pays for them when the pool opens, not at import.
    """

    def make() -> _Postgres:
        from adapters.postgres.keys import PostgresKeyStore
        from adapters.postgres.pool import build_pool
        from adapters.postgres.store import PostgresStore

        pool = build_pool(
            url,
            min_size=min_size,
            max_size=max_size,
            max_idle=max_idle,
            prepare=prepare,
            timeout=timeout,
        )
        return _Postgres(
            pool=pool, store=PostgresStore(pool, quota=quota), keys=PostgresKeyStore(pool)
        )

    parts = Later(make)

    @asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[None]:
        from entrypoints.lifespan import pool_lifespan

        async with pool_lifespan(parts.get().pool, before=before)(app):
            yield

    def pool_stats() -> Mapping[str, int]:
        return parts.get().pool.get_stats()  # type: ignore[no-any-return]

    return Adapters(
        store=cast(ContextStore, Deferred(Later(lambda: parts.get().store))),
        keys=cast(ApiKeyStore, Deferred(Later(lambda: parts.get().keys))),
        lifespan=(lifespan,),
        pool_stats=pool_stats,
    )


@attrs.frozen(kw_only=True, repr=False, eq=False)
class _Postgres(Record):
    pool: Any
    store: ContextStore
    keys: ApiKeyStore


@contextmanager
def opened_postgres_adapters(url: str) -> Iterator[Adapters]:
    """Both stores over a one-connection pool on `url`, open for the `with` block."""
    from adapters.postgres.keys import PostgresKeyStore
    from adapters.postgres.pool import build_pool
    from adapters.postgres.store import PostgresStore

    with build_pool(url, min_size=1, max_size=1) as pool:
        yield Adapters(store=PostgresStore(pool), keys=PostgresKeyStore(pool))


def build_engine(
    store: ContextStore,
    settings: Settings | None = None,
    *,
    embedder: Embedder | None = None,
    env: Mapping[str, str] | None = None,
) -> Engine:
    """An engine over `store` with offline tokens, the summarizers `env` names
    (KATA_SUMMARIZER; extractive without it), real time.

    Without an embedder, clients send their own embeddings (of settings.dimension); an
    embedder must produce that dimension too (the engine refuses it otherwise).
    """
    settings = settings or Settings()
    tokens = OfflineTokenCounter()
    summarizers = summarizers_from_env(env or {}, tokens=tokens)
    return Engine(
        store=store,
        tokens=tokens,
        summarizer=summarizers.on_request,
        auto_summarizer=summarizers.on_append,
        clock=SystemClock(),
        ids=UuidIds(),
        embedder=embedder,
        dimension=settings.dimension,
        retention_days=settings.retention,
        window_limits=WindowLimits(
            max_tokens=settings.window_max_tokens, max_entries=settings.window_max_entries
        ),
    )


def build_app(adapters: Adapters, settings: Settings, *, env: Mapping[str, str]) -> Litestar:
    """The HTTP API over `adapters`, with the embedder and summarizers `env` names
    (KATA_EMBEDDER, KATA_SUMMARIZER)."""
    from entrypoints.http.app import create_app

    embedder = embedder_from_env(env, dimension=settings.dimension)
    return create_app(
        engine=build_engine(adapters.store, settings, embedder=embedder, env=env),
        keys=adapters.keys,
        settings=settings,
        lifespan=adapters.lifespan,
        pool_stats=adapters.pool_stats,
    )
