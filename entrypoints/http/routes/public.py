"""Public routes: health, and the catalogue of problem types errors point to."""

import functools
from importlib import metadata
from typing import Any

import msgspec
from litestar import Request, Response, get
from litestar.handlers import HTTPRouteHandler
from litestar.params import FromPath

from entrypoints.engine import Engine
from entrypoints.http import problem as p
from entrypoints.http.metrics import CONTENT_TYPE, Metrics
from entrypoints.http.problem import documented
from entrypoints.http.responses import HealthOut


@functools.cache
def _version() -> str:
    try:
        return metadata.version("kata-context")
    except metadata.PackageNotFoundError:
        return "0"


class ProblemTypeOut(msgspec.Struct, kw_only=True):
    """One kind of problem an error response can be."""

    type: str
    status: int
    title: str
    description: str


def _out(kind: p.ProblemType) -> ProblemTypeOut:
    return ProblemTypeOut(
        type=kind.uri, status=kind.status, title=kind.title, description=kind.description
    )


@get("/api/health", summary="Health", operation_id="health", tags=["health"], sync_to_thread=False)
def health() -> HealthOut:
    """Liveness: answers without touching the store or asking for a key."""
    return HealthOut(status="ok", version=_version())


@get(
    "/api/problems",
    summary="Problem types",
    operation_id="problem_types",
    tags=["problems"],
    sync_to_thread=False,
)
def problem_types() -> list[ProblemTypeOut]:
    """Every problem type this API answers with."""
    return [_out(k) for k in p.ALL]


@get(
    "/api/problems/{slug:str}",
    summary="One problem type",
    operation_id="problem_type",
    tags=["problems"],
    sync_to_thread=False,
    responses=documented(p.NOT_FOUND, p.BAD_REQUEST),
)
def problem_type(slug: FromPath[str]) -> ProblemTypeOut:
    """What one problem type means (its `type` URI points here)."""
    from litestar.exceptions import NotFoundException

    for kind in p.ALL:
        if kind.slug == slug:
            return _out(kind)
    raise NotFoundException(f"no problem type {slug!r}")


@get("/api/openapi.json", include_in_schema=False, sync_to_thread=False)
def openapi_json(request: Request[Any, Any, Any]) -> dict[str, Any]:
    """The OpenAPI 3.1 document (also at /api/docs/openapi.json, beside the docs page)."""
    return request.app.openapi_schema.to_schema()


def readiness(engine: Engine) -> HTTPRouteHandler:
    """GET /api/ready over `engine`'s store."""

    @get(
        "/api/ready",
        summary="Readiness",
        operation_id="ready",
        tags=["health"],
        sync_to_thread=True,
        responses=documented(p.SERVICE_UNAVAILABLE, p.BAD_REQUEST),
    )
    def ready() -> HealthOut:
        """Readiness: 200 when the store answers a query, 503 problem+json when it cannot
        (health stays a liveness check that never touches the store)."""
        engine.ping()
        return HealthOut(status="ready", version=_version())

    return ready


def metrics_route(metrics: Metrics) -> HTTPRouteHandler:
    """GET /api/metrics rendering `metrics`."""

    @get(
        "/api/metrics",
        summary="Prometheus metrics",
        operation_id="metrics",
        tags=["health"],
        sync_to_thread=False,
        media_type=CONTENT_TYPE,
        responses=documented(p.BAD_REQUEST),
    )
    def scrape() -> Response[str]:
        """Requests and latency per route, pool use, appends, windows and compactions, in
        the Prometheus text format."""
        return Response(metrics.render(), media_type=CONTENT_TYPE)

    return scrape


HANDLERS = [health, problem_types, problem_type, openapi_json]
