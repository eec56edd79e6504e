"""What a provider accepts: every tool result right after the call it answers, no orphans."""

from __future__ import annotations

from typing import Any


def assert_responses_valid(items: list[Any]) -> None:
    """Responses input: each function_call answered by its output before anything else a
    user says, no output without its call, a reasoning item followed by what it produced."""
    open_calls: list[str] = []
    for i, item in enumerate(items):
        kind = item.get("type", "message")
        if kind == "function_call":
            open_calls.append(item["call_id"])
        elif kind == "function_call_output":
            assert item["call_id"] in open_calls, f"orphan output at {i}: {items}"
            open_calls.remove(item["call_id"])
        else:
            assert not open_calls, f"calls {open_calls} unanswered before item {i}: {items}"
        if kind == "reasoning":
            assert i + 1 < len(items), f"reasoning item without what it produced: {items}"
            assert items[i + 1].get("type") in ("function_call", "message", "reasoning"), items
    assert not open_calls, f"calls {open_calls} never answered: {items}"


def assert_chat_valid(messages: list[Any]) -> None:
    """Chat-style (LangChain) messages: an AI message with tool calls is followed at once by
    one tool message per call; a tool message never appears elsewhere."""
    i = 0
    while i < len(messages):
        m = messages[i]
        calls = [c["id"] for c in getattr(m, "tool_calls", None) or []]
        if m.type == "tool":
            raise AssertionError(f"orphan tool message at {i}: {messages}")
        if calls:
            answers = [x.tool_call_id for x in messages[i + 1:i + 1 + len(calls)]]
            assert sorted(answers) == sorted(calls), f"calls at {i} not answered: {messages}"
            i += len(calls)
        i += 1
