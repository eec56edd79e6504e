"""Drop-in tests: a served app for the over-HTTP variants."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from adapters.memory.keys import MemoryKeyStore
from adapters.system import SystemClock
from entrypoints.client import AsyncKataClient
from entrypoints.http.app import create_app
from entrypoints.keys import issue_key
from entrypoints.offline import memory_engine
from entrypoints.settings import Settings


@pytest.fixture
def served_app() -> tuple[Any, str]:
    """The app over the memory engine, with one tenant's key."""
    keys = MemoryKeyStore()
    _, secret = issue_key(keys, tenant_id="agents", clock=SystemClock())
    return create_app(engine=memory_engine(), keys=keys, settings=Settings()), secret


@pytest.fixture
def kata_http(served_app: tuple[Any, str]) -> Iterator[AsyncKataClient]:
    """An AsyncKataClient over the app (httpx's ASGI transport)."""
    app, secret = served_app
    yield AsyncKataClient("http://kata.test", secret, transport=httpx.ASGITransport(app=app))

