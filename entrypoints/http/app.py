"""The Litestar application factory: the engine and key store come in, an ASGI app goes out."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any

from litestar import Litestar, Request, Router
from litestar.di import Provide
from litestar.exceptions import HTTPException
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme

from entrypoints.engine import Engine
from entrypoints.http.auth import TenantCache, caller_provider
from entrypoints.http.docs import OfflineDocsPlugin
from entrypoints.http.problem import EXCEPTION_HANDLERS
from entrypoints.http.routes import (
    admin,
    contexts,
    forks,
    messages,
    public,
    receipts,
    search,
    windows,
)
from entrypoints.settings import Settings
from ports.keys import ApiKeyStore

Lifespan = Callable[[Litestar], AbstractAsyncContextManager[None]]

DESCRIPTION = (
    "Versioned conversation histories for AI agents, and the best window of them for a "
    "token budget. Every /api/v1 route needs `Authorization: Bearer <API key>`; errors are "
    "RFC 9457 application/problem+json."
)

_BODY_METHODS = frozenset({"POST", "PATCH", "PUT"})


def _is_json(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


async def require_json(request: Request[Any, Any, Any]) -> None:
    """Bodies must be JSON: anything else is 415 before it is parsed."""
    if request.method not in _BODY_METHODS:
        return
    has_body = request.headers.get("content-length", "0") != "0" or (
        "transfer-encoding" in request.headers
    )
    if has_body and not _is_json(request.headers.get("content-type", "")):
        raise HTTPException(status_code=415, detail="send the body as application/json")


def _openapi(settings: Settings) -> OpenAPIConfig:
    return OpenAPIConfig(
        title=settings.title,
        version="1",
        description=DESCRIPTION,
        # The docs router owns its path's single-segment misses (HTML 404s), so it lives at
        # /api/docs rather than /api; /api/openapi.json is served by public.openapi_json.
        path="/api/docs",
        render_plugins=[OfflineDocsPlugin(path="/"), JsonRenderPlugin(path="/openapi.json")],
        components=Components(
            security_schemes={
                "apiKey": SecurityScheme(type="http", scheme="bearer", description="An API key.")
            }
        ),
        use_handler_docstrings=True,
    )


def create_app(
    *,
    engine: Engine,
    keys: ApiKeyStore,
    settings: Settings | None = None,
    lifespan: Sequence[Lifespan] = (),
    debug: bool = False,
) -> Litestar:
    """The HTTP API over `engine`, authenticating with `keys`.

    `lifespan` context managers open and close resources (a database pool) with the app;
    nothing here touches the network.
    """
    settings = settings or Settings()
    v1 = Router(
        path="/api/v1",
        route_handlers=[
            *contexts.HANDLERS,
            *messages.HANDLERS,
            *windows.HANDLERS,
            *forks.HANDLERS,
            *search.HANDLERS,
            *receipts.HANDLERS,
        ],
        dependencies={
            "caller": Provide(
                caller_provider(
                    engine=engine,
                    keys=keys,
                    settings=settings,
                    cache=TenantCache(settings.key_cache_seconds),
                )
            )
        },
        before_request=require_json,
        security=[{"apiKey": []}],
    )
    return Litestar(
        route_handlers=[
            v1, admin.router(engine=engine, cron_secret=settings.cron_secret), *public.HANDLERS
        ],
        exception_handlers=EXCEPTION_HANDLERS,
        openapi_config=_openapi(settings),
        request_max_body_size=settings.max_body_bytes,
        lifespan=list(lifespan),
        debug=debug,
    )
