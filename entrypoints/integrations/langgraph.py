"""LangGraph: a pre-model hook that sends the model Kata's window, not the whole state.

`KataGraphMemory(context_id, kata).pre_model_hook` (for `create_react_agent(...,
pre_model_hook=...)`, or any graph node before the model) first persists the graph's
messages it has not stored yet (by message id) into the context, then answers
`{"llm_input_messages": window}`: the state keeps every message, the model sees the
token-budget window (pins, summary, whole tool-call groups, older messages relevant to
the latest human message). `post_model_hook` persists the model's reply. Since the
history lives in Kata, a graph without a checkpointer still remembers earlier runs.
`apre_model_hook` / `apost_model_hook` are the async twins.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from langchain_core.messages import BaseMessage

from domain.model import Entry, Policy
from entrypoints.engine import Engine
from entrypoints.integrations.kata import AsyncKata, Kata, as_async, as_sync
from entrypoints.integrations.langchain import asyncio_client, from_langchain, to_langchain
from entrypoints.shapes._json import RESIDUE


def _stored_id(entry: Entry) -> str | None:
    residue = entry.metadata.get(RESIDUE)
    if isinstance(residue, dict) and residue.get("shape") == "langchain":
        found = residue.get("set", {}).get("id")
        return found if isinstance(found, str) else None
    return None


class KataGraphMemory:
    """A graph's messages persisted into one Kata context, and the window sent instead."""

    def __init__(
        self,
        context_id: str,
        kata: Kata | AsyncKata | Engine,
        *,
        budget: int | None = None,
        reserve: int | None = None,
        query_aware: bool = True,
    ) -> None:
        """Memory over context `context_id` (see `create`)."""
        self.context_id = context_id
        self._kata = kata
        self.budget = budget
        self.reserve = reserve
        self.query_aware = query_aware
        self._stored: set[str] | None = None

    @classmethod
    def create(
        cls, kata: Kata | Engine, *, name: str = "", policy: Policy | None = None, **options: Any
    ) -> KataGraphMemory:
        """Memory in a new context."""
        context = as_sync(kata).create_context(name=name, metadata={}, policy=policy)
        return cls(context.id, kata, **options)

    def _new(self, messages: Sequence[BaseMessage]) -> list[BaseMessage]:
        assert self._stored is not None
        fresh = [m for m in messages if not m.id or m.id not in self._stored]
        self._stored.update(m.id for m in fresh if m.id)
        return fresh

    @staticmethod
    def _query(messages: Sequence[BaseMessage]) -> str | None:
        for m in reversed(messages):
            if m.type == "human" and m.text.strip():
                return str(m.text)
        return None

    def _kata_sync(self) -> Kata:
        if asyncio_client(self._kata):
            raise TypeError("an AsyncKataClient serves the async hooks only")
        return as_sync(self._kata)  # type: ignore[arg-type]

    def persist(self, state: Any) -> None:
        """Append the state's messages not stored yet."""
        kata = self._kata_sync()
        if self._stored is None:
            self._stored = set()
            after = 0
            while True:
                page = kata.entries(self.context_id, after=after, limit=1000)
                self._stored.update(i for e in page.items if (i := _stored_id(e)))
                if page.next_cursor is None or not page.items:
                    break
                after = page.items[-1].version
        fresh = self._new(_messages(state))
        if fresh:
            kata.append(self.context_id, from_langchain(fresh))

    def pre_model_hook(self, state: Any) -> dict[str, Any]:
        """Persist, then give the model the window as `llm_input_messages`."""
        self.persist(state)
        query = self._query(_messages(state)) if self.query_aware else None
        window = self._kata_sync().window(
            self.context_id, budget=self.budget, reserve=self.reserve, query=query
        )
        return {"llm_input_messages": to_langchain(window)}

    def post_model_hook(self, state: Any) -> dict[str, Any]:
        """Persist the model's reply (the state is left as it is)."""
        self.persist(state)
        return {}

    async def apersist(self, state: Any) -> None:
        """`persist`, for asyncio."""
        kata = as_async(self._kata)
        if self._stored is None:
            self._stored = set()
            after = 0
            while True:
                page = await kata.entries(self.context_id, after=after, limit=1000)
                self._stored.update(i for e in page.items if (i := _stored_id(e)))
                if page.next_cursor is None or not page.items:
                    break
                after = page.items[-1].version
        fresh = self._new(_messages(state))
        if fresh:
            await kata.append(self.context_id, from_langchain(fresh))

    async def apre_model_hook(self, state: Any) -> dict[str, Any]:
        """`pre_model_hook`, for asyncio."""
        await self.apersist(state)
        query = self._query(_messages(state)) if self.query_aware else None
        window = await as_async(self._kata).window(
            self.context_id, budget=self.budget, reserve=self.reserve, query=query
        )
        return {"llm_input_messages": to_langchain(window)}

    async def apost_model_hook(self, state: Any) -> dict[str, Any]:
        """`post_model_hook`, for asyncio."""
        await self.apersist(state)
        return {}


def _messages(state: Any) -> list[BaseMessage]:
    found = state.get("messages") if isinstance(state, dict) else getattr(state, "messages", None)
    return list(found or [])
