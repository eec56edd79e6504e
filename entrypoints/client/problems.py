"""Problem+json answers become the domain's typed errors, with the fields they carry.

A 409 version-conflict raises VersionConflict with `.current` (the head) and `.expected`,
exactly as the in-process engine does; problems that only HTTP has (a 500, a 413...)
raise ApiError, a KataError too.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from domain import errors


class ApiError(errors.KataError):
    """An HTTP problem with no domain error of its own (server error, body too large...)."""

    title = "API error"

    def __init__(self, *, status: int, type: str, detail: str, body: Mapping[str, Any]) -> None:
        super().__init__(f"{status} {type}: {detail}")
        self.status = status
        self.type = type
        self.detail = detail
        self.body = dict(body)


def _detail(p: Mapping[str, Any]) -> str:
    return str(p.get("detail") or p.get("title") or "")


def _invalid(p: Mapping[str, Any], _key: str | None) -> errors.KataError:
    found = p.get("errors")
    detail = _detail(p)
    if found:
        detail += ": " + "; ".join(
            f"{e.get('key', '?')}: {e.get('message', '')}" for e in found if isinstance(e, dict)
        )
    return errors.InvalidInput(detail)


def _not_found(p: Mapping[str, Any], _key: str | None) -> errors.KataError:
    return errors.ContextNotFound(str(p.get("context_id", "")))


def _conflict(p: Mapping[str, Any], _key: str | None) -> errors.KataError:
    return errors.VersionConflict(expected=p["expected_version"], current=p["current_version"])


def _out_of_range(p: Mapping[str, Any], _key: str | None) -> errors.KataError:
    return errors.VersionOutOfRange(version=p["version"], head=p["head_version"])


def _budget(p: Mapping[str, Any], _key: str | None) -> errors.KataError:
    return errors.BudgetTooSmall(needed=p["needed"], available=p["available"])


def _dimension(p: Mapping[str, Any], _key: str | None) -> errors.KataError:
    return errors.DimensionMismatch(expected=p["expected_dimension"], got=p["dimension"])


def _reused(_p: Mapping[str, Any], key: str | None) -> errors.KataError:
    return errors.IdempotencyKeyReused(key or "")


_BY_SLUG: dict[str, Callable[[Mapping[str, Any], str | None], errors.KataError]] = {
    "invalid-input": lambda p, _k: errors.InvalidInput(_detail(p)),
    "validation-error": _invalid,
    "empty-batch": lambda _p, _k: errors.EmptyBatch(),
    "context-not-found": _not_found,
    "receipt-not-found": lambda p, _k: errors.ReceiptNotFound(str(p.get("receipt_id", ""))),
    "version-conflict": _conflict,
    "version-out-of-range": _out_of_range,
    "budget-too-small": _budget,
    "dimension-mismatch": _dimension,
    "idempotency-key-reused": _reused,
    "nothing-to-compact": lambda p, _k: errors.NothingToCompact(_detail(p)),
    "unauthorized": lambda p, _k: errors.Unauthorized(_detail(p)),
}


def error_from(status: int, body: Any, *, idempotency_key: str | None = None) -> errors.KataError:
    """The error an answer of `status` with this body stands for."""
    problem: Mapping[str, Any] = body if isinstance(body, Mapping) else {}
    kind = str(problem.get("type", ""))
    slug = kind.rsplit("/", 1)[-1]
    make = _BY_SLUG.get(slug)
    if make is not None:
        try:
            return make(problem, idempotency_key)
        except KeyError:
            pass  # a problem without its documented members: report it as it came
    detail = _detail(problem) or (body if isinstance(body, str) else "")
    return ApiError(status=status, type=kind or "about:blank", detail=str(detail), body=problem)
