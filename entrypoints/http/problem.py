"""RFC 9457 problem details: every error, domain or HTTP, mapped once to problem+json."""

from __future__ import annotations

import logging
from typing import Any

import attrs
import msgspec
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException

from domain import errors
from domain.records import Record

log = logging.getLogger("kata_context.http")

PROBLEM_JSON = "application/problem+json"
PROBLEM_BASE = "/api/problems/"
DEFAULT_RETRY_AFTER = 2
# What Litestar says when the client goes away while the body is read.
CLIENT_GONE = "client disconnected prematurely"


@attrs.frozen(kw_only=True, repr=False, eq=False)
class ProblemType(Record):
    """One kind of problem: its stable type URI, status and title."""

    slug: str
    status: int
    title: str
    description: str

    @property
    def uri(self) -> str:
        """The stable `type` member (a path on this API, so it resolves)."""
        return PROBLEM_BASE + self.slug


def _t(slug: str, status: int, title: str, description: str) -> ProblemType:
    return ProblemType(slug=slug, status=status, title=title, description=description)


BAD_REQUEST = _t(
    "bad-request", 400, "Bad request", "The request could not be read (malformed JSON or header)."
)
UNAUTHORIZED = _t("unauthorized", 401, "Unauthorized", "Missing, unknown or revoked API key.")
NOT_FOUND = _t("not-found", 404, "Not found", "No such route.")
CONTEXT_NOT_FOUND = _t(
    "context-not-found",
    404,
    "Context not found",
    "No such context for this tenant (or it was deleted).",
)
RECEIPT_NOT_FOUND = _t(
    "receipt-not-found",
    404,
    "Receipt not found",
    "No such receipt of this context for this tenant (or it has expired).",
)
METHOD_NOT_ALLOWED = _t(
    "method-not-allowed", 405, "Method not allowed", "The route exists, the method does not."
)
VERSION_CONFLICT = _t(
    "version-conflict",
    409,
    "Version conflict",
    "expected_version does not match the head; `current_version` says what it is.",
)
SUMMARY_NOT_SHORTER = _t(
    "summary-not-shorter",
    409,
    "Summary not shorter",
    "The summary would not be shorter than what it stands in for, so it was not written; "
    "`summary_tokens` and `covered_tokens` give the figures.",
)
NOT_REVERTIBLE = _t(
    "not-revertible",
    409,
    "Not revertible",
    "Only the compaction in force (the newest summary not reverted) can be reverted.",
)
NOTHING_TO_COMPACT = _t(
    "nothing-to-compact",
    409,
    "Nothing to compact",
    "The active history is below the threshold or too short to summarize.",
)
PAYLOAD_TOO_LARGE = _t(
    "payload-too-large", 413, "Payload too large", "The body exceeds the size limit."
)
UNSUPPORTED_MEDIA_TYPE = _t(
    "unsupported-media-type", 415, "Unsupported media type", "Bodies must be application/json."
)
VALIDATION = _t(
    "validation-error",
    422,
    "Validation failed",
    "A field or parameter has the wrong type, is missing, or is out of range; see `errors`.",
)
INVALID_INPUT = _t("invalid-input", 422, "Invalid input", "A value breaks a domain rule.")
EMPTY_BATCH = _t("empty-batch", 422, "Empty batch", "An append needs at least one entry.")
DIMENSION_MISMATCH = _t(
    "dimension-mismatch",
    422,
    "Embedding dimension mismatch",
    "The embedding's length differs from the deployment's dimension.",
)
VERSION_OUT_OF_RANGE = _t(
    "version-out-of-range", 422, "Version out of range", "A version outside 0..head was asked for."
)
BUDGET_TOO_SMALL = _t(
    "budget-too-small",
    422,
    "Budget too small",
    "The pinned entries alone do not fit the budget minus the reserve.",
)
WINDOW_TOO_LARGE = _t(
    "window-too-large",
    422,
    "Window too large",
    "The window would take more tokens (budget minus reserve) or entries than one request "
    "may (KATA_WINDOW_MAX_TOKENS, KATA_WINDOW_MAX_ENTRIES); the body says which "
    "(resource), the limit and what was asked. Nothing was recorded.",
)
IDEMPOTENCY_KEY_REUSED = _t(
    "idempotency-key-reused",
    422,
    "Idempotency key reused",
    "The Idempotency-Key was already used with a different payload.",
)
UNKNOWN_PARAMETER = _t(
    "unknown-parameter",
    400,
    "Unknown query parameter",
    "The route takes no query parameter of this name; `parameters` lists the unknown ones.",
)
JSON_TOO_DEEP = _t(
    "json-too-deep",
    400,
    "JSON nested too deeply",
    "The body nests arrays and objects deeper than the limit; nothing was parsed or stored.",
)
# 403, not 429 or 413: the tenant may not store more until data is removed or the limit
# raised; the same request will keep failing (429 says a later retry succeeds, 413 that
# this one request is too big).
QUOTA_EXCEEDED = _t(
    "quota-exceeded",
    403,
    "Quota exceeded",
    "The append would take the tenant past its quota of stored entries or bytes; nothing "
    "was stored. The body says which (resource), the limit, what is used and what was asked.",
)
INTERNAL = _t(
    "internal-error", 500, "Internal server error", "Something failed on our side; it was logged."
)
SERVICE_UNAVAILABLE = _t(
    "service-unavailable",
    503,
    "Service unavailable",
    "The store cannot be reached right now; retry after `Retry-After` seconds. "
    "Nothing was half-written.",
)

