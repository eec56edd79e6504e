"""Lifespans: resources opened when the app starts serving and closed when it stops."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import anyio.to_thread
from psycopg_pool import ConnectionPool


def pool_lifespan(
    pool: ConnectionPool, *, timeout: float = 30.0, before: Callable[[], Any] | None = None
) -> Callable[[Any], AbstractAsyncContextManager[None]]:
    """Open `pool` at startup (after `before`, e.g. migrations), close it at shutdown.

    Opening waits for the first connection so a wrong DATABASE_URL fails the startup
    loudly instead of the first request. Blocking calls run in a worker thread.
    """

    @asynccontextmanager
    async def lifespan(_app: Any) -> AsyncIterator[None]:
        if before is not None:
            await anyio.to_thread.run_sync(before)
        await anyio.to_thread.run_sync(lambda: pool.open(wait=True, timeout=timeout))
        try:
            yield
        finally:
            await anyio.to_thread.run_sync(pool.close)

    return lifespan
