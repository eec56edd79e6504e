"""Per-request observation: a request id (accepted from and returned in X-Request-Id),
metrics by route template, a JSON access line, and an OpenTelemetry span when tracing is
on (by default: when an OpenTelemetry SDK is installed; `tracer_for`).

A pure ASGI middleware, so the hot path pays for a clock read, a few dict updates and a
header, not for a framework layer.
"""

from __future__ import annotations

import importlib.util
import logging
import re
import time
import uuid
from typing import Any

from litestar.types import ASGIApp, Receive, Send

from entrypoints.http.metrics import Metrics
from entrypoints.logs import REQUEST_ID

# ASGI scopes and messages as plain dicts (Litestar's TypedDicts union in websockets).
Scope = dict[str, Any]
Message = dict[str, Any]

REQUEST_ID_HEADER = b"x-request-id"
# A client's id is kept when it is short printable text without spaces; else one is made.
_GOOD_ID = re.compile(rb"[A-Za-z0-9._:\-]{1,128}")
access = logging.getLogger("kata_context.access")


def tracer_for(tracing: bool | None) -> Any:
    """The OpenTelemetry tracer requests are spanned with, or None for no spans.

    True: the API's tracer, whatever provider the process sets (None without the
    opentelemetry package). False: none. None (KATA_TRACING unset): the tracer only when
    an OpenTelemetry SDK is installed; without one the API records nothing, and importing
    it would cost every cold start and each request a span that goes nowhere.
    """
    if tracing is False:
        return None
    if tracing is None:
        try:
            if importlib.util.find_spec("opentelemetry.sdk") is None:
                return None
        except ModuleNotFoundError:  # no opentelemetry at all
            return None
    try:
        from opentelemetry import trace
    except ImportError:
        return None
    return trace.get_tracer("kata_context")


def _request_id(scope: Scope) -> bytes:
    for name, value in scope["headers"]:
        if name == REQUEST_ID_HEADER:
            if _GOOD_ID.fullmatch(value):
                return bytes(value)
            break
    return uuid.uuid4().hex.encode()


def observer(
    metrics: Metrics | None, *, access_log: bool, tracing: bool | None
) -> Any:  # a Litestar middleware factory
    """The middleware: counts into `metrics` (None: no metrics), logs each request as JSON
    when `access_log`, and spans each request with `tracer_for(tracing)`'s tracer."""
    tracer = tracer_for(tracing)

    def middleware(app: ASGIApp) -> ASGIApp:
        async def observe(scope: Any, receive: Receive, send: Send) -> None:
            if scope["type"] != "http":
                await app(scope, receive, send)
                return
            start = time.perf_counter()
            rid = _request_id(scope)
            token = REQUEST_ID.set(rid.decode())
            status = 500

            async def send_with_id(message: Any) -> None:
                nonlocal status
                if message["type"] == "http.response.start":
                    status = message["status"]
                    headers = list(message.get("headers") or ())
                    headers.append((REQUEST_ID_HEADER, rid))
                    message = {**message, "headers": headers}
                await send(message)

            span = tracer.start_as_current_span(f"HTTP {scope['method']}") if tracer else None
            try:
                if span is None:
                    await app(scope, receive, send_with_id)
                else:
                    with span as current:
                        await app(scope, receive, send_with_id)
                        _annotate(current, scope, status, rid)
            finally:
                REQUEST_ID.reset(token)
                _finish(
                    metrics,
                    scope,
                    status=status,
                    seconds=time.perf_counter() - start,
                    rid=rid,
                    access_log=access_log,
                )

        return observe

    return middleware


def _finish(
    metrics: Metrics | None,
    scope: Scope,
    *,
    status: int,
    seconds: float,
    rid: bytes,
    access_log: bool,
) -> None:
    route = scope.get("path_template") or "unmatched"
    handler = scope.get("route_handler")
    operation = getattr(handler, "operation_id", None)
    if metrics is not None:
        metrics.observe(
            method=scope["method"],
            route=route,
            status=status,
            seconds=seconds,
            operation=operation if isinstance(operation, str) else None,
        )
    if access_log and access.isEnabledFor(logging.INFO):
        # The record made directly: Logger.info would walk the (deep, async) stack for the
        # caller's file and line on every request, which an access line never shows.
        record = access.makeRecord(
            access.name, logging.INFO, __file__, 0, "request", (), None,
            extra={
                "request_id": rid.decode(),
                "method": scope["method"],
                "route": route,
                "path": scope["path"],
                "status": status,
                "duration_ms": round(seconds * 1000, 3),
            },
        )
        access.handle(record)


def _annotate(span: Any, scope: Scope, status: int, rid: bytes) -> None:
    route = scope.get("path_template") or "unmatched"
    span.update_name(f"{scope['method']} {route}")
    span.set_attribute("http.request.method", scope["method"])
    span.set_attribute("http.route", route)
    span.set_attribute("http.response.status_code", status)
    span.set_attribute("kata.request_id", rid.decode())
