"""The Litestar application factory: the engine and key store come in, an ASGI app goes out."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any

from litestar import Litestar, Request, Router
from litestar.datastructures import State
from litestar.di import Provide
from litestar.exceptions import HTTPException
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.openapi.spec import Components, Operation, RequestBody, SecurityScheme
from litestar.plugins import PluginProtocol
from litestar.routes import HTTPRoute

from entrypoints.engine import Engine
from entrypoints.http import guards
from entrypoints.http import problem as p
from entrypoints.http.auth import Caller, TenantCache, caller_provider
from entrypoints.http.docs import OfflineDocsPlugin
from entrypoints.http.metrics import Metrics, PoolStats
from entrypoints.http.observe import observer
from entrypoints.http.problem import EXCEPTION_HANDLERS, Refused
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


_CALLER = "kata_caller"
_QUERY_NAMES = "kata_query_names"


def _check_query(request: Request[Any, Any, Any]) -> None:
    # Unknown query parameters are refused like unknown body fields: a typo ("?budjet=")
    # must not silently fall back to a default.
    if not request.scope.get("query_string"):
        return
    allowed: dict[int, frozenset[str]] = request.app.state[_QUERY_NAMES]
    names = allowed.get(id(request.scope["route_handler"]), frozenset())
    unknown = guards.unknown_names(request.query_params.keys(), names)
    if unknown:
        raise Refused(
            p.UNKNOWN_PARAMETER,
            f"unknown query parameter(s): {', '.join(unknown)}",
            parameters=unknown,
        )


async def check_query(request: Request[Any, Any, Any]) -> None:
    """Routes outside /api/v1: only the query names are checked."""
    _check_query(request)


async def _check_body(request: Request[Any, Any, Any], settings: Settings) -> None:
    # Bodies must be JSON, no deeper than the limit and free of lone surrogates, all
    # checked on the raw bytes before anything parses them.
    if request.method not in _BODY_METHODS:
        return
    has_body = request.headers.get("content-length", "0") != "0" or (
        "transfer-encoding" in request.headers
    )
    if not has_body:
        return
    if not _is_json(request.headers.get("content-type", "")):
        raise HTTPException(status_code=415, detail="send the body as application/json")
    body = await request.body()
    if guards.json_depth_exceeds(body, settings.max_json_depth):
        raise Refused(
            p.JSON_TOO_DEEP,
            f"the body nests deeper than {settings.max_json_depth} levels",
            max_depth=settings.max_json_depth,
        )
    if guards.has_lone_surrogate(body):
        raise Refused(p.INVALID_INPUT, "text contains a lone surrogate (not valid Unicode)")


def guard_v1(
    authenticate: Callable[[Request[Any, Any, Any]], Any], settings: Settings
) -> Callable[[Request[Any, Any, Any]], Any]:
    """The /api/v1 hook, before any parameter or body is parsed: query names, then the
    API key (401 before a byte of the body is read), then the body's shape."""

    async def guard(request: Request[Any, Any, Any]) -> None:
        _check_query(request)
        request.state[_CALLER] = await authenticate(request)
        await _check_body(request, settings)

    return guard


async def authenticated(request: Request[Any, Any, Any]) -> Caller:
    """The Caller guard_v1 authenticated (a dependency: handlers take `caller`)."""
    caller: Caller = request.state[_CALLER]
    return caller


class _OptionalBodyOperation(Operation):
    # Litestar documents every body as required; a handler whose `data` has a default
    # (fork, compact) accepts none, and its OpenAPI operation says so.
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if isinstance(self.request_body, RequestBody):
            self.request_body.required = False


def _mark_optional_bodies(app: Litestar) -> None:
    for route in app.routes:
        if isinstance(route, HTTPRoute):
            for handler, _ in route.route_handler_map.values():
                data = handler.parsed_fn_signature.parameters.get("data")
                if data is not None and data.has_default:
                    handler.operation_class = _OptionalBodyOperation


