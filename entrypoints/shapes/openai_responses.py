"""OpenAI Responses items (what the Agents SDK's sessions hold), stored losslessly.

- `message` items (with or without `"type": "message"`): an entry of their role
  (`developer` is a system entry), text or parts as they are.
- `function_call` / `custom_tool_call`: tool calls; `function_call_output` /
  `custom_tool_call_output`: tool entries answering them.
- Everything else (`reasoning` with its `encrypted_content`, hosted tool calls,
  `item_reference`...): one content part of the item's own type holding the item whole.
- `compaction` items: such a part in an entry of their own, pinned, because the item
  stands for all that came before it.

The model's output items of one turn (reasoning, assistant messages, tool calls) are one
assistant entry, in order, so a window never sends a function_call without the reasoning
item the API requires before it, nor parallel calls apart. The entry's metadata
(`kata_shape.items`) says which items it held and what each had beyond Kata's fields.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
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

SHAPE = "openai.responses"
_ROLES = {"system": Role.SYSTEM, "developer": Role.SYSTEM, "user": Role.USER,
          "assistant": Role.ASSISTANT}
_CALLS = {"function_call": "arguments", "custom_tool_call": "input"}
_OUTPUTS = {"function_call_output", "custom_tool_call_output"}
# Items the model writes in a turn: kept together in one assistant entry.
_TURN = {"reasoning", "function_call", "custom_tool_call", "web_search_call",
         "file_search_call", "image_generation_call", "code_interpreter_call", "mcp_call",
         "mcp_list_tools", "mcp_approval_request"}


def _kind(d: Mapping[str, Any], path: str) -> str:
    kind = d.get("type", "message")
    return text(kind, f"{path}.type")


def _content_in(value: Any, path: str) -> str | tuple[ContentPart, ...]:
    if isinstance(value, str):
        return value
    return tuple(each(array(value, path), path, part_in))


def _content_out(content: str | tuple[ContentPart, ...]) -> Any:
    return content if isinstance(content, str) else [part_out(p) for p in content]


def _message_written(role: str, content: Any) -> Item:
    return {"type": "message", "role": role, "content": content}


def _call_written(kind: str, call: ToolCall) -> Item:
    return {"type": kind, "call_id": call.id, "name": call.name, _CALLS[kind]: call.arguments}


def _output_written(kind: str, m: Message | Entry) -> Item:
    return {"type": kind, "call_id": m.tool_call_id or "", "output": _content_out(m.content)}


class _Turn:
    """The items of one model turn gathered into one assistant entry."""

    def __init__(self) -> None:
        self.parts: list[ContentPart] = []
        self.calls: list[ToolCall] = []
        self.items: list[Item] = []

    def add(self, d: Mapping[str, Any], kind: str, path: str) -> None:
        if kind in _CALLS:
            field = _CALLS[kind]
            call = ToolCall(
                id=text(d.get("call_id"), f"{path}.call_id"),
                name=text(d.get("name"), f"{path}.name"),
                arguments=text(d.get(field), f"{path}.{field}"),
            )
            self.calls.append(call)
            self.items.append({"kind": kind, **difference(d, _call_written(kind, call))})
        elif kind == "message":
            content = _content_in(d.get("content"), f"{path}.content")
            if isinstance(content, str):
                parts: tuple[ContentPart, ...] = (ContentPart(type="output_text", text=content),)
            else:
                parts = content
            self.parts.extend(parts)
            written = _message_written("assistant", _content_out(content))
            self.items.append({"kind": "message", "parts": len(parts),
                               "string": isinstance(content, str), **difference(d, written)})
        else:
            self.parts.append(ContentPart(type=kind, data={k: v for k, v in d.items()
                                                           if k != "type"}))
            self.items.append({"kind": "opaque"})

    def entry(self, path: str) -> Message:
        return message(path, role=Role.ASSISTANT, content=tuple(self.parts),
                       tool_calls=tuple(self.calls), metadata=residue(SHAPE, items=self.items))


def _alone(d: Mapping[str, Any], kind: str, path: str) -> Message:
    if kind == "message":
        role = d.get("role")
        if role not in _ROLES:
            raise bad(f"{path}.role", f"expected one of {', '.join(_ROLES)}, got {role!r}")
        content = _content_in(d.get("content"), f"{path}.content")
        diff = difference(d, _message_written(_ROLES[role].value, _content_out(content)))
        return message(path, role=_ROLES[role], content=content,
                       metadata=residue(SHAPE, items=[{"kind": "message", **diff}]))
    if kind in _OUTPUTS:
        fields: dict[str, Any] = {
            "role": Role.TOOL,
            "tool_call_id": text(d.get("call_id"), f"{path}.call_id"),
            "content": _content_in(d.get("output"), f"{path}.output"),
        }
        diff = difference(d, _output_written(kind, message(path, **fields)))
        return message(path, **fields,
                       metadata=residue(SHAPE, items=[{"kind": kind, **diff}]))
    # compaction, and input-side items with no Kata meaning of their own
    part = ContentPart(type=kind, data={k: v for k, v in d.items() if k != "type"})
    return message(path, role=Role.ASSISTANT if kind == "compaction" else Role.USER,
                   content=(part,), pinned=kind == "compaction",
                   metadata=residue(SHAPE, items=[{"kind": "opaque"}]))


def from_responses(items: Iterable[Any]) -> list[Message]:
    """Responses input items as Kata Messages (a model turn's items as one entry)."""
    out: list[Message] = []
    turn: _Turn | None = None
    start = ""
    for i, raw in enumerate(items_in(items, "items")):
        path = f"items[{i}]"
        d = obj(raw, path)
        check_json(dict(d), path)
        kind = _kind(d, path)
        in_turn = kind in _TURN or (kind == "message" and d.get("role") == "assistant")
        if in_turn:
            if turn is None:
                turn, start = _Turn(), path
            turn.add(d, kind, path)
            continue
        if turn is not None:
            out.append(turn.entry(start))
            turn = None
        out.append(_alone(d, kind, path))
    if turn is not None:
        out.append(turn.entry(start))
    return out


def _role_out(m: Message | Entry) -> str:
    return "system" if m.role is Role.SYSTEM else m.role.value


def _written_items(m: Message | Entry) -> list[Item]:
    """What Kata writes for an entry that did not come from Responses."""
    if m.role is Role.TOOL:
        return [_output_written("function_call_output", m)]
    out: list[Item] = []
    if not (m.tool_calls and m.content in ("", ())):
        out.append(_message_written(_role_out(m), _content_out(m.content)))
    out.extend(_call_written("function_call", c) for c in m.tool_calls)
    return out


def _items_out(m: Message | Entry, layout: list[Mapping[str, Any]]) -> list[Item]:
    parts = list(m.content) if not isinstance(m.content, str) else []
    calls = list(m.tool_calls)
    out: list[Item] = []
    p = c = 0
    for item in layout:
        kind = item["kind"]
        if kind in _CALLS:
            out.append(patched(_call_written(kind, calls[c]), item))
            c += 1
        elif kind in _OUTPUTS:
            out.append(patched(_output_written(kind, m), item))
        elif kind == "opaque":
            out.append({"type": parts[p].type, **parts[p].data})
            p += 1
        elif "parts" in item:  # a message inside a model turn
            mine = parts[p:p + item["parts"]]
            p += item["parts"]
            content: Any = mine[0].text if item.get("string") else [part_out(x) for x in mine]
            out.append(patched(_message_written("assistant", content), item))
        else:
            out.append(patched(_message_written(_role_out(m), _content_out(m.content)), item))
    return out


def to_responses(source: Window | Iterable[Message | Entry]) -> list[Item]:
    """Entries (or a Window's) as Responses input items: those that came from Responses
    exactly as they were, the others as Kata writes them."""
    out: list[Item] = []
    for m in entries_of(source):
        layout = residue_of(m, SHAPE).get("items")
        out.extend(_items_out(m, layout) if layout else _written_items(m))
    return out
