"""Deployment settings, read from the environment at the composition root only."""

from __future__ import annotations

import os
from collections.abc import Mapping

import attrs

from domain.quota import Quota
from domain.records import Record
from domain.retention import DEFAULT_DAYS, RetentionDays

MIB = 1024 * 1024


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"{name} must be an integer, got {raw!r}") from None


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError:
        raise ValueError(f"{name} must be a number, got {raw!r}") from None


def _choice(env: Mapping[str, str], name: str, choices: tuple[str, ...], default: str) -> str:
    raw = (env.get(name) or "").strip().lower()
    if not raw:
        return default
    if raw not in choices:
        raise ValueError(f"{name} must be one of {', '.join(choices)}, got {raw!r}")
    return raw


def _flag(env: Mapping[str, str], name: str) -> bool | None:
    raw = (env.get(name) or "").strip().lower()
    if not raw:
        return None
    if raw in ("1", "true", "on", "yes"):
        return True
    if raw in ("0", "false", "off", "no"):
        return False
    raise ValueError(f"{name} must be 1 or 0, got {raw!r}")


@attrs.frozen(kw_only=True, repr=False, eq=False)
class Settings(Record):
    """Limits and connections of one deployment (defaults suit local use)."""

    max_body_bytes: int = MIB
    max_metadata_bytes: int = 16 * 1024
    max_metadata_depth: int = 8
    # How long a verified API key is trusted without asking the store again (0: never).
    key_cache_seconds: float = 10.0
    dimension: int = 1536
    database_url: str | None = None
    database_url_direct: str | None = None
    pool_min: int = 1
    pool_max: int = 4
    # Seconds a request waits for a pool connection before answering 503.
    pool_timeout: float = 5.0
    # Seconds a client is told to wait (Retry-After) when the store is unavailable.
    retry_after_seconds: int = 2
    # Deepest JSON nesting a request body may have (checked before it is parsed).
    max_json_depth: int = 64
    # Request logs: "text" (uvicorn's) or "json" (one object per line, with a request id).
    log_format: str = "text"
    # `serve`: the largest request head (request line and headers), and how long reading
    # it may take, before the connection is answered 431 / 408 and closed.
    max_header_bytes: int = 32 * 1024
    header_timeout_seconds: float = 10.0
    # Prometheus metrics at /api/metrics.
    metrics: bool = True
    # OpenTelemetry spans per request: True (with the opentelemetry package), False, or
    # None: when an OpenTelemetry SDK is installed (entrypoints.http.observe.tracer_for).
    tracing: bool | None = None
    # Server-side prepared statements (None: the entrypoint decides: on for the embedded
    # server, off for a URL, which may lead through a transaction-mode pooler).
    prepare_statements: bool | None = None
    # The role the service connects as under row-level security (migrations/roles.py):
    # `serve` makes and grants it on the embedded server (and on a given URL when set).
    app_role: str | None = None
    app_password: str | None = None
    # Per-tenant quotas (domain/quota.py): stored messages and their text bytes; 0 is off.
    quota_entries: int = 0
    quota_bytes: int = 0
    title: str = "Kata Context"
    # Days a soft-deleted context stays restorable, and days a receipt is kept, unless a
    # context's policy says otherwise (domain.retention).
    retention_days: int = DEFAULT_DAYS
    receipt_retention_days: int = DEFAULT_DAYS
    # What one window may materialise: the tokens it may take (budget minus reserve) and
    # the entries it may hold (entrypoints.engine.limits.WindowLimits).
    window_max_tokens: int = 1_000_000
    window_max_entries: int = 10_000
    # What a scheduler presents to GET /api/admin/retention (Vercel sends CRON_SECRET).
    cron_secret: str | None = None

    @property
    def retention(self) -> RetentionDays:
        """The deployment's retention defaults."""
        return RetentionDays(
            deleted_contexts=self.retention_days, receipts=self.receipt_retention_days
        )

    @property
    def quota(self) -> Quota:
        """The per-tenant quota these settings ask for (off unless a limit is set)."""
        return Quota(max_entries=self.quota_entries, max_bytes=self.quota_bytes)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Settings from KATA_* variables and DATABASE_URL / DATABASE_URL_DIRECT."""
        env = os.environ if env is None else env
        return cls(
            max_body_bytes=_int(env, "KATA_MAX_BODY_BYTES", MIB),
            max_metadata_bytes=_int(env, "KATA_MAX_METADATA_BYTES", 16 * 1024),
            max_metadata_depth=_int(env, "KATA_MAX_METADATA_DEPTH", 8),
            dimension=_int(env, "KATA_EMBEDDING_DIMENSION", 1536),
            key_cache_seconds=float(env.get("KATA_KEY_CACHE_SECONDS") or 10.0),
            database_url=env.get("DATABASE_URL") or None,
            database_url_direct=env.get("DATABASE_URL_DIRECT") or env.get("DATABASE_URL") or None,
            pool_min=_int(env, "KATA_POOL_MIN", 1),
            pool_max=_int(env, "KATA_POOL_MAX", 4),
            pool_timeout=_float(env, "KATA_POOL_TIMEOUT", 5.0),
            retry_after_seconds=_int(env, "KATA_RETRY_AFTER_SECONDS", 2),
            max_json_depth=_int(env, "KATA_MAX_JSON_DEPTH", 64),
            log_format=_choice(env, "KATA_LOG_FORMAT", ("text", "json"), "text"),
            max_header_bytes=_int(env, "KATA_MAX_HEADER_BYTES", 32 * 1024),
            header_timeout_seconds=_float(env, "KATA_HEADER_TIMEOUT_SECONDS", 10.0),
            metrics=_flag(env, "KATA_METRICS") is not False,
            tracing=_flag(env, "KATA_TRACING"),
            prepare_statements=_flag(env, "KATA_PREPARED_STATEMENTS"),
            app_role=env.get("KATA_APP_ROLE") or None,
            app_password=env.get("KATA_APP_PASSWORD") or None,
            quota_entries=_int(env, "KATA_QUOTA_ENTRIES", 0),
            quota_bytes=_int(env, "KATA_QUOTA_BYTES", 0),
            retention_days=_int(env, "KATA_RETENTION_DAYS", DEFAULT_DAYS),
            receipt_retention_days=_int(env, "KATA_RECEIPT_RETENTION_DAYS", DEFAULT_DAYS),
            cron_secret=env.get("CRON_SECRET") or None,
            window_max_tokens=_int(env, "KATA_WINDOW_MAX_TOKENS", 1_000_000),
            window_max_entries=_int(env, "KATA_WINDOW_MAX_ENTRIES", 10_000),
        )
