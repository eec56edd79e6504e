"""The client suite's fixtures: the app served over each store, and a Kata per access path.

`kata` is the same engine reached three ways: in process (InProcessKata), the sync
KataClient over a real uvicorn on 127.0.0.1, and the AsyncKataClient over httpx's ASGI
transport (driven through one event loop). The scenarios assert engine semantics, so
every path must answer alike.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import attrs
import httpx
import pytest
import uvicorn

from adapters.memory.keys import MemoryKeyStore
from adapters.memory.store import MemoryStore
from adapters.summaries import ExtractiveSummarizer
from adapters.system import SystemClock
from adapters.tokens import OfflineTokenCounter
from entrypoints.client import AsyncKataClient, KataClient
from entrypoints.engine import Engine
from entrypoints.http.app import create_app
from entrypoints.integrations.kata import InProcessKata
from entrypoints.keys import issue_key
from entrypoints.settings import Settings
from ports.keys import ApiKeyStore

DIMENSION = 3
SETTINGS = Settings(dimension=DIMENSION, key_cache_seconds=0)


class _UniqueIds:
    def new_id(self) -> str:
        return str(uuid.uuid4())


@attrs.frozen
class Served:
    """An engine, its key store and the app over them, listening on `base_url`."""

    engine: Engine
    keys: ApiKeyStore
    app: Any
    base_url: str

    def new_key(self) -> tuple[str, str]:
        tenant = f"t-{uuid.uuid4()}"
        _, secret = issue_key(self.keys, tenant_id=tenant, clock=SystemClock())
        return tenant, secret


def _serve(app: Any) -> tuple[str, uvicorn.Server, threading.Thread]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on")
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    return f"http://127.0.0.1:{port}", server, thread


@pytest.fixture(
    scope="session", params=["memory", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def served(request: pytest.FixtureRequest) -> Iterator[Served]:
    """The app over each store, served by uvicorn on a free loopback port."""
    if request.param == "postgres":
        store, keys = request.getfixturevalue("postgres_stores")(DIMENSION)
    else:
        store, keys = MemoryStore(), MemoryKeyStore()
    tokens = OfflineTokenCounter()
    engine = Engine(
        store=store, tokens=tokens, summarizer=ExtractiveSummarizer(tokens),
        clock=SystemClock(), ids=_UniqueIds(), dimension=DIMENSION,
    )
    app = create_app(engine=engine, keys=keys, settings=SETTINGS)
    base_url, server, thread = _serve(app)
    yield Served(engine=engine, keys=keys, app=app, base_url=base_url)
    server.should_exit = True
    thread.join(10)


class SyncOverAsync:
    """An AsyncKataClient driven from sync code through one event loop."""

    def __init__(self, client: AsyncKataClient, runner: asyncio.Runner) -> None:
        self._client = client
        self._runner = runner

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._client, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            return self._runner.run(method(*args, **kwargs))

        return call


@pytest.fixture(params=["in-process", "sync-client", "async-client"])
def kata(request: pytest.FixtureRequest, served: Served) -> Iterator[Any]:
    """A fresh tenant's Kata, reached in process, over HTTP, or over ASGI with asyncio."""
    tenant, secret = served.new_key()
    if request.param == "in-process":
        yield InProcessKata(served.engine, tenant)
    elif request.param == "sync-client":
        with KataClient(served.base_url, secret) as client:
            yield client
    else:
        with asyncio.Runner() as runner:
            client = AsyncKataClient(
                "http://kata.test", secret, transport=httpx.ASGITransport(app=served.app)
            )
            yield SyncOverAsync(client, runner)
            runner.run(client.aclose())
