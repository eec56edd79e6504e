"""LangChain: its messages to Kata's and back, and a `BaseChatMessageHistory` over Kata.

`from_langchain` / `to_langchain` map HumanMessage, AIMessage (tool_calls, `args` as JSON
text), SystemMessage and ToolMessage (and their chunks) onto Kata's Message; ids,
response metadata, usage, artifacts and the rest ride in the entry's metadata
(`kata_shape`), so `messages_to_dict` of what comes back equals that of what went in.

`KataChatMessageHistory.messages` is Kata's token-budget window (pins, summary, whole
tool-call groups; `full_history=True` for everything); `clear()` forks at version 0 and
continues there (see heads.py). Sync methods need an Engine or a KataClient; the `a*`
methods also take an AsyncKataClient.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from langchain_core.chat_history import BaseChatMessageHistory
from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
    message_to_dict,
    messages_from_dict,
)

from domain.model import ContentPart, Entry, Message, Policy, Role, ToolCall
from domain.window import Window
from entrypoints.engine import Engine
from entrypoints.integrations import heads
from entrypoints.integrations.kata import AsyncKata, Kata, as_async, as_sync
from entrypoints.shapes._json import (
    Item,
    bad,
    check_json,
    difference,
    entries_of,
    message,
    part_in,
    part_out,
    patched,
    residue,
    residue_of,
)

SHAPE = "langchain"
_ROLES = {"human": Role.USER, "ai": Role.ASSISTANT, "system": Role.SYSTEM, "tool": Role.TOOL}
_CHUNKS = {f"{name}MessageChunk": kind for name, kind in
           (("Human", "human"), ("AI", "ai"), ("System", "system"), ("Tool", "tool"))}
_CLASSES: dict[Role, type[BaseMessage]] = {
    Role.USER: HumanMessage, Role.ASSISTANT: AIMessage, Role.SYSTEM: SystemMessage,
    Role.TOOL: ToolMessage,
}


def _args(arguments: str) -> Any:
    try:
        found = json.loads(arguments)
    except ValueError:
        return {"arguments": arguments}
    return found if isinstance(found, dict) else {"arguments": found}


def _written(m: Message | Entry) -> Item:
    content: Any = m.content if isinstance(m.content, str) else [part_out(p) for p in m.content]
    fields: dict[str, Any] = {"content": content}
    if m.name is not None:
        fields["name"] = m.name
    if m.role is Role.ASSISTANT:
        fields["tool_calls"] = [
            {"name": c.name, "args": _args(c.arguments), "id": c.id, "type": "tool_call"}
            for c in m.tool_calls
        ]
    if m.role is Role.TOOL:
        fields["tool_call_id"] = m.tool_call_id or ""
    data: Item = message_to_dict(_CLASSES[m.role](**fields))["data"]
    return data


def _content_in(value: Any, path: str) -> str | tuple[ContentPart, ...]:
    if isinstance(value, str):
        return value
    out = []
    for i, v in enumerate(value):
        out.append(ContentPart(type="text", text=v) if isinstance(v, str)
                   else part_in(v, f"{path}[{i}]"))
    return tuple(out)


def _message_in(m: Any, path: str) -> Message:
    if not isinstance(m, BaseMessage):
        raise bad(path, f"expected a LangChain message, got {type(m).__name__}")
    data = message_to_dict(m)["data"]
    kind = _CHUNKS.get(data.get("type"), data.get("type"))
    if kind not in _ROLES:
        raise bad(f"{path}.type", f"expected one of {', '.join(_ROLES)}, got {data.get('type')!r}")
    check_json(data, path)
    fields: dict[str, Any] = {
        "role": _ROLES[kind],
        "content": _content_in(data.get("content"), f"{path}.content"),
        "name": data.get("name"),
    }
    if kind == "ai":
        fields["tool_calls"] = tuple(
            ToolCall(id=c.get("id") or "", name=c["name"],
                     arguments=json.dumps(c.get("args", {}), ensure_ascii=False))
            for c in data.get("tool_calls") or ()
        )
    if kind == "tool":
        fields["tool_call_id"] = data.get("tool_call_id")
    diff = difference(data, _written(message(path, **fields)))
    return message(path, **fields, metadata=residue(SHAPE, **diff))


def from_langchain(messages: Iterable[BaseMessage]) -> list[Message]:
    """LangChain messages as Kata Messages, one each."""
    return [_message_in(m, f"messages[{i}]") for i, m in enumerate(messages)]


def to_langchain(source: Window | Iterable[Message | Entry]) -> list[BaseMessage]:
    """Entries (or a Window's) as LangChain messages (those from LangChain as they were)."""
    dicts = []
    for m in entries_of(source):
        data = patched(_written(m), residue_of(m, SHAPE))
        dicts.append({"type": data["type"], "data": data})
    return messages_from_dict(dicts)


class KataChatMessageHistory(BaseChatMessageHistory):
    """A chat history whose `messages` are Kata's window for a token budget."""

    def __init__(
        self,
        session_id: str,
        kata: Kata | AsyncKata | Engine,
        *,
        budget: int | None = None,
        reserve: int | None = None,
        full_history: bool = False,
    ) -> None:
        """The history rooted at context `session_id` (see `create`)."""
        self.session_id = session_id
        self._kata = kata
        self.budget = budget
        self.reserve = reserve
        self.full_history = full_history
        self.query: str | None = None

    @classmethod
    def create(
        cls, kata: Kata | Engine, *, name: str = "", policy: Policy | None = None, **options: Any
    ) -> KataChatMessageHistory:
        """A history in a new context."""
        context = as_sync(kata).create_context(name=name, metadata={}, policy=policy)
        return cls(context.id, kata, **options)

    @property
    def _sync(self) -> Kata:
        if asyncio_client(self._kata):
            raise TypeError("an AsyncKataClient serves the a* methods only; use a KataClient")
        return as_sync(self._kata)  # type: ignore[arg-type]

    @property
    def messages(self) -> list[BaseMessage]:  # type: ignore[override]
        """The window (or, with full_history, every entry), as LangChain messages."""
        kata = self._sync
        context = heads.current(kata, self.session_id)
        if context.head_version == 0:
            return []
        if self.full_history:
            return to_langchain(_all_entries(kata, context.id))
        return to_langchain(kata.window(context.id, budget=self.budget, reserve=self.reserve,
                                        query=self.query))

    async def aget_messages(self) -> list[BaseMessage]:
        """`messages`, for asyncio."""
        kata = as_async(self._kata)
        context = await heads.acurrent(kata, self.session_id)
        if context.head_version == 0:
            return []
        if self.full_history:
            entries: list[Entry] = []
            while True:
                page = await kata.entries(context.id, after=len(entries), limit=1000)
                entries.extend(page.items)
                if page.next_cursor is None:
                    return to_langchain(entries)
        window = await kata.window(context.id, budget=self.budget, reserve=self.reserve,
                                   query=self.query)
        return to_langchain(window)

    def add_messages(self, messages: Sequence[BaseMessage]) -> None:
        """Append the messages as one all-or-nothing batch."""
        if messages:
            kata = self._sync
            kata.append(heads.current(kata, self.session_id).id, from_langchain(messages))

    async def aadd_messages(self, messages: Sequence[BaseMessage]) -> None:
        """`add_messages`, for asyncio."""
        if messages:
            kata = as_async(self._kata)
            context = await heads.acurrent(kata, self.session_id)
            await kata.append(context.id, from_langchain(messages))

    def clear(self) -> None:
        """Start over in a fork at version 0 (the old history stays readable)."""
        kata = self._sync
        fork = kata.fork(heads.current(kata, self.session_id).id, version=0)
        heads.move(kata, self.session_id, fork.id)

    async def aclear(self) -> None:
        """`clear`, for asyncio."""
        kata = as_async(self._kata)
        fork = await kata.fork((await heads.acurrent(kata, self.session_id)).id, version=0)
        await heads.amove(kata, self.session_id, fork.id)


def asyncio_client(kata: object) -> bool:
    """Whether `kata` answers with coroutines (an AsyncKataClient)."""
    import inspect

    return inspect.iscoroutinefunction(getattr(kata, "append", None))


def _all_entries(kata: Kata, context_id: str) -> list[Entry]:
    entries: list[Entry] = []
    while True:
        page = kata.entries(context_id, after=len(entries), limit=1000)
        entries.extend(page.items)
        if page.next_cursor is None:
            return entries