def _query_names(app: Litestar) -> dict[int, frozenset[str]]:
    # Each handler's query parameters, from the signatures Litestar parsed (dependencies
    # included), so a route added later is covered without a list to keep up to date.
    names: dict[int, frozenset[str]] = {}
    for route in app.routes:
        if isinstance(route, HTTPRoute):
            for handler, kwargs_model in route.route_handler_map.values():
                names[id(handler)] = frozenset(
                    q.field_alias for q in kwargs_model.expected_query_params
                )
    return names


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


class _Litestar(Litestar):
    """Litestar without its pydantic plugins: Litestar adds them whenever pydantic is
    importable (an agent framework installed beside us brings it), which costs a cold
    start ~50 ms; no handler here takes or returns a pydantic model."""

    @staticmethod
    def _get_default_plugins(plugins: list[PluginProtocol]) -> list[PluginProtocol]:
        from litestar.plugins.attrs import AttrsSchemaPlugin
        from litestar.plugins.core import MsgspecDIPlugin

        plugins.append(MsgspecDIPlugin())
        if not any(isinstance(plugin, AttrsSchemaPlugin) for plugin in plugins):
            plugins.append(AttrsSchemaPlugin())
        return plugins


class OwnRouter(Router):
    """A Router made for one app, registered once: the app takes it as it is.

    Litestar deep-copies every Router an app registers (so one Router may serve several
    apps), which for /api/v1's 45 handlers cost a cold start ~7 ms. create_app builds its
    routers afresh for each app, and a router's handlers are its own (shallow) copies of
    the module-level ones, so the copy protects nothing here.
    """

    def __deepcopy__(self, memo: dict[int, Any]) -> OwnRouter:
        return self


def create_app(
    *,
    engine: Engine,
    keys: ApiKeyStore,
    settings: Settings | None = None,
    lifespan: Sequence[Lifespan] = (),
    pool_stats: PoolStats | None = None,
    debug: bool = False,
) -> Litestar:
    """The HTTP API over `engine`, authenticating with `keys`.

    `lifespan` context managers open and close resources (a database pool) with the app;
    nothing here touches the network. `pool_stats` feeds the pool gauges of /api/metrics.
    """
    settings = settings or Settings()
    metrics = Metrics(pool=pool_stats) if settings.metrics else None
    authenticate = caller_provider(
        engine=engine,
        keys=keys,
        settings=settings,
        cache=TenantCache(settings.key_cache_seconds),
    )
    v1 = OwnRouter(
        path="/api/v1",
        route_handlers=[
            *contexts.HANDLERS,
            *messages.HANDLERS,
            *windows.HANDLERS,
            *forks.HANDLERS,
            *search.HANDLERS,
            *receipts.HANDLERS,
        ],
        dependencies={"caller": Provide(authenticated)},
        before_request=guard_v1(authenticate, settings),
        security=[{"apiKey": []}],
    )
    probes = [public.readiness(engine)]
    if metrics is not None:
        probes.append(public.metrics_route(metrics))
    cron = admin.router(engine=engine, cron_secret=settings.cron_secret)
    # One router for the public routes: Litestar rebuilds its routing trie after each
    # value an app registers.
    outside = OwnRouter(path="/", route_handlers=[*public.HANDLERS, *probes])
    app = _Litestar(
        route_handlers=[v1, cron, outside],
        exception_handlers=EXCEPTION_HANDLERS,
        openapi_config=_openapi(settings),
        request_max_body_size=settings.max_body_bytes,
        lifespan=list(lifespan),
        before_request=check_query,
        middleware=[
            observer(
                metrics, access_log=settings.log_format == "json", tracing=settings.tracing
            )
        ],
        state=State({"retry_after_seconds": settings.retry_after_seconds}),
        debug=debug,
        # Logging is the process's (entrypoints.logs, the CLI's uvicorn config, Vercel's
        # runtime): Litestar's own config would dictConfig a queue handler for its logger
        # at every build (logging.config and logging.handlers, about 10 ms of a cold
        # start) for messages it only logs in debug mode; they go to the root logger.
        logging_config=None,
    )
    app.state[_QUERY_NAMES] = _query_names(app)
    _mark_optional_bodies(app)
    return app
