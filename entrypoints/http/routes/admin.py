"""Operator routes: one retention run, for schedulers that can only call a URL (Vercel cron).

Not a tenant's route: it is authorized by the deployment's cron secret (CRON_SECRET, sent
as `Authorization: Bearer <secret>`, as Vercel's cron does), never by an API key.
"""

import hmac
from typing import Any

from litestar import Request, Router, get
from litestar.di import NamedDependency, Provide

from domain.errors import Unauthorized
from entrypoints.engine import Engine
from entrypoints.http import problem as p
from entrypoints.http.auth import bearer_token
from entrypoints.http.problem import documented
from entrypoints.http.responses import RetentionOut


@get(
    "/retention",
    summary="Run retention once",
    operation_id="run_retention",
    sync_to_thread=True,
    tags=["admin"],
    responses=documented(p.UNAUTHORIZED, p.INTERNAL),
)
def run_retention(*, request: Request[Any, Any, Any], engine: NamedDependency[Engine],
                  cron_secret: NamedDependency[str | None]) -> RetentionOut:
    """Delete, across tenants, what has outlived its retention (expired receipts), and
    say how many of each kind; 401 unless the cron secret is configured and presented."""
    token = bearer_token(request)
    if not cron_secret or not hmac.compare_digest(token.encode(), cron_secret.encode()):
        raise Unauthorized("this route needs the deployment's CRON_SECRET as the bearer token")
    report = engine.retention_run()
    return RetentionOut(now=report.now, deleted=dict(report.deleted))


def router(*, engine: Engine, cron_secret: str | None) -> Router:
    """The /api/admin routes over `engine`."""
    return Router(
        path="/api/admin",
        route_handlers=[run_retention],
        dependencies={
            "engine": Provide(lambda: engine, sync_to_thread=False),
            "cron_secret": Provide(lambda: cron_secret, sync_to_thread=False),
        },
    )
