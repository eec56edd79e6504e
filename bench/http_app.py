"""The Litestar app's own cost per request, without sockets, server or client.

Requests are handed straight to the ASGI app (as uvicorn would, minus the parsing), over
the in-memory store, so what remains is auth, validation, conversion, serialization and
the worker-thread hop. The baseline, measured in the same run, is the in-process Engine
making the same call: the ratio is the share of engine speed the app keeps.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

from adapters.memory.keys import MemoryKeyStore
from adapters.memory.store import MemoryStore
from adapters.system import SystemClock
from bench._common import emit, log, sized
from domain.model import Message, Role
from entrypoints.compose import build_engine
from entrypoints.engine import Engine
from entrypoints.http.app import create_app
from entrypoints.keys import issue_key

REQUESTS = sized(5000, 20)
BATCH = 10
TOKENS = 50
TEXT = " ".join(["word"] * TOKENS)
TENANT = "bench"


def _asgi_call(app: Any, secret: str) -> Callable[[str, str, bytes, bytes], Awaitable[int]]:
    auth = f"Bearer {secret}".encode()

    async def call(method: str, path: str, body: bytes = b"", query: bytes = b"") -> int:
        scope = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
            "method": method, "scheme": "http", "path": path, "raw_path": path.encode(),
            "query_string": query, "root_path": "", "client": ("127.0.0.1", 1),
            "server": ("127.0.0.1", 80), "state": {},
            "headers": [
                (b"host", b"bench"), (b"authorization", auth),
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }  # fmt: skip
        messages = [{"type": "http.request", "body": body, "more_body": False}]
        status: list[int] = []

        async def receive() -> dict[str, Any]:
            return messages.pop() if messages else {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status.append(message["status"])

        await app(scope, receive, send)
        return status[0]

    return call


Call = Callable[[], Awaitable[object]]


def scenario(engine: Engine, call: Callable[[str, str, bytes, bytes], Awaitable[int]], *,
             history: int) -> tuple[Call, Call, Call, Call]:
    """(app append, engine append, app window, engine window) over one engine: appends of
    BATCH messages into contexts of their own, windows over one of `history` such appends."""
    batch = [{"role": "user", "content": TEXT, "token_count": TOKENS}] * BATCH
    body = json.dumps({"messages": batch}).encode()
    messages = [Message(role=Role.USER, content=TEXT, token_count=TOKENS)] * BATCH
    windowed = engine.create_context(TENANT).id
    for _ in range(history):
        engine.append(TENANT, windowed, messages)
    target, local_target = engine.create_context(TENANT).id, engine.create_context(TENANT).id

    async def app_append() -> object:
        return await call("POST", f"/api/v1/contexts/{target}/messages", body, b"")

    async def engine_append() -> object:
        return engine.append(TENANT, local_target, messages)

    async def app_window() -> object:
        return await call("GET", f"/api/v1/contexts/{windowed}/window", b"", b"budget=8000")

    async def engine_window() -> object:
        return engine.window(TENANT, windowed, budget=8000)

    return app_append, engine_append, app_window, engine_window


async def _rate(call: Callable[[], Awaitable[object]]) -> float:
    for _ in range(min(100, REQUESTS)):
        await call()
    t0 = time.perf_counter()
    for _ in range(REQUESTS):
        await call()
    return REQUESTS / (time.perf_counter() - t0)


async def _run() -> None:
    keys = MemoryKeyStore()
    _, secret = issue_key(keys, tenant_id=TENANT, clock=SystemClock())
    engine = build_engine(MemoryStore())
    app = create_app(engine=engine, keys=keys)
    call = _asgi_call(app, secret)
    app_append, engine_append, app_window, engine_window = scenario(engine, call, history=100)

    async def app_health() -> object:
        return await call("GET", "/api/health", b"", b"")

    async with app.lifespan():
        assert await app_append() == 201
        assert await app_window() == 200
        for name, app_call, engine_call in (
            ("append", app_append, engine_append),
            ("window", app_window, engine_window),
        ):
            base = await _rate(engine_call)
            rate = await _rate(app_call)
            emit(f"asgi_{name}_memory", REQUESTS, rate, "req/s",
                 baseline=f"engine_{name}_memory", baseline_value=base)  # fmt: skip
            log(f"{name}: app {1e6 / rate:.0f} us/request, engine {1e6 / base:.0f} us/call")
        log(f"health (routing floor): {1e6 / await _rate(app_health):.0f} us/request")


def main() -> None:
    """Print the ASGI app's request rates with the engine's as the baseline."""
    asyncio.run(_run())


if __name__ == "__main__":
    main()