ALL: tuple[ProblemType, ...] = (
    BAD_REQUEST, UNAUTHORIZED, NOT_FOUND, CONTEXT_NOT_FOUND, METHOD_NOT_ALLOWED,
    VERSION_CONFLICT, NOTHING_TO_COMPACT, SUMMARY_NOT_SHORTER, NOT_REVERTIBLE, PAYLOAD_TOO_LARGE,
    UNSUPPORTED_MEDIA_TYPE,
    VALIDATION, INVALID_INPUT, EMPTY_BATCH, DIMENSION_MISMATCH, VERSION_OUT_OF_RANGE,
    BUDGET_TOO_SMALL, WINDOW_TOO_LARGE, IDEMPOTENCY_KEY_REUSED, UNKNOWN_PARAMETER,
    JSON_TOO_DEEP, QUOTA_EXCEEDED, INTERNAL, SERVICE_UNAVAILABLE, RECEIPT_NOT_FOUND,
)  # fmt: skip

# Most specific first: lookup walks the exception's MRO.
_DOMAIN: dict[type[errors.KataError], ProblemType] = {
    errors.Unauthorized: UNAUTHORIZED,
    errors.StoreUnavailable: SERVICE_UNAVAILABLE,
    errors.ContextNotFound: CONTEXT_NOT_FOUND,
    errors.ReceiptNotFound: RECEIPT_NOT_FOUND,
    errors.VersionConflict: VERSION_CONFLICT,
    errors.NothingToCompact: NOTHING_TO_COMPACT,
    errors.SummaryNotShorter: SUMMARY_NOT_SHORTER,
    errors.NotRevertible: NOT_REVERTIBLE,
    errors.EmptyBatch: EMPTY_BATCH,
    errors.DimensionMismatch: DIMENSION_MISMATCH,
    errors.VersionOutOfRange: VERSION_OUT_OF_RANGE,
    errors.BudgetTooSmall: BUDGET_TOO_SMALL,
    errors.WindowTooLarge: WINDOW_TOO_LARGE,
    errors.IdempotencyKeyReused: IDEMPOTENCY_KEY_REUSED,
    errors.QuotaExceeded: QUOTA_EXCEEDED,
    errors.InvalidInput: INVALID_INPUT,
}

_HTTP: dict[int, ProblemType] = {
    400: BAD_REQUEST,
    401: UNAUTHORIZED,
    404: NOT_FOUND,
    405: METHOD_NOT_ALLOWED,
    413: PAYLOAD_TOO_LARGE,
    415: UNSUPPORTED_MEDIA_TYPE,
    422: VALIDATION,
}


class Problem(msgspec.Struct, kw_only=True, omit_defaults=True):
    """An RFC 9457 problem details object (extension members are added per kind)."""

    type: str
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None


class Refused(HTTPException):
    """A request refused before its handler ran (a guard), as one kind of problem."""

    def __init__(self, kind: ProblemType, detail: str, **extensions: Any) -> None:
        super().__init__(status_code=kind.status, detail=detail)
        self.kind = kind
        self.extensions = extensions


def problem_response(
    kind: ProblemType,
    request: Request[Any, Any, Any],
    *,
    detail: str | None = None,
    headers: dict[str, str] | None = None,
    **extensions: Any,
) -> Response[Any]:
    """A problem+json response of `kind` about this request."""
    body: dict[str, Any] = {
        "type": kind.uri,
        "title": kind.title,
        "status": kind.status,
        "instance": request.url.path,
    }
    if detail:
        body["detail"] = detail
    body.update({k: v for k, v in extensions.items() if v is not None})
    return Response(content=body, status_code=kind.status, media_type=PROBLEM_JSON, headers=headers)


def _domain_kind(exc: errors.KataError) -> ProblemType:
    for cls in type(exc).__mro__:
        if cls in _DOMAIN:
            return _DOMAIN[cls]
    return INVALID_INPUT


