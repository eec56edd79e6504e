"""Every endpoint as a Call: what to send and how to read the answer, with no I/O.

The sync and async clients run the same Calls, so they cannot drift apart; only the way
they wait differs.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Generic, TypeVar
from urllib.parse import quote

import attrs

from domain.errors import InvalidInput
from domain.model import (
    AppendResult,
    Context,
    ContextChanges,
    Entry,
    Erasure,
    Message,
    Page,
    Policy,
    PurgeResult,
    SearchHit,
)
from domain.receipts import Receipt, RecordedWindow
from domain.records import Record
from domain.window import Window
from entrypoints.client import wire

T = TypeVar("T")
V1 = "/api/v1"


@attrs.frozen(kw_only=True, repr=False, eq=False)
class Call(Record, Generic[T]):
    """One request and the decoder of its answer.

    `decode` takes the JSON body and the tenant (contexts carry it; the API leaves it
    implicit). `retry` says whether the request may be sent again after an answer was
    lost: reads, PATCHes and appends under an Idempotency-Key may; creating, forking,
    compacting and deleting may not (a request that never left is retried whatever it is).
    """

    method: str
    path: str
    decode: Callable[[Any, str], T]
    params: Mapping[str, Any] = attrs.field(factory=dict)
    json: Any = None
    headers: Mapping[str, str] = attrs.field(factory=dict)
    retry: bool = False
    needs_tenant: bool = False
    # The client made the Idempotency-Key: a replay is then its own retry, not the caller's.
    own_key: bool = False


def _ctx(context_id: str) -> str:
    if not context_id:
        raise InvalidInput("context_id must not be empty")
    return f"{V1}/contexts/{quote(context_id, safe='')}"


def _params(**given: Any) -> dict[str, Any]:
    return {k: v for k, v in given.items() if v is not None}


def _context(body: Any, tenant: str) -> Context:
    return wire.context_from(body, tenant)


def health() -> Call[dict[str, Any]]:
    """GET /api/health."""
    return Call(method="GET", path="/api/health", decode=lambda b, _t: dict(b), retry=True)


def whoami() -> Call[str]:
    """GET /api/v1/tenant: the tenant the key belongs to."""
    return Call(
        method="GET", path=f"{V1}/tenant", decode=lambda b, _t: str(b["tenant_id"]), retry=True
    )


def problem_types() -> Call[list[dict[str, Any]]]:
    """GET /api/problems."""
    return Call(method="GET", path="/api/problems", decode=lambda b, _t: list(b), retry=True)


def problem_type(slug: str) -> Call[dict[str, Any]]:
    """GET /api/problems/{slug}."""
    return Call(
        method="GET", path=f"/api/problems/{quote(slug, safe='')}",
        decode=lambda b, _t: dict(b), retry=True,
    )


def openapi() -> Call[dict[str, Any]]:
    """GET /api/openapi.json."""
    return Call(method="GET", path="/api/openapi.json", decode=lambda b, _t: dict(b), retry=True)


def create_context(
    *, name: str = "", metadata: Mapping[str, Any] | None = None, policy: Policy | None = None
) -> Call[Context]:
    """POST /api/v1/contexts."""
    body: dict[str, Any] = {"name": name, "metadata": dict(metadata or {})}
    if policy is not None:
        body["policy"] = wire.policy_fields(policy)
    return Call(
        method="POST", path=f"{V1}/contexts", json=body, decode=_context, needs_tenant=True
    )


def get_context(context_id: str) -> Call[Context]:
    """GET /api/v1/contexts/{id}."""
    return Call(method="GET", path=_ctx(context_id), decode=_context, retry=True, needs_tenant=True)


def list_contexts(*, limit: int = 50, cursor: str | None = None) -> Call[Page[Context]]:
    """GET /api/v1/contexts."""
    return Call(
        method="GET",
        path=f"{V1}/contexts",
        params=_params(limit=limit, cursor=cursor),
        decode=lambda b, t: wire.page_from(b, lambda c: wire.context_from(c, t)),
        retry=True,
        needs_tenant=True,
    )


def erasures(*, limit: int = 50, cursor: str | None = None) -> Call[Page[Erasure]]:
    """GET /api/v1/erasures."""
    return Call(
        method="GET",
        path=f"{V1}/erasures",
        params=_params(limit=limit, cursor=cursor),
        decode=lambda b, t: wire.page_from(b, lambda e: wire.erasure_from(e, t)),
        retry=True,
        needs_tenant=True,
    )


def update_context(context_id: str, changes: ContextChanges) -> Call[Context]:
    """PATCH /api/v1/contexts/{id}: the same changes twice leave the same context."""
    return Call(
        method="PATCH", path=_ctx(context_id), json=wire.changes_json(changes),
        decode=_context, retry=True, needs_tenant=True,
    )


def delete_context(context_id: str) -> Call[None]:
    """DELETE /api/v1/contexts/{id} (a retried delete would answer 404: not retried)."""
    return Call(method="DELETE", path=_ctx(context_id), decode=lambda _b, _t: None)


def purge(context_id: str) -> Call[PurgeResult]:
    """POST /api/v1/contexts/{id}/purge (cannot be undone, and is not retried)."""
    return Call(
        method="POST",
        path=f"{_ctx(context_id)}/purge",
        decode=lambda b, _t: PurgeResult(
            context_id=b["context_id"],
            entries_removed=b["entries_removed"],
            embeddings_removed=b["embeddings_removed"],
            entries_kept_for_forks=b["entries_kept_for_forks"],
            receipts_removed=b["receipts_removed"],
        ),
    )


def restore_context(context_id: str) -> Call[Context]:
    """POST /api/v1/contexts/{id}/restore (restoring a live context changes nothing)."""
    return Call(
        method="POST", path=f"{_ctx(context_id)}/restore", decode=_context, retry=True,
        needs_tenant=True,
    )


def append(
    context_id: str,
    messages: Sequence[Message],
    *,
    expected_version: int | None = None,
    idempotency_key: str | None = None,
) -> Call[AppendResult]:
    """POST /api/v1/contexts/{id}/messages under an Idempotency-Key (one is made if none
    is given), so a retry after a lost answer never appends twice."""
    for i, m in enumerate(messages):
        if not isinstance(m, Message):
            raise InvalidInput(
                f"messages[{i}] is a {type(m).__name__}, not a Message "
                "(convert agent shapes with kata_context.shapes first)"
            )
    body: dict[str, Any] = {"messages": [wire.message_json(m) for m in messages]}
    if expected_version is not None:
        body["expected_version"] = expected_version
    key = idempotency_key or f"kc-{uuid.uuid4()}"
    return Call(
        method="POST",
        path=f"{_ctx(context_id)}/messages",
        json=body,
        headers={"Idempotency-Key": key},
        decode=lambda b, _t: wire.append_from(b),
        retry=True,
        own_key=idempotency_key is None,
    )


def entries(
    context_id: str,
    *,
    after: int = 0,
    limit: int = 100,
    at: int | None = None,
    include_embeddings: bool = False,
) -> Call[Page[Entry]]:
    """GET /api/v1/contexts/{id}/messages."""
    params = _params(after=after, limit=limit, at=at)
    if include_embeddings:
        params["include_embeddings"] = "true"
    return Call(
        method="GET",
        path=f"{_ctx(context_id)}/messages",
        params=params,
        decode=lambda b, _t: wire.page_from(b, wire.entry_from),
        retry=True,
    )


def version_page(
    context_id: str, version: int, *, after: int = 0, limit: int = 1000
) -> Call[tuple[Entry | None, Page[Entry]]]:
    """GET /api/v1/contexts/{id}/versions/{n}: the entry n added and a page of 1..n."""

    def decode(b: Any, _t: str) -> tuple[Entry | None, Page[Entry]]:
        added = wire.entry_from(b["entry"]) if b.get("entry") else None
        page = wire.page_from({"items": b["entries"], "next_cursor": b.get("next_cursor")},
                              wire.entry_from)
        return added, page

    return Call(
        method="GET",
        path=f"{_ctx(context_id)}/versions/{int(version)}",
        params={"after": after, "limit": limit},
        decode=decode,
        retry=True,
    )


def window(
    context_id: str,
    *,
    budget: int | None = None,
    reserve: int | None = None,
    query: str | None = None,
    query_embedding: Sequence[float] | None = None,
    relevant_share: float | None = None,
    neighbours: int | None = None,
    at: int | None = None,
    record: bool | None = None,
    include_summary: bool = True,
) -> Call[Window]:
    """POST /api/v1/contexts/{id}/window (a body holds any query, however long); a
    recorded window is not retried (a retry could record it twice)."""
    body = _params(
        budget=budget, reserve=reserve, query=query, relevant_share=relevant_share,
        neighbours=neighbours, at=at, record=record,
    )
    if query_embedding is not None:
        body["query_embedding"] = list(query_embedding)
    if not include_summary:
        body["include_summary"] = False
    return Call(
        method="POST", path=f"{_ctx(context_id)}/window", json=body,
        decode=lambda b, _t: wire.window_from(b), retry=record is not True,
    )


def receipt(context_id: str, receipt_id: str) -> Call[RecordedWindow]:
    """GET /api/v1/contexts/{id}/receipts/{receipt_id}."""
    return Call(
        method="GET", path=f"{_ctx(context_id)}/receipts/{quote(receipt_id, safe='')}",
        decode=wire.recorded_window_from, retry=True, needs_tenant=True,
    )


def receipts(
    context_id: str, *, limit: int = 50, cursor: str | None = None
) -> Call[Page[Receipt]]:
    """GET /api/v1/contexts/{id}/receipts."""
    return Call(
        method="GET", path=f"{_ctx(context_id)}/receipts",
        params=_params(limit=limit, cursor=cursor),
        decode=lambda b, t: wire.page_from(b, lambda r: wire.receipt_from(r, t)),
        retry=True, needs_tenant=True,
    )


def fork(context_id: str, *, version: int | None = None, name: str | None = None) -> Call[Context]:
    """POST /api/v1/contexts/{id}/fork."""
    return Call(
        method="POST", path=f"{_ctx(context_id)}/fork", json=_params(version=version, name=name),
        decode=_context, needs_tenant=True,
    )


def forks(context_id: str) -> Call[tuple[Context, ...]]:
    """GET /api/v1/contexts/{id}/forks."""
    return Call(
        method="GET",
        path=f"{_ctx(context_id)}/forks",
        decode=lambda b, t: tuple(wire.context_from(c, t) for c in b["items"]),
        retry=True,
        needs_tenant=True,
    )


def compact(context_id: str, *, force: bool = False) -> Call[Any]:
    """POST /api/v1/contexts/{id}/compact (the answer is raw: the summary is read next)."""
    return Call(
        method="POST", path=f"{_ctx(context_id)}/compact", json={"force": force},
        decode=lambda b, _t: b,
    )


def revert_compaction(context_id: str, summary_version: int) -> Call[Any]:
    """POST /api/v1/contexts/{id}/compactions/{version}/revert (the answer is raw)."""
    return Call(
        method="POST",
        path=f"{_ctx(context_id)}/compactions/{int(summary_version)}/revert",
        decode=lambda b, _t: b,
    )


def search(
    embedding: Sequence[float], *, k: int = 10, context_id: str | None = None
) -> Call[tuple[SearchHit, ...]]:
    """POST /api/v1/search."""
    body: dict[str, Any] = {"embedding": list(embedding), "k": k}
    if context_id is not None:
        body["context_id"] = context_id
    return Call(
        method="POST",
        path=f"{V1}/search",
        json=body,
        decode=lambda b, _t: tuple(wire.hit_from(h) for h in b["items"]),
        retry=True,
    )
