"""What the sync and async clients share: settings, headers, retry rules, answers read."""

from __future__ import annotations

from typing import Any, TypeVar

import attrs
import httpx

from domain.model import AppendResult
from entrypoints.client.calls import Call
from entrypoints.client.problems import error_from

T = TypeVar("T")

# Statuses that say "try again": the request may not have been processed.
RETRY_STATUSES = frozenset({502, 503, 504})
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=5.0)
DEFAULT_LIMITS = httpx.Limits(max_connections=20, max_keepalive_connections=10)


def client_options(
    base_url: str,
    api_key: str | None,
    *,
    timeout: httpx.Timeout | float | None,
    limits: httpx.Limits | None,
) -> dict[str, Any]:
    """Keyword arguments for httpx.Client / AsyncClient: one pool per Kata client."""
    headers = {"Accept": "application/json", "User-Agent": "kata-context-client"}
    if api_key:
        headers["Authorization"] = f"Bearer {api_key}"
    return {
        "base_url": base_url.rstrip("/"),
        "headers": headers,
        "timeout": DEFAULT_TIMEOUT if timeout is None else timeout,
        "limits": limits or DEFAULT_LIMITS,
    }


def may_retry(call: Call[Any], error: Exception | None, status: int | None) -> bool:
    """Whether a failed try may be repeated: always when the request never left (a
    connection that could not be made), else only for a call marked safe to repeat."""
    if isinstance(error, (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)):
        return True
    if not call.retry:
        return False
    if error is not None:
        return isinstance(error, httpx.TransportError)
    return status in RETRY_STATUSES


def backoff(attempt: int, base: float) -> float:
    """Seconds to wait before try `attempt` (1-based): doubling, at most 2 s."""
    return float(min(2.0, base * 2 ** (attempt - 1)))


def request_kwargs(call: Call[Any]) -> dict[str, Any]:
    """httpx.request arguments for a Call."""
    out: dict[str, Any] = {"params": dict(call.params), "headers": dict(call.headers)}
    if call.json is not None:
        out["json"] = call.json
    return out


def read_answer(call: Call[T], response: httpx.Response, tenant: str) -> T:
    """The decoded answer, or the domain error its problem+json stands for."""
    if response.status_code >= 400:
        try:
            body: Any = response.json()
        except ValueError:
            body = response.text
        raise error_from(
            response.status_code, body, idempotency_key=call.headers.get("Idempotency-Key")
        )
    body = response.json() if response.content else None
    result = call.decode(body, tenant)
    if call.own_key and isinstance(result, AppendResult) and result.replayed:
        # Our own retry found the first try's append: to the caller this call wrote it.
        return attrs.evolve(result, replayed=False)
    return result
