"""What a drop-in talks to: Kata in process (an Engine bound to a tenant) or over HTTP.

`InProcessKata` gives the engine the client's signatures (the tenant bound once), so a
drop-in is written once against `Kata` and runs over either. `AsyncKata` is the async
twin; `as_async` makes one from whichever the caller has (sync calls run in a thread).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any, Protocol, cast

import attrs

from domain.model import (
    AppendResult,
    Context,
    ContextChanges,
    Entry,
    Message,
    Page,
    Policy,
)
from domain.receipts import Receipt, RecordedWindow
from domain.records import Record
from domain.window import Window
from entrypoints.engine import Engine


class Kata(Protocol):
    """The calls drop-ins make (KataClient and InProcessKata both answer them)."""

    def create_context(
        self, *, name: str = "", metadata: Mapping[str, Any] | None = None,
        policy: Policy | None = None,
    ) -> Context: ...

    def get_context(self, context_id: str) -> Context: ...

    def update_context(self, context_id: str, changes: ContextChanges) -> Context: ...

    def append(
        self, context_id: str, messages: Sequence[Message], *,
        expected_version: int | None = None, idempotency_key: str | None = None,
    ) -> AppendResult: ...

    def entries(
        self, context_id: str, *, after: int = 0, limit: int = 100, at: int | None = None
    ) -> Page[Entry]: ...

    def window(
        self, context_id: str, *, budget: int | None = None, reserve: int | None = None,
        query: str | None = None,
    ) -> Window: ...

    def fork(
        self, context_id: str, *, version: int | None = None, name: str | None = None
    ) -> Context: ...


class AsyncKata(Protocol):
    """Kata's calls as coroutines (AsyncKataClient, or a sync Kata run in a thread)."""

    async def create_context(
        self, *, name: str = "", metadata: Mapping[str, Any] | None = None,
        policy: Policy | None = None,
    ) -> Context: ...

    async def get_context(self, context_id: str) -> Context: ...

    async def update_context(self, context_id: str, changes: ContextChanges) -> Context: ...

    async def append(
        self, context_id: str, messages: Sequence[Message], *,
        expected_version: int | None = None, idempotency_key: str | None = None,
    ) -> AppendResult: ...

    async def entries(
        self, context_id: str, *, after: int = 0, limit: int = 100, at: int | None = None
    ) -> Page[Entry]: ...

    async def window(
        self, context_id: str, *, budget: int | None = None, reserve: int | None = None,
        query: str | None = None,
    ) -> Window: ...

    async def fork(
        self, context_id: str, *, version: int | None = None, name: str | None = None
    ) -> Context: ...


@attrs.frozen(repr=False, eq=False)
class InProcessKata(Record):
    """An Engine bound to one tenant, answering with the HTTP client's signatures."""

    engine: Engine
    tenant_id: str = "local"

    def create_context(
        self, *, name: str = "", metadata: Mapping[str, Any] | None = None,
        policy: Policy | None = None,
    ) -> Context:
        """A new, empty context."""
        return self.engine.create_context(
            self.tenant_id, name=name, metadata=dict(metadata or {}), policy=policy
        )

    def get_context(self, context_id: str) -> Context:
        """The context with its head and totals."""
        return self.engine.get_context(self.tenant_id, context_id)

    def list_contexts(self, *, limit: int = 50, cursor: str | None = None) -> Page[Context]:
        """The tenant's contexts, a page at a time."""
        return self.engine.list_contexts(self.tenant_id, limit=limit, cursor=cursor)

    def update_context(self, context_id: str, changes: ContextChanges) -> Context:
        """Rename, or change metadata or policy."""
        return self.engine.update_context(self.tenant_id, context_id, changes)

    def delete_context(self, context_id: str) -> None:
        """Soft delete."""
        self.engine.delete_context(self.tenant_id, context_id)

    def restore_context(self, context_id: str) -> Context:
        """Undo a soft delete within the context's retention."""
        return self.engine.restore_context(self.tenant_id, context_id)

    def append(
        self, context_id: str, messages: Sequence[Message], *,
        expected_version: int | None = None, idempotency_key: str | None = None,
    ) -> AppendResult:
        """Append a batch all-or-nothing."""
        return self.engine.append(
            self.tenant_id, context_id, messages,
            expected_version=expected_version, idempotency_key=idempotency_key,
        )

    def entries(
        self, context_id: str, *, after: int = 0, limit: int = 100, at: int | None = None
    ) -> Page[Entry]:
        """Entries after a version cursor, as of `at`."""
        return self.engine.entries(self.tenant_id, context_id, after=after, limit=limit, at=at)

    def state_at(self, context_id: str, version: int) -> tuple[Entry, ...]:
        """Entries 1..version."""
        return self.engine.state_at(self.tenant_id, context_id, version)

    def window(
        self, context_id: str, *, budget: int | None = None, reserve: int | None = None,
        query: str | None = None, query_embedding: Sequence[float] | None = None,
        relevant_share: float | None = None, neighbours: int | None = None,
        record: bool | None = None,
    ) -> Window:
        """The best window for the budget (recorded as a receipt when asked)."""
        return self.engine.window(
            self.tenant_id, context_id, budget=budget, reserve=reserve, query=query,
            query_embedding=query_embedding, relevant_share=relevant_share,
            neighbours=neighbours, record=record,
        )

    def receipt(self, context_id: str, receipt_id: str) -> RecordedWindow:
        """A recorded window: its receipt and exactly the entries that were sent."""
        return self.engine.receipt(self.tenant_id, context_id, receipt_id)

    def receipts(
        self, context_id: str, *, limit: int = 50, cursor: str | None = None
    ) -> Page[Receipt]:
        """A context's receipts, oldest first."""
        return self.engine.receipts(self.tenant_id, context_id, limit=limit, cursor=cursor)

    def fork(
        self, context_id: str, *, version: int | None = None, name: str | None = None
    ) -> Context:
        """A new context holding entries 1..version."""
        return self.engine.fork(self.tenant_id, context_id, version=version, name=name)

    def forks(self, context_id: str) -> tuple[Context, ...]:
        """The forks of a context."""
        return self.engine.forks(self.tenant_id, context_id)

    def compact(self, context_id: str, *, force: bool = False) -> Any:
        """Compact now."""
        return self.engine.compact(self.tenant_id, context_id, force=force)

    def search(
        self, embedding: Sequence[float], *, k: int = 10, context_id: str | None = None
    ) -> Any:
        """Similar entries."""
        return self.engine.search(self.tenant_id, embedding, k=k, context_id=context_id)


@attrs.frozen(repr=False, eq=False)
class Threaded(Record):
    """A sync Kata as an AsyncKata: each call runs in a worker thread."""

    kata: Kata

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.kata, name)

        async def call(*args: Any, **kwargs: Any) -> Any:
            return await asyncio.to_thread(method, *args, **kwargs)

        return call


def as_sync(kata: Kata | Engine) -> Kata:
    """A Kata from an Engine (the default tenant) or a Kata as it is."""
    return InProcessKata(kata) if isinstance(kata, Engine) else kata


def as_async(kata: Kata | AsyncKata | Engine) -> AsyncKata:
    """An AsyncKata from an AsyncKataClient (as it is), a sync Kata or an Engine."""
    if isinstance(kata, Engine):
        kata = InProcessKata(kata)
    if asyncio.iscoroutinefunction(getattr(kata, "append", None)):
        return cast(AsyncKata, kata)
    return cast(AsyncKata, Threaded(cast(Kata, kata)))
