"""KataClient: the HTTP API with the engine's method names, blocking (httpx.Client)."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Any, TypeVar

import httpx

from domain.compaction import CompactionResult, RevertResult
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
from domain.window import Window
from entrypoints.client import calls, wire
from entrypoints.client import transport as _t
from entrypoints.client.calls import Call

T = TypeVar("T")


class KataClient:
    """A pooled, retrying client of one Kata Context server, for one API key (tenant).

    Errors are the domain's (domain.errors): a 409 raises VersionConflict with
    `.current`, a 404 ContextNotFound, and so on; ApiError for what only HTTP has.
    Appends carry an Idempotency-Key (generated when not given), so retries after a lost
    answer never append twice. Use it as a context manager, or call close().
    """

    def __init__(
        self,
        base_url: str,
        api_key: str | None = None,
        *,
        timeout: httpx.Timeout | float | None = None,
        limits: httpx.Limits | None = None,
        retries: int = 2,
        retry_backoff: float = 0.1,
        transport: httpx.BaseTransport | None = None,
        tenant_id: str | None = None,
    ) -> None:
        options = _t.client_options(base_url, api_key, timeout=timeout, limits=limits)
        self._http = httpx.Client(transport=transport, **options)
        self._retries = retries
        self._backoff = retry_backoff
        self._tenant = tenant_id

    # -- plumbing ---------------------------------------------------------------------

    def __enter__(self) -> KataClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    @property
    def tenant_id(self) -> str:
        """The tenant the API key belongs to (asked once, then remembered)."""
        if self._tenant is None:
            self._tenant = self._run(calls.whoami())
        return self._tenant

    def _run(self, call: Call[T]) -> T:
        tenant = self.tenant_id if call.needs_tenant else ""
        attempt = 0
        while True:
            attempt += 1
            try:
                response = self._http.request(
                    call.method, call.path, **_t.request_kwargs(call)
                )
            except httpx.TransportError as error:
                if attempt > self._retries or not _t.may_retry(call, error, None):
                    raise
            else:
                if attempt > self._retries or not _t.may_retry(
                    call, None, response.status_code
                ):
                    return _t.read_answer(call, response, tenant)
            time.sleep(_t.backoff(attempt, self._backoff))

    # -- public routes ----------------------------------------------------------------

    def health(self) -> dict[str, Any]:
        """Liveness: {"status": "ok", "version": ...}."""
        return self._run(calls.health())

    def whoami(self) -> str:
        """The tenant the API key belongs to."""
        return self._run(calls.whoami())

    def problem_types(self) -> list[dict[str, Any]]:
        """The catalogue of problem types errors point to."""
        return self._run(calls.problem_types())

    def problem_type(self, slug: str) -> dict[str, Any]:
        """One problem type."""
        return self._run(calls.problem_type(slug))

    def openapi(self) -> dict[str, Any]:
        """The OpenAPI 3.1 document."""
        return self._run(calls.openapi())

    # -- contexts -----------------------------------------------------------------------

    def create_context(
        self,
        *,
        name: str = "",
        metadata: Mapping[str, Any] | None = None,
        policy: Policy | None = None,
    ) -> Context:
        """A new, empty context."""
        return self._run(calls.create_context(name=name, metadata=metadata, policy=policy))

    def get_context(self, context_id: str) -> Context:
        """The context with its head and totals."""
        return self._run(calls.get_context(context_id))

    def list_contexts(self, *, limit: int = 50, cursor: str | None = None) -> Page[Context]:
        """The tenant's contexts, a page at a time."""
        return self._run(calls.list_contexts(limit=limit, cursor=cursor))

    def erasures(self, *, limit: int = 50, cursor: str | None = None) -> Page[Erasure]:
        """The tenant's erasure audit, a page at a time."""
        return self._run(calls.erasures(limit=limit, cursor=cursor))

    def update_context(self, context_id: str, changes: ContextChanges) -> Context:
        """Rename, or change metadata or policy fields."""
        return self._run(calls.update_context(context_id, changes))

    def delete_context(self, context_id: str) -> None:
        """Soft delete."""
        self._run(calls.delete_context(context_id))

    def purge(self, context_id: str) -> PurgeResult:
        """Hard delete for good (entries forks still share stay for them)."""
        return self._run(calls.purge(context_id))

    def restore_context(self, context_id: str) -> Context:
        """Undo a soft delete within the context's retention."""
        return self._run(calls.restore_context(context_id))

    # -- the version log ------------------------------------------------------------------

    def append(
        self,
        context_id: str,
        messages: Sequence[Message],
        *,
        expected_version: int | None = None,
        idempotency_key: str | None = None,
    ) -> AppendResult:
        """Append a batch all-or-nothing as versions head+1..head+n."""
        return self._run(
            calls.append(
                context_id, messages, expected_version=expected_version,
                idempotency_key=idempotency_key,
            )
        )

    def entries(
        self,
        context_id: str,
        *,
        after: int = 0,
        limit: int = 100,
        at: int | None = None,
        include_embeddings: bool = False,
    ) -> Page[Entry]:
        """Entries after a version cursor, as of version `at` (time travel) or the head."""
        return self._run(
            calls.entries(
                context_id, after=after, limit=limit, at=at,
                include_embeddings=include_embeddings,
            )
        )

    def state_at(self, context_id: str, version: int) -> tuple[Entry, ...]:
        """The whole state at `version`: entries 1..version, read a page at a time."""
        out: list[Entry] = []
        after = 0
        while True:
            _, page = self._run(calls.version_page(context_id, version, after=after))
            out.extend(page.items)
            if page.next_cursor is None or not page.items:
                return tuple(out)
            after = page.items[-1].version

    def window(
        self,
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
    ) -> Window:
        """The best window for the budget (the policy's when not given); recorded as a
        receipt (its id in `receipt_id`) when `record`, or the policy, says so."""
        return self._run(
            calls.window(
                context_id, budget=budget, reserve=reserve, query=query,
                query_embedding=query_embedding, relevant_share=relevant_share,
                neighbours=neighbours, at=at, record=record,
                include_summary=include_summary,
            )
        )

    def receipt(self, context_id: str, receipt_id: str) -> RecordedWindow:
        """A recorded window: its receipt, and exactly the entries that were sent."""
        return self._run(calls.receipt(context_id, receipt_id))

    def receipts(
        self, context_id: str, *, limit: int = 50, cursor: str | None = None
    ) -> Page[Receipt]:
        """A context's receipts, oldest first, a page at a time."""
        return self._run(calls.receipts(context_id, limit=limit, cursor=cursor))

    # -- forks, compaction, search ---------------------------------------------------------

    def fork(
        self, context_id: str, *, version: int | None = None, name: str | None = None
    ) -> Context:
        """A new context whose history is this one's entries 1..version (default head)."""
        return self._run(calls.fork(context_id, version=version, name=name))

    def forks(self, context_id: str) -> tuple[Context, ...]:
        """The live direct forks of a context."""
        return self._run(calls.forks(context_id))

    def compact(self, context_id: str, *, force: bool = False) -> CompactionResult:
        """Summarize older active entries now (when due, or always with force)."""
        body = self._run(calls.compact(context_id, force=force))
        version = body["summary_version"]
        page = self._run(calls.entries(context_id, after=version - 1, limit=1))
        return wire.compaction_from(body, page.items[0])

    def revert_compaction(self, context_id: str, summary_version: int) -> RevertResult:
        """Revert the compaction in force (the summary at `summary_version`)."""
        body = self._run(calls.revert_compaction(context_id, summary_version))
        wanted = [summary_version]
        if body["restored_version"] is not None:
            wanted.append(body["restored_version"])
        found = {}
        for version in wanted:
            page = self._run(calls.entries(context_id, after=version - 1, limit=1))
            found[version] = page.items[0]
        return wire.revert_from(body, found)

    def search(
        self, embedding: Sequence[float], *, k: int = 10, context_id: str | None = None
    ) -> tuple[SearchHit, ...]:
        """The k entries most similar to `embedding` in the tenant (or one context)."""
        return self._run(calls.search(embedding, k=k, context_id=context_id))

