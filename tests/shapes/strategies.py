"""Hypothesis strategies for the shapes agents hold: Chat messages, Responses items,
Anthropic messages, with the odd corners (extra keys, nulls, opaque items) included."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

# Text every store keeps: no NUL, no lone surrogates.
texts = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
                max_size=12)
ids = st.text("abcdef0123456789_", min_size=1, max_size=8)
scalars = st.none() | st.booleans() | st.integers(-10, 10) | st.floats(
    allow_nan=False, allow_infinity=False, width=32
) | texts
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(texts, inner, max_size=3),
    max_leaves=6,
)
# Extra fields a vendor may add; never one a converter reads.
RESERVED = {"type", "text", "role", "content", "name", "tool_calls", "tool_call_id", "id",
            "function", "call_id", "arguments", "input", "output", "tool_use_id", "custom"}
extras = st.dictionaries(
    st.text("abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=8).filter(
        lambda k: k not in RESERVED
    ),
    json_values,
    max_size=2,
)


@st.composite
def parts(draw: Any, types: Any) -> dict[str, Any]:
    part: dict[str, Any] = {"type": draw(types), **draw(extras)}
    if draw(st.booleans()):
        part["text"] = draw(texts)
    return part


def contents(types: Any, *, null: bool = False) -> Any:
    base = texts | st.lists(parts(types), max_size=3)
    return base | st.none() if null else base


# -- OpenAI Chat Completions --------------------------------------------------------------


@st.composite
def chat_call(draw: Any) -> dict[str, Any]:
    if draw(st.booleans()):
        return {"id": draw(ids), "type": "custom",
                "custom": {"name": draw(ids), "input": draw(texts)}}
    call: dict[str, Any] = {"id": draw(ids), "function": {"name": draw(ids),
                                                          "arguments": draw(texts)}}
    if draw(st.booleans()):
        call["type"] = "function"
    return call


@st.composite
def chat_message(draw: Any) -> dict[str, Any]:
    role = draw(st.sampled_from(["system", "developer", "user", "assistant", "tool"]))
    m: dict[str, Any] = {"role": role, **draw(extras)}
    if draw(st.booleans()) or role != "assistant":
        m["content"] = draw(contents(st.sampled_from(["text", "image_url", "input_audio"]),
                                     null=role == "assistant"))
    if role != "tool" and draw(st.booleans()):
        m["name"] = draw(ids)
    if role == "assistant" and draw(st.booleans()):
        m["tool_calls"] = draw(st.lists(chat_call(), min_size=1, max_size=3))
    if role == "tool":
        m["tool_call_id"] = draw(ids)
    return m


# -- OpenAI Responses ----------------------------------------------------------------------


@st.composite
def responses_item(draw: Any) -> dict[str, Any]:
    kind = draw(st.sampled_from([
        "message", "easy", "function_call", "custom_tool_call", "function_call_output",
        "custom_tool_call_output", "reasoning", "compaction", "web_search_call",
        "item_reference",
    ]))
    if kind in ("message", "easy"):
        role = draw(st.sampled_from(["user", "assistant", "system", "developer"]))
        item: dict[str, Any] = {"role": role, "content": draw(contents(
            st.sampled_from(["input_text", "output_text", "input_image", "refusal"])))}
        if kind == "message":
            item["type"] = "message"
        return {**item, **draw(extras)}
    if kind in ("function_call", "custom_tool_call"):
        field = "arguments" if kind == "function_call" else "input"
        return {"type": kind, "call_id": draw(ids), "name": draw(ids), field: draw(texts),
                **draw(extras)}
    if kind.endswith("_output"):
        output = draw(texts | st.lists(parts(st.sampled_from(["input_text", "input_image"])),
                                       max_size=2))
        return {"type": kind, "call_id": draw(ids), "output": output, **draw(extras)}
    if kind == "reasoning":
        return {"type": "reasoning", "id": draw(ids),
                "summary": [{"type": "summary_text", "text": draw(texts)}],
                "encrypted_content": draw(texts), **draw(extras)}
    return {"type": kind, "id": draw(ids), "encrypted_content": draw(texts), **draw(extras)}


# -- Anthropic Messages ----------------------------------------------------------------------


@st.composite
def tool_result(draw: Any) -> dict[str, Any]:
    block: dict[str, Any] = {"type": "tool_result", "tool_use_id": draw(ids), **draw(extras)}
    if draw(st.booleans()):
        block["content"] = draw(texts | st.lists(parts(st.sampled_from(["text", "image"])),
                                                 max_size=2))
    return block


@st.composite
def tool_use(draw: Any) -> dict[str, Any]:
    given = draw(st.dictionaries(texts, json_values, max_size=3))
    return {"type": "tool_use", "id": draw(ids), "name": draw(ids), "input": given,
            **draw(extras)}


other_blocks = parts(st.sampled_from(["text", "image", "document", "thinking",
                                      "redacted_thinking", "server_tool_use"]))


@st.composite
def anthropic_message(draw: Any) -> dict[str, Any]:
    if draw(st.booleans()):
        blocks = draw(st.lists(tool_result() | other_blocks, max_size=4))
        return {"role": "user", "content": draw(st.just(blocks) | texts)}
    blocks = draw(st.lists(tool_use() | other_blocks, max_size=4))
    return {"role": "assistant", "content": draw(st.just(blocks) | texts)}
