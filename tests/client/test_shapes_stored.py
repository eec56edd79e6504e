"""Agent shapes stored through the engine (in process and over HTTP, both stores) come back
identical: residues and opaque items survive storage, windows and the wire."""

from __future__ import annotations

from typing import Any

from entrypoints.shapes import (
    from_anthropic,
    from_openai_chat,
    from_responses,
    to_anthropic,
    to_openai_chat,
    to_responses,
)

RESPONSES = [
    {"role": "user", "content": "What's the weather in Oslo?"},
    {"type": "reasoning", "id": "rs_1", "summary": [{"type": "summary_text", "text": "Use tool"}],
     "encrypted_content": "gAAAAABo" + "Zm9v" * 200},
    {"type": "function_call", "id": "fc_1", "call_id": "call_1", "name": "weather",
     "arguments": '{"city":"Oslo"}', "status": "completed"},
    {"type": "function_call_output", "call_id": "call_1", "output": "rain, 11C"},
    {"type": "message", "id": "msg_1", "role": "assistant", "status": "completed",
     "content": [{"type": "output_text", "text": "Rain in Oslo.", "annotations": [],
                  "logprobs": []}]},
    {"type": "compaction", "id": "cmp_1", "encrypted_content": "opaque=="},
]
CHAT = [
    {"role": "developer", "content": "Be brief."},
    {"role": "user", "content": [{"type": "text", "text": "hi"},
                                 {"type": "image_url", "image_url": {"url": "data:,x"}}]},
    {"role": "assistant", "content": None, "refusal": None, "tool_calls": [
        {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}]},
    {"role": "tool", "tool_call_id": "c1", "content": "ok"},
]
ANTHROPIC = {"system": "Be brief.", "messages": [
    {"role": "user", "content": "weather?"},
    {"role": "assistant", "content": [
        {"type": "thinking", "thinking": "call it", "signature": "sig=="},
        {"type": "tool_use", "id": "t1", "name": "weather", "input": {"city": "Oslo"},
         "cache_control": {"type": "ephemeral"}}]},
    {"role": "user", "content": [
        {"type": "tool_result", "tool_use_id": "t1", "content": "rain", "is_error": False},
        {"type": "text", "text": "thanks"}]},
]}


def _stored(kata: Any, messages: list[Any]) -> list[Any]:
    cid = kata.create_context().id
    kata.append(cid, messages)
    return list(kata.entries(cid, limit=1000).items)


def test_responses_items_survive_storage(kata: Any) -> None:
    assert to_responses(_stored(kata, from_responses(RESPONSES))) == RESPONSES


def test_chat_messages_survive_storage(kata: Any) -> None:
    assert to_openai_chat(_stored(kata, from_openai_chat(CHAT))) == CHAT


def test_anthropic_messages_survive_storage(kata: Any) -> None:
    stored = _stored(kata, from_anthropic(ANTHROPIC["messages"], system=ANTHROPIC["system"]))
    assert to_anthropic(stored) == ANTHROPIC


def test_a_window_of_responses_items_is_whole_items(kata: Any) -> None:
    cid = kata.create_context().id
    kata.append(cid, from_responses(RESPONSES))
    items = to_responses(kata.window(cid, budget=60))
    # The pinned compaction item leads; the reasoning item never travels without its call.
    assert items[0]["type"] == "compaction"
    kinds = [i.get("type", "message") for i in items]
    if "function_call" in kinds:
        assert kinds[kinds.index("function_call") - 1] == "reasoning"
        assert "function_call_output" in kinds
