"""`kata-context`: serve the API locally, run migrations, manage API keys, change policies,
run retention."""

from __future__ import annotations

import argparse
import os
import signal
import sys
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from entrypoints.local import DEFAULT_DATA_DIR, LOCAL_TENANT, embedded_database, local_key
from entrypoints.settings import Settings

if TYPE_CHECKING:
    from entrypoints.compose import Adapters


def _common(*, defaults: bool) -> argparse.ArgumentParser:
    # Accepted before or after the command; only the top level sets defaults, so a value
    # given after the command is not overwritten by the top level's default.
    p = argparse.ArgumentParser(add_help=False)
    data_dir = Path(os.environ.get("KATA_DATA_DIR", DEFAULT_DATA_DIR))
    p.add_argument(
        "--data-dir",
        type=Path,
        default=data_dir if defaults else argparse.SUPPRESS,
        help="local folder for the embedded PostgreSQL and the local key (default: .data)",
    )
    p.add_argument(
        "--database-url",
        default=None if defaults else argparse.SUPPRESS,
        help="an existing PostgreSQL (default: DATABASE_URL_DIRECT / DATABASE_URL, "
        "else the embedded one under --data-dir)",
    )
    return p


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="kata-context",
        description="Kata Context: versioned context windows for AI agents.",
        parents=[_common(defaults=True)],
    )
    # `kata-context` alone serves, with serve's defaults.
    p.set_defaults(store="postgres", host="127.0.0.1", port=8000, no_access_log=False)
    sub = p.add_subparsers(dest="command")
    common = [_common(defaults=False)]

    serve = sub.add_parser("serve", parents=common, help="run the HTTP API (the default)")
    serve.add_argument("--store", choices=("postgres", "memory"), default="postgres")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--no-access-log", action="store_true", help="do not log each request")

    migrate = sub.add_parser("migrate", parents=common, help="apply pending migrations")
    migrate.add_argument(
        "--app-role",
        default=None,
        help="then make (if missing) and grant the role the service connects as "
        "(row-level security applies to it; default: KATA_APP_ROLE, else none)",
    )
    sub.add_parser("status", parents=common, help="show each migration and whether it is applied")
    sub.add_parser(
        "verify", parents=common, help="fail unless every migration is applied and unchanged"
    )

    keys = sub.add_parser("keys", parents=common, help="manage API keys").add_subparsers(
        dest="keys_command"
    )
    create = keys.add_parser("create", parents=common, help="make a key (printed once)")
    create.add_argument("--tenant", required=True)
    create.add_argument("--label", default="")
    listing = keys.add_parser("list", parents=common, help="list keys (never their secrets)")
    listing.add_argument("--tenant", default=None)
    revoke = keys.add_parser("revoke", parents=common, help="revoke a key by id or unique prefix")
    revoke.add_argument("key")

    contexts = sub.add_parser("contexts", parents=common, help="inspect and change contexts")
    policy = contexts.add_subparsers(dest="contexts_command").add_parser(
        "policy", parents=common, help="show a context's policy, or change some of its fields"
    )
    policy.add_argument("context_id")
    policy.add_argument("--tenant", default=LOCAL_TENANT, help="the context's tenant")
    policy.add_argument(
        "--set",
        dest="changes",
        action="append",
        default=[],
        metavar="FIELD=VALUE",
        help="a policy field to change (repeatable); the others stay as they are",
    )
    retention = sub.add_parser(
        "retention", parents=common, help="delete what has outlived its retention"
    ).add_subparsers(dest="retention_command")
    retention.add_parser(
        "run",
        parents=common,
        help="run retention once (for deployments without a scheduler) and print the counts",
    )
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; the exit code says whether it worked."""
    args = _parser().parse_args(argv)
    command = args.command or "serve"
    try:
        if command == "serve":
            return _serve(args)
        if command in ("migrate", "status", "verify"):
            return _migrations(command, args)
        if command in ("keys", "contexts", "retention"):
            from entrypoints import admin

            run = {
                "keys": admin.keys_command,
                "contexts": admin.contexts_command,
                "retention": admin.retention_command,
            }[command]
            return run(args, opened=_opened)
    except Exception as err:  # a CLI answers with a line, not a traceback
        if os.environ.get("KATA_DEBUG"):
            raise
        print(f"kata-context: {type(err).__name__}: {err}", file=sys.stderr)
        return 1
    _parser().print_help()
    return 2


@contextmanager
def _database(args: argparse.Namespace) -> Iterator[str]:
    """The URL given or in the environment, else the embedded server (started here)."""
    url = args.database_url or _env_database_url()
    if url:
        yield url
        return
    with embedded_database(args.data_dir) as embedded:
        yield embedded


@contextmanager
def _opened(args: argparse.Namespace) -> Iterator[Adapters]:
    # The stores over the command's database, migrated first, open for the block.
    from entrypoints.compose import opened_postgres_adapters
    from migrations import migrate

    with _database(args) as url:
        migrate(url, dimension=Settings.from_env().dimension)
        with opened_postgres_adapters(url) as adapters:
            yield adapters


def _migrations(command: str, args: argparse.Namespace) -> int:
    from migrations import migrate, status, verify

    with _database(args) as url:
        if command == "migrate":
            settings = Settings.from_env()
            done = migrate(url, dimension=settings.dimension)
            print("applied: " + ", ".join(done) if done else "up to date")
            role = getattr(args, "app_role", None) or settings.app_role
            if role:
                from migrations.roles import grant_app_role

                grant_app_role(url, role=role, password=settings.app_password)
                print(f"granted: role {role} (row-level security applies to it)")
        elif command == "status":
            for s in status(url):
                state = "applied" if s.applied else "pending"
                if s.changed:
                    state = "CHANGED since applied"
                if s.missing_file:
                    state = "applied, FILE MISSING"
                print(f"{s.name:32} {state}")
        else:
            verify(url)
            print("verified: every migration is applied and unchanged")
    return 0


def _serve(args: argparse.Namespace) -> int:
    from entrypoints.deferred import defer_unused_imports

    defer_unused_imports()  # before Litestar imports them: PyYAML, pdb
    import uvicorn
    from uvicorn.config import LOGGING_CONFIG

    from entrypoints.compose import build_app
    from entrypoints.http.server import protocol_class
    from entrypoints.logs import json_logging_config

    settings = Settings.from_env()
    with ExitStack() as stack:
        adapters, secret, where = _local_adapters(args, settings, stack)
        app = build_app(adapters, settings, env=os.environ)
        base = f"http://{args.host}:{args.port}"
        print(f"Kata Context on {base}  (store: {where})", flush=True)
        print(f"  docs:    {base}/api/docs", flush=True)
        print(f"  OpenAPI: {base}/api/openapi.json", flush=True)
        print(f"  API key: {secret}   (tenant 'local'; kept in {args.data_dir})", flush=True)
        # uvicorn re-raises SIGTERM after its graceful shutdown; as SystemExit it unwinds
        # this ExitStack, so the embedded PostgreSQL stops too instead of being left behind.
        signal.signal(signal.SIGTERM, _exit_on_sigterm)
        json_logs = settings.log_format == "json"
        log_config = json_logging_config() if json_logs else LOGGING_CONFIG
        uvicorn.run(
            app,
            host=args.host,
            port=args.port,
            workers=1,
            # JSON logs have their own access line (with the request id), from the app.
            access_log=not args.no_access_log and not json_logs,
            log_level="info",
            http=protocol_class(
                max_head_bytes=settings.max_header_bytes,
                head_timeout=settings.header_timeout_seconds,
            ),
            h11_max_incomplete_event_size=settings.max_header_bytes,
            log_config=log_config,
        )
    return 0


def _local_adapters(
    args: argparse.Namespace, settings: Settings, stack: ExitStack
) -> tuple[Adapters, str, str]:
    # The stores `serve` runs on, the local tenant's key, and where the data is kept. The
    # embedded server (when no URL is given) stays up until `stack` closes.
    from adapters.system import SystemClock
    from entrypoints.compose import memory_adapters, opened_postgres_adapters, postgres_adapters

    if args.store == "memory":
        adapters = memory_adapters(quota=settings.quota)
        secret = local_key(adapters.keys, args.data_dir, clock=SystemClock())
        return adapters, secret, "in memory (nothing is kept)"
    from migrations import migrate

    given = args.database_url or _env_database_url()
    url = stack.enter_context(_database(args))
    migrate(url, dimension=settings.dimension)
    served = _service_url(url, settings, embedded=not given)
    # Prepared statements save each statement's planning (append 1.09 -> 0.78 ms): safe on
    # the embedded server, which no pooler stands in front of.
    prepare = settings.prepare_statements
    adapters = postgres_adapters(
        served,
        min_size=2,
        max_size=8,
        prepare=not given if prepare is None else prepare,
        timeout=settings.pool_timeout,
        quota=settings.quota,
    )
    with opened_postgres_adapters(url) as setup:
        secret = local_key(setup.keys, args.data_dir, clock=SystemClock())
    where = (
        f"PostgreSQL at {_describe(url)}"
        if given
        else f"embedded PostgreSQL in {args.data_dir / 'postgres'}"
    )
    return adapters, secret, where


def _service_url(url: str, settings: Settings, *, embedded: bool) -> str:
    # The service connects as a role row-level security applies to: on the embedded server
    # one made here (kata_app unless KATA_APP_ROLE names another); on a given database
    # the URL's own role, unless KATA_APP_ROLE asks for the same set-up there.
    from migrations.roles import DEFAULT_APP_ROLE, app_url, grant_app_role

    role = settings.app_role or (DEFAULT_APP_ROLE if embedded else None)
    if role is None:
        return url
    grant_app_role(url, role=role, password=settings.app_password)
    return app_url(url, role=role, password=settings.app_password)


def _describe(url: str) -> str:
    """Where a connection URL points, without its user or password."""
    from psycopg.conninfo import conninfo_to_dict

    parts = conninfo_to_dict(url)
    host = parts.get("host") or "local socket"
    return f"{host}:{parts.get('port') or 5432}/{parts.get('dbname') or ''}"


def _env_database_url() -> str | None:
    return os.environ.get("DATABASE_URL_DIRECT") or os.environ.get("DATABASE_URL")


def _exit_on_sigterm(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


if __name__ == "__main__":
    raise SystemExit(main())