def domain_error(request: Request[Any, Any, Any], exc: errors.KataError) -> Response[Any]:
    """Map a domain error to its problem (the messages are written for clients)."""
    kind = _domain_kind(exc)
    extra: dict[str, Any] = {}
    if isinstance(exc, errors.VersionConflict):
        extra = {"expected_version": exc.expected, "current_version": exc.current}
    elif isinstance(exc, errors.VersionOutOfRange):
        extra = {"version": exc.version, "head_version": exc.head}
    elif isinstance(exc, errors.BudgetTooSmall):
        extra = {"needed": exc.needed, "available": exc.available}
    elif isinstance(exc, errors.DimensionMismatch):
        extra = {"expected_dimension": exc.expected, "dimension": exc.got}
    elif isinstance(exc, errors.ContextNotFound):
        extra = {"context_id": exc.context_id}
    elif isinstance(exc, errors.QuotaExceeded):
        extra = {
            "resource": exc.resource,
            "limit": exc.limit,
            "used": exc.used,
            "requested": exc.requested,
        }
    elif isinstance(exc, errors.WindowTooLarge):
        extra = {"resource": exc.resource, "limit": exc.limit, "requested": exc.requested}
    elif isinstance(exc, errors.ReceiptNotFound):
        extra = {"receipt_id": exc.receipt_id}
    elif isinstance(exc, errors.SummaryNotShorter):
        extra = {"summary_tokens": exc.summary_tokens, "covered_tokens": exc.covered_tokens}
    headers = {"WWW-Authenticate": "Bearer"} if kind is UNAUTHORIZED else None
    if kind is SERVICE_UNAVAILABLE:
        headers = {"Retry-After": str(retry_after(request))}
        log.warning("store unavailable on %s %s: %s", request.method, request.url.path, exc)
    return problem_response(kind, request, detail=str(exc), headers=headers, **extra)


def retry_after(request: Request[Any, Any, Any]) -> int:
    """The app's Retry-After for 503s (create_app puts it in the app's state)."""
    return int(getattr(request.app.state, "retry_after_seconds", DEFAULT_RETRY_AFTER))


def http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    """Map Litestar's HTTP errors (routing, body limits, validation) to problems."""
    if isinstance(exc, Refused):
        return problem_response(exc.kind, request, detail=exc.detail, **exc.extensions)
    if exc.status_code >= 500 and exc.detail == CLIENT_GONE:
        # Not a failure of ours: the client hung up while its body was being read.
        log.info("client disconnected during %s %s", request.method, request.url.path)
        return problem_response(BAD_REQUEST, request, detail="the client disconnected")
    if exc.status_code >= 500:
        return internal_error(request, exc)
    status = exc.status_code
    errs: Any = None
    if isinstance(exc, ValidationException):
        # Litestar says 400 for fields and parameters that fail their schema: to clients
        # that is an unprocessable request, distinct from one that cannot be parsed.
        status, errs = 422, exc.extra
    kind = _HTTP.get(status, BAD_REQUEST)
    if kind is BAD_REQUEST and "surrogate" in str(exc.detail):
        # msgspec refuses a JSON escape of a lone surrogate while parsing; the JSON is
        # well formed, the text is what no store can keep: the same 422 as a NUL.
        return problem_response(
            INVALID_INPUT, request, detail="text contains a lone surrogate (not valid Unicode)"
        )
    detail = exc.detail
    if status == 413:
        detail = "the request body exceeds the size limit"
    elif isinstance(exc, ValidationException):
        # Litestar's text repeats the whole URL, query string and all (a 20k query too).
        detail = f"validation failed for {request.method} {request.url.path}; see `errors`"
    headers = dict(exc.headers or {}) or None
    return problem_response(kind, request, detail=detail, headers=headers, errors=errs)


def internal_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """Log the failure with its traceback; tell the client nothing of the internals."""
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem_response(INTERNAL, request, detail="an unexpected error occurred")


EXCEPTION_HANDLERS: dict[int | type[Exception], Any] = {
    errors.KataError: domain_error,
    HTTPException: http_error,
    Exception: internal_error,
}


def documented(*kinds: ProblemType) -> dict[int, Any]:
    """OpenAPI `responses` entries for the problems a route can answer with."""
    from litestar.openapi.datastructures import ResponseSpec

    by_status: dict[int, list[ProblemType]] = {}
    for k in dict.fromkeys(kinds):  # routes share lists of kinds; each is documented once
        by_status.setdefault(k.status, []).append(k)
    return {
        status: ResponseSpec(
            data_container=Problem,
            media_type=PROBLEM_JSON,
            description="; ".join(f"{k.title} ({k.uri})" for k in ks),
        )
        for status, ks in by_status.items()
    }
