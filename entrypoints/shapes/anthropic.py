"""Anthropic Messages: `system`, user and assistant turns, tool_use and tool_result blocks.

One Anthropic message can become several entries: each tool_result block is a tool entry
(so windows pair it with its tool_use), and the blocks around them a user entry; entries
after the first of a message carry `joined` so they become one message again. An
assistant message is one entry: its tool_use blocks are its tool calls (`input` as JSON
text), every other block (text, thinking with its signature, redacted_thinking, server
tool blocks) a content part. The `system` prompt is a system entry; converting back, the
system entries (a compaction summary too) form `system`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from domain.model import ContentPart, Entry, Message, Role, ToolCall
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

SHAPE = "anthropic"


def _content_in(value: Any, path: str) -> str | tuple[ContentPart, ...]:
    if isinstance(value, str):
        return value
    return tuple(each(array(value, path), path, part_in))


def _content_out(content: str | tuple[ContentPart, ...]) -> Any:
    return content if isinstance(content, str) else [part_out(p) for p in content]


def _blocks(content: Any) -> list[Item]:
    if isinstance(content, str):
        return [{"type": "text", "text": content}] if content else []
    return list(content)


def _result_written(m: Message | Entry) -> Item:
    out: Item = {"type": "tool_result", "tool_use_id": m.tool_call_id or ""}
    out["content"] = _content_out(m.content)
    return out


def _use_written(call: ToolCall) -> Item:
    try:
        given = json.loads(call.arguments)
    except ValueError:
        given = {"arguments": call.arguments}
    if not isinstance(given, dict):
        given = {"arguments": given}
    return {"type": "tool_use", "id": call.id, "name": call.name, "input": given}


def _tool_result(block: Item, path: str, **flags: Any) -> Message:
    fields: dict[str, Any] = {
        "role": Role.TOOL,
        "tool_call_id": text(block.get("tool_use_id"), f"{path}.tool_use_id"),
        "content": _content_in(block["content"], f"{path}.content")
        if "content" in block
        else "",
    }
    diff = difference(block, _result_written(message(path, **fields)))
    return message(path, **fields, metadata=residue(SHAPE, block=diff, **flags))


def _user_in(content: Any, path: str, after_tool: bool) -> list[Message]:
    if isinstance(content, str):
        return [message(path, role=Role.USER, content=content)]
    out: list[Message] = []
    run: list[ContentPart] = []
    kinds: list[str] = []

    def flush() -> None:
        if run:
            out.append(message(path, role=Role.USER, content=tuple(run),
                               metadata=residue(SHAPE, joined=bool(out))))
            kinds.append("user")
            run.clear()

    for i, raw in enumerate(array(content, path)):
        where = f"{path}[{i}]"
        block = obj(raw, where)
        kind = text(block.get("type"), f"{where}.type")
        if kind == "tool_use":
            raise bad(f"{where}.type", "tool_use blocks belong in assistant messages")
        if kind != "tool_result":
            run.append(part_in(block, where))
            continue
        flush()
        check_json(dict(block), where)
        if out:
            flags = {} if kinds[-1] == "tool" else {"joined": True}
        else:
            flags = {"new_message": True} if after_tool else {}
        out.append(_tool_result(dict(block), where, **flags))
        kinds.append("tool")
    flush()
    return out or [message(path, role=Role.USER, content=())]


def _assistant_in(content: Any, path: str) -> Message:
    if isinstance(content, str):
        return message(path, role=Role.ASSISTANT, content=content)
    parts: list[ContentPart] = []
    calls: list[ToolCall] = []
    at: list[int] = []
    diffs: list[Item] = []
    for i, raw in enumerate(array(content, path)):
        where = f"{path}[{i}]"
        block = obj(raw, where)
        kind = text(block.get("type"), f"{where}.type")
        if kind == "tool_result":
            raise bad(f"{where}.type", "tool_result blocks belong in user messages")
        if kind != "tool_use":
            parts.append(part_in(block, where))
            continue
        check_json(dict(block), where)
        given = obj(block.get("input"), f"{where}.input")
        call = ToolCall(
            id=text(block.get("id"), f"{where}.id"),
            name=text(block.get("name"), f"{where}.name"),
            arguments=json.dumps(given, ensure_ascii=False),
        )
        calls.append(call)
        at.append(i)
        diffs.append(difference(block, _use_written(call)))
    layout = at if at != list(range(len(parts), len(parts) + len(calls))) else None
    return message(
        path, role=Role.ASSISTANT, content=tuple(parts), tool_calls=tuple(calls),
        metadata=residue(SHAPE, tool_use_at=layout, calls=diffs if any(diffs) else None),
    )


def from_anthropic(messages: Iterable[Any], *, system: Any = None) -> list[Message]:
    """Anthropic `messages` (and the `system` prompt, if given) as Kata Messages."""
    out: list[Message] = []
    if system is not None:
        out.append(message("system", role=Role.SYSTEM, content=_content_in(system, "system")))
    for i, raw in enumerate(items_in(messages, "messages")):
        path = f"messages[{i}]"
        d = obj(raw, path)
        extra = sorted(set(d) - {"role", "content"})
        if extra:
            raise bad(f"{path}.{extra[0]}", "not a field of an Anthropic message")
        if "content" not in d:
            raise bad(f"{path}.content", "missing")
        role = d.get("role")
        if role == "user":
            after_tool = bool(out) and out[-1].role is Role.TOOL
            out.extend(_user_in(d["content"], f"{path}.content", after_tool))
        elif role == "assistant":
            out.append(_assistant_in(d["content"], f"{path}.content"))
        else:
            raise bad(f"{path}.role", f"expected 'user' or 'assistant', got {role!r}")
    return out


def _assistant_out(m: Message | Entry) -> Any:
    r = residue_of(m, SHAPE)
    if isinstance(m.content, str) and not m.tool_calls:
        return m.content
    blocks = _blocks(_content_out(m.content))
    diffs = r.get("calls") or [{}] * len(m.tool_calls)
    uses = [patched(_use_written(c), d) for c, d in zip(m.tool_calls, diffs, strict=False)]
    at = r.get("tool_use_at") or range(len(blocks), len(blocks) + len(uses))
    for i, use in zip(at, uses, strict=False):
        blocks.insert(i, use)
    return blocks


def to_anthropic(source: Window | Iterable[Message | Entry]) -> dict[str, Any]:
    """Entries (or a Window's) as `{"system": ..., "messages": [...]}` for the Messages
    API: those that came from Anthropic exactly as they were ("system" only when some
    entry is a system entry)."""
    systems: list[Message | Entry] = []
    out: list[Item] = []
    previous: Role | None = None
    for m in entries_of(source):
        r = residue_of(m, SHAPE)
        if m.role is Role.SYSTEM:
            systems.append(m)
            continue
        if m.role is Role.TOOL:
            role, content = "user", [patched(_result_written(m), r.get("block"))]
        elif m.role is Role.USER:
            role, content = "user", _content_out(m.content)
        else:
            role, content = "assistant", _assistant_out(m)
        follows_tool = m.role is Role.TOOL and previous is Role.TOOL and not r.get("new_message")
        if out and out[-1]["role"] == role and (r.get("joined") or follows_tool):
            out[-1]["content"] = _blocks(out[-1]["content"]) + _blocks(content)
        else:
            out.append({"role": role, "content": content})
        previous = m.role
    result: dict[str, Any] = {"messages": out}
    if len(systems) == 1:
        result["system"] = _content_out(systems[0].content)
    elif systems:
        result["system"] = [b for s in systems for b in _blocks(_content_out(s.content))]
    return result
