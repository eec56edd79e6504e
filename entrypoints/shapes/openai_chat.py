"""OpenAI Chat Completions messages: roles, text or parts, tool_calls and tool_call_id.

`developer` is a system entry (pinned like one) that converts back as `developer`; a
null or missing content is "" in Kata and comes back null or missing.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from domain.model import Entry, Message, Role, ToolCall
from domain.window import Window
from entrypoints.shapes._json import (
    Item,
    array,
    bad,
    check_json,
    difference,
    each,
    entries_of,
    items_in,
    message,
    obj,
    part_in,
    part_out,
    patched,
    residue,
    residue_of,
    text,
)

SHAPE = "openai.chat"
_ROLES = {
    "system": Role.SYSTEM,
    "developer": Role.SYSTEM,
    "user": Role.USER,
    "assistant": Role.ASSISTANT,
    "tool": Role.TOOL,
}


def _call_in(raw: Any, path: str) -> ToolCall:
    d = obj(raw, path)
    call_id = text(d.get("id"), f"{path}.id")
    if d.get("type", "function") == "custom":
        custom = obj(d.get("custom"), f"{path}.custom")
        return ToolCall(
            id=call_id,
            name=text(custom.get("name"), f"{path}.custom.name"),
            arguments=text(custom.get("input"), f"{path}.custom.input"),
        )
    function = obj(d.get("function"), f"{path}.function")
    return ToolCall(
        id=call_id,
        name=text(function.get("name"), f"{path}.function.name"),
        arguments=text(function.get("arguments"), f"{path}.function.arguments"),
    )


def written(m: Message | Entry) -> Item:
    """The Chat message Kata writes for an entry, before any residue is applied."""
    content: Any = m.content if isinstance(m.content, str) else [part_out(p) for p in m.content]
    out: Item = {"role": m.role.value, "content": content}
    if m.name is not None:
        out["name"] = m.name
    if m.tool_calls:
        out["tool_calls"] = [
            {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
            for c in m.tool_calls
        ]
    if m.tool_call_id is not None:
        out["tool_call_id"] = m.tool_call_id
    return out


def _message_in(raw: Any, path: str) -> Message:
    d = obj(raw, path)
    check_json(dict(d), path)
    role = d.get("role")
    if role == "function":
        raise bad(f"{path}.role", "the deprecated 'function' role is not supported; use 'tool'")
    if role not in _ROLES:
        raise bad(f"{path}.role", f"expected one of {', '.join(_ROLES)}, got {role!r}")
    content = d.get("content")
    if content is None:
        content = ""
    elif not isinstance(content, str):
        content = tuple(each(array(content, f"{path}.content"), f"{path}.content", part_in))
    name = d.get("name")
    calls = d.get("tool_calls")
    where = f"{path}.tool_calls"
    fields: dict[str, Any] = {
        "role": _ROLES[role],
        "content": content,
        "name": text(name, f"{path}.name") if name is not None else None,
        "tool_calls": tuple(each(array(calls, where), where, _call_in)) if calls else (),
        "tool_call_id": text(d["tool_call_id"], f"{path}.tool_call_id")
        if d.get("tool_call_id") is not None
        else None,
    }
    draft = message(path, **fields)
    diff = difference(d, written(draft))
    return message(path, **fields, metadata=residue(SHAPE, **diff))


def from_openai_chat(messages: Iterable[Any]) -> list[Message]:
    """Chat Completions messages as Kata Messages, one each."""
    return each(items_in(messages, "messages"), "messages", _message_in)


def to_openai_chat(source: Window | Iterable[Message | Entry]) -> list[Item]:
    """Entries (or a Window's) as Chat Completions messages: those that came from Chat
    exactly as they were, the others as Kata writes them."""
    out = []
    for m in entries_of(source):
        diff = residue_of(m, SHAPE)
        out.append(patched(written(m), diff))
    return out
