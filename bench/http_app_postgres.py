"""The Litestar app's own cost per request over PostgreSQL, without sockets or a client.

bench/http_app's measure over the Postgres store (prepared statements, as `serve` runs
the embedded server): requests are handed straight to the ASGI app, so what a line adds
to its baseline, the in-process Engine making the same call on the same pool, is auth,
validation, conversion, serialization and the worker-thread hop. Rounds alternate app
and engine (A B A B) and each side keeps its median round, so load that comes and goes
on the machine lands on both.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable

from adapters.postgres.keys import PostgresKeyStore
from adapters.postgres.pool import build_pool
from adapters.postgres.store import PostgresStore
from adapters.system import SystemClock
from bench._common import emit, log, sized
from bench._postgres import fresh_database
from bench.http_app import _asgi_call, scenario
from entrypoints.compose import build_engine
from entrypoints.http.app import create_app
from entrypoints.keys import issue_key

ROUNDS = sized(8, 2)
PER_ROUND = sized(200, 3)
HISTORY = sized(100, 3)  # appends of BATCH before the window: 1k entries at full size
BATCH = 10
TOKENS = 50
TEXT = " ".join(["word"] * TOKENS)
TENANT = "bench"


async def _round(call: Callable[[], Awaitable[object]]) -> float:
    t0 = time.perf_counter()
    for _ in range(PER_ROUND):
        await call()
    return PER_ROUND / (time.perf_counter() - t0)


async def _alternating(
    app_call: Callable[[], Awaitable[object]], engine_call: Callable[[], Awaitable[object]]
) -> tuple[float, float]:
    """Median rates (per second) of app and engine over alternating rounds."""
    await _round(app_call)
    await _round(engine_call)
    app, engine = [], []
    for _ in range(ROUNDS):
        app.append(await _round(app_call))
        engine.append(await _round(engine_call))
    return statistics.median(app), statistics.median(engine)


async def _run(url: str) -> None:
    pool = build_pool(url, min_size=2, max_size=8, prepare=True)
    with pool:
        pool.wait(timeout=30)
        keys = PostgresKeyStore(pool)
        _, secret = issue_key(keys, tenant_id=TENANT, clock=SystemClock())
        engine = build_engine(PostgresStore(pool))
        app = create_app(engine=engine, keys=keys)
        call = _asgi_call(app, secret)
        app_append, engine_append, app_window, engine_window = scenario(
            engine, call, history=HISTORY
        )

        async with app.lifespan():
            assert await app_append() == 201
            assert await app_window() == 200
            for name, app_call, engine_call in (
                ("append", app_append, engine_append),
                ("window", app_window, engine_window),
            ):
                rate, base = await _alternating(app_call, engine_call)
                emit(f"asgi_{name}_postgres", PER_ROUND * ROUNDS, rate, "req/s",
                     baseline=f"engine_{name}_postgres", baseline_value=base)  # fmt: skip
                log(f"{name}: app {1e6 / rate:.0f} us/request, engine {1e6 / base:.0f} us/call")


def main() -> None:
    """Print the ASGI app's request rates over Postgres with the engine's as the baseline."""
    with fresh_database() as url:
        asyncio.run(_run(url))


if __name__ == "__main__":
    main()
