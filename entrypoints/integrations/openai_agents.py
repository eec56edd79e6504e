"""An OpenAI Agents SDK `Session` whose history is Kata's token-budget window.

`get_items()` (no limit: what the Runner asks for before each turn) returns the window
for the budget as Responses items: pins first, a compaction summary in place of what it
covers, tool calls with their outputs (never one without the other), the reasoning item
with the call it preceded, and older items relevant to the query (the latest user input
the session holds, or `session.query` when set). `get_items(limit=n)` keeps the
protocol's meaning, the last n items, which the SDK uses for its own bookkeeping.

`add_items` appends under an Idempotency-Key made from the head it saw and the items, so
a retried call appends once. `pop_item` forks at head-1 (re-appending the other items of
a multi-item entry) and `clear_session` forks at 0; the session then points at the fork
(see heads.py), and nothing written is lost.

Works over an Engine (in process), a KataClient or an AsyncKataClient.
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any

from domain.model import Policy, Role
from entrypoints.engine import MAX_BATCH, Engine
from entrypoints.integrations import heads
from entrypoints.integrations.kata import AsyncKata, Kata, as_async
from entrypoints.shapes import from_responses, to_responses

if TYPE_CHECKING:
    from agents.memory.session_settings import SessionSettings

# How many entries back `get_items` looks for the latest user input.
QUERY_LOOKBACK = 20


class KataSession:
    """A Session (agents.memory.Session protocol) over a Kata context."""

    session_settings: SessionSettings | None = None

    def __init__(
        self,
        session_id: str,
        kata: Kata | AsyncKata | Engine,
        *,
        budget: int | None = None,
        reserve: int | None = None,
        query_aware: bool = True,
        session_settings: SessionSettings | None = None,
    ) -> None:
        """Open the session whose root context is `session_id` (see `create`)."""
        self.session_id = session_id
        self.kata = as_async(kata)
        self.budget = budget
        self.reserve = reserve
        self.query_aware = query_aware
        self.query: str | None = None
        self.session_settings = session_settings
        self._head: tuple[str, int] | None = None
        self._last_user: str | None = None

    @classmethod
    async def create(
        cls,
        kata: Kata | AsyncKata | Engine,
        *,
        name: str = "",
        policy: Policy | None = None,
        **options: Any,
    ) -> KataSession:
        """A session in a new context (its id is the session's id)."""
        made = as_async(kata)
        context = await made.create_context(name=name, metadata={}, policy=policy)
        return cls(context.id, made, **options)

    async def context_id(self) -> str:
        """The context the session writes to now (the root until a pop or a clear)."""
        return (await self._current())[0]

    async def _current(self) -> tuple[str, int]:
        if self._head is None:
            context = await heads.acurrent(self.kata, self.session_id)
            self._head = (context.id, context.head_version)
        return self._head

    async def _tail(self, entries: int) -> list[Any]:
        cid, head = await self._current()
        page = await self.kata.entries(cid, after=max(0, head - entries), limit=entries)
        return list(page.items)

    async def _query(self) -> str | None:
        if self.query is not None:
            return self.query
        if self._last_user is None:
            for entry in reversed(await self._tail(QUERY_LOOKBACK)):
                if entry.role is Role.USER and entry.text.strip():
                    self._last_user = entry.text
                    break
        return self._last_user

    async def get_items(self, limit: int | None = None) -> list[Any]:
        """The window (no limit), or the last `limit` items."""
        cid, head = await self._current()
        if limit is not None:
            if limit <= 0 or head == 0:
                return []
            return to_responses(await self._tail(min(limit, head)))[-limit:]
        if head == 0:
            return []
        query = await self._query() if self.query_aware else None
        window = await self.kata.window(cid, budget=self.budget, reserve=self.reserve, query=query)
        return to_responses(window)

    async def add_items(self, items: list[Any]) -> None:
        """Append the items (a retry of the same call appends nothing twice)."""
        if not items:
            return
        messages = from_responses(items)
        cid, head = await self._current()
        for start in range(0, len(messages), MAX_BATCH):
            batch = messages[start:start + MAX_BATCH]
            digest = hashlib.sha256(
                json.dumps([cid, head, items], sort_keys=True, default=str).encode()
            ).hexdigest()
            result = await self.kata.append(
                cid, batch, idempotency_key=f"agents-{digest[:40]}-{start}"
            )
            head = result.head_version
        self._head = (cid, head)
        for m in reversed(messages):
            if m.role is Role.USER and isinstance(m.content, str | tuple):
                text = m.content if isinstance(m.content, str) else "\n".join(
                    p.text for p in m.content if p.text
                )
                if text.strip():
                    self._last_user = text
                    break

    async def pop_item(self) -> Any | None:
        """Remove and return the newest item: the session continues in a fork without it."""
        cid, head = await self._current()
        if head == 0:
            return None
        newest = to_responses(await self._tail(1))
        fork = await self.kata.fork(cid, version=head - 1)
        fork_head = fork.head_version
        if len(newest) > 1:
            fork_head = (await self.kata.append(fork.id, from_responses(newest[:-1]))).head_version
        await heads.amove(self.kata, self.session_id, fork.id)
        self._head = (fork.id, fork_head)
        self._last_user = None
        return newest[-1]

    async def clear_session(self) -> None:
        """Start over: the session continues in a fork at version 0 (policy kept)."""
        cid, head = await self._current()
        if head == 0:
            return
        fork = await self.kata.fork(cid, version=0)
        await heads.amove(self.kata, self.session_id, fork.id)
        self._head = (fork.id, 0)
        self._last_user = None
