"""The Vercel deployment: the ASGI app over PostgreSQL, built from the environment.

api/index.py calls production_app() at module level (Vercel wants a module-level `app`).

DATABASE_URL is the pooled URL the app serves from (Neon's -pooler host, PgBouncer...);
DATABASE_URL_DIRECT is the unpooled one migrations need. production_app() builds the app
and a *closed* pool (entrypoints/compose.py); the pool opens in the Litestar lifespan, so
an import never touches the network (Vercel imports once per cold start, then serves many requests).
Set KATA_MIGRATE_ON_START=1 to apply pending migrations at startup (advisory-locked);
otherwise run `kata-context migrate --database-url "$DATABASE_URL_DIRECT"` once per release.
"""

from __future__ import annotations

import os

from litestar import Litestar

from entrypoints.compose import build_app, postgres_adapters
from entrypoints.settings import Settings


def production_app(env: dict[str, str] | None = None) -> Litestar:
    """The app over the database named by the environment (one small pool per process)."""
    environ = dict(os.environ if env is None else env)
    settings = Settings.from_env(environ)
    if settings.log_format == "json":
        import logging.config

        from entrypoints.logs import json_logging_config

        logging.config.dictConfig(json_logging_config())
    if not settings.database_url:
        raise RuntimeError("DATABASE_URL is not set: the Vercel app needs a PostgreSQL URL")
    before = None
    if environ.get("KATA_MIGRATE_ON_START") == "1":
        direct = settings.database_url_direct

        def before() -> None:
            from migrations import migrate
            from migrations.roles import grant_app_role

            migrate(direct, dimension=settings.dimension)
            if settings.app_role:  # DATABASE_URL then connects as this role
                grant_app_role(direct, role=settings.app_role, password=settings.app_password)

    # Serverless: many instances share the database's connections; keep few, drop idle ones.
    adapters = postgres_adapters(
        settings.database_url,
        min_size=settings.pool_min,
        max_size=settings.pool_max,
        max_idle=30.0,
        # Off unless asked for: DATABASE_URL is meant to be a transaction-mode pooler.
        prepare=settings.prepare_statements is True,
        timeout=settings.pool_timeout,
        before=before,
        quota=settings.quota,
    )
    return build_app(adapters, settings, env=environ)
