"""The HTTP API in process, for trying the client offline (no database, no port)."""

from __future__ import annotations

from typing import Any

from adapters.system import SystemClock
from entrypoints.compose import build_app, memory_adapters
from entrypoints.keys import issue_key
from entrypoints.settings import Settings


def memory_app(*, tenant_id: str = "local") -> tuple[Any, str]:
    """The Litestar app over the in-memory store, and an API key for `tenant_id`.

    Serve it with uvicorn, or hand it to httpx.ASGITransport for an AsyncKataClient.
    """
    adapters = memory_adapters()
    _, secret = issue_key(adapters.keys, tenant_id=tenant_id, clock=SystemClock())
    return build_app(adapters, Settings(), env={}), secret
