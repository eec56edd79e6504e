"""What observability costs the hot path: append and window through the ASGI app with the
default observability (metrics, request ids, tracing when OpenTelemetry is installed), and
with JSON access logs on too (opt-in), against the same app with all of it off, measured in
the same run, alternating rounds (best round of each).

The in-memory store keeps the database out of it, so the ratio is the worst case: with
PostgreSQL each request costs more and the same overhead is a smaller share.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import time
from collections.abc import Awaitable, Callable

from adapters.memory.keys import MemoryKeyStore
from adapters.memory.store import MemoryStore
from adapters.system import SystemClock
from bench._common import emit, log, sized
from bench.http_app import _asgi_call
from entrypoints.compose import build_engine
from entrypoints.http.app import create_app
from entrypoints.keys import issue_key
from entrypoints.logs import JsonFormatter
from entrypoints.settings import Settings

REQUESTS = sized(3000, 20)
ROUNDS = sized(4, 2)
BATCH = 10
TOKENS = 50
TENANT = "bench"
Call = Callable[[], Awaitable[object]]


async def _rate(call: Call) -> float:
    t0 = time.perf_counter()
    for _ in range(REQUESTS):
        await call()
    return REQUESTS / (time.perf_counter() - t0)


async def _calls(settings: Settings) -> tuple[object, Call, Call]:
    keys = MemoryKeyStore()
    _, secret = issue_key(keys, tenant_id=TENANT, clock=SystemClock())
    engine = build_engine(MemoryStore(), settings)
    app = create_app(engine=engine, keys=keys, settings=settings)
    call = _asgi_call(app, secret)
    text = " ".join(["word"] * TOKENS)
    batch = [{"role": "user", "content": text, "token_count": TOKENS}] * BATCH
    body = json.dumps({"messages": batch}).encode()
    target = engine.create_context(TENANT).id
    windowed = engine.create_context(TENANT).id
    for _ in range(50):
        await call("POST", f"/api/v1/contexts/{windowed}/messages", body, b"")

    async def append() -> object:
        return await call("POST", f"/api/v1/contexts/{target}/messages", body, b"")

    async def window() -> object:
        return await call("GET", f"/api/v1/contexts/{windowed}/window", b"", b"budget=8000")

    return app, append, window


async def _run() -> None:
    # The access lines go somewhere real (formatted JSON into memory), as in production.
    sink = logging.StreamHandler(io.StringIO())
    sink.setFormatter(JsonFormatter())
    access = logging.getLogger("kata_context.access")
    access.addHandler(sink)
    access.setLevel(logging.INFO)
    access.propagate = False
    # The defaults (metrics and tracing on, text logs) and everything on (JSON access lines
    # too, which a deployment opts into), each against all of it off.
    configs = {
        "default": Settings(),
        "all": Settings(metrics=True, tracing=True, log_format="json"),
        "off": Settings(metrics=False, tracing=False, log_format="text"),
    }
    calls = {name: await _calls(settings) for name, settings in configs.items()}
    best: dict[str, float] = {}
    for _ in range(ROUNDS):
        for name, (_, append, window) in calls.items():
            for kind, call in (("append", append), ("window", window)):
                key = f"{kind}_{name}"
                best[key] = max(best.get(key, 0.0), await _rate(call))
    for kind in ("append", "window"):
        base = best[f"{kind}_off"]
        for name, label in (("default", "observed"), ("all", "observed_json_logs")):
            emit(f"{label}_{kind}_memory", REQUESTS, best[f"{kind}_{name}"], "req/s",
                 baseline=f"unobserved_{kind}_memory", baseline_value=base)  # fmt: skip
        log(
            f"{kind}: defaults {1e6 / best[f'{kind}_default']:.0f} us/request, with JSON "
            f"logs {1e6 / best[f'{kind}_all']:.0f}, unobserved {1e6 / base:.0f}"
        )
    access.removeHandler(sink)
    del calls


def main() -> None:
    """Print the observed app's request rates with the unobserved app's as the baseline."""
    asyncio.run(_run())


if __name__ == "__main__":
    main()
