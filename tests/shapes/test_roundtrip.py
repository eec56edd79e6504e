"""Every shape maps to Kata's Message and back without loss, and bad shapes name their path."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import InvalidInput
from domain.model import Role
from entrypoints.shapes import (
    from_anthropic,
    from_openai_chat,
    from_responses,
    to_anthropic,
    to_openai_chat,
    to_responses,
)
from entrypoints.shapes._json import same
from tests.shapes import strategies as s


@given(st.lists(s.chat_message(), max_size=6))
def test_chat_messages_round_trip(messages: list[dict[str, Any]]) -> None:
    kata = from_openai_chat(messages)
    assert len(kata) == len(messages)
    assert same(to_openai_chat(kata), messages)


@given(st.lists(s.responses_item(), max_size=8))
def test_responses_items_round_trip(items: list[dict[str, Any]]) -> None:
    assert same(to_responses(from_responses(items)), items)


@given(st.lists(s.anthropic_message(), max_size=6), st.none() | s.texts)
def test_anthropic_messages_round_trip(messages: list[dict[str, Any]], system: Any) -> None:
    back = to_anthropic(from_anthropic(messages, system=system))
    expected: dict[str, Any] = {"messages": messages}
    if system is not None:
        expected["system"] = system
    assert same(back, expected)


def test_opaque_items_are_kept_whole() -> None:
    reasoning = {"type": "reasoning", "id": "rs_1", "summary": [],
                 "encrypted_content": "gAAAAB" + "x" * 2000}
    call = {"type": "function_call", "call_id": "c1", "name": "f", "arguments": "{}",
            "id": "fc_1", "status": "completed"}
    compaction = {"type": "compaction", "id": "cmp_1", "encrypted_content": "enc"}
    turn, later = from_responses([reasoning, call, compaction])
    # The reasoning item travels with the call it precedes, as one assistant entry.
    assert turn.role is Role.ASSISTANT and [c.id for c in turn.tool_calls] == ["c1"]
    assert turn.content[0].type == "reasoning"
    assert turn.content[0].data["encrypted_content"] == reasoning["encrypted_content"]
    assert later.pinned and later.content[0].type == "compaction"
    assert to_responses([turn, later]) == [reasoning, call, compaction]


def test_anthropic_tool_results_become_tool_entries() -> None:
    kata = from_anthropic([
        {"role": "assistant", "content": [
            {"type": "tool_use", "id": "t1", "name": "f", "input": {"q": 1}}]},
        {"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": "t1", "content": "ok"},
            {"type": "text", "text": "and then?"}]},
    ])
    assert [m.role for m in kata] == [Role.ASSISTANT, Role.TOOL, Role.USER]
    assert kata[0].tool_calls[0].arguments == '{"q": 1}' and kata[1].tool_call_id == "t1"


def test_converting_across_shapes_gives_each_provider_its_own_shape() -> None:
    chat = from_openai_chat([
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "weather?"},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "c1", "type": "function",
             "function": {"name": "weather", "arguments": '{"city": "Oslo"}'}}]},
        {"role": "tool", "tool_call_id": "c1", "content": "rain"},
    ])
    assert to_anthropic(chat) == {"system": "Be brief.", "messages": [
        {"role": "user", "content": "weather?"},
        {"role": "assistant", "content": [
            {"type": "tool_use", "id": "c1", "name": "weather", "input": {"city": "Oslo"}}]},
        {"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": "c1", "content": "rain"}]},
    ]}
    assert to_responses(chat)[2:] == [
        {"type": "function_call", "call_id": "c1", "name": "weather",
         "arguments": '{"city": "Oslo"}'},
        {"type": "function_call_output", "call_id": "c1", "output": "rain"},
    ]


@pytest.mark.parametrize(("convert", "bad", "path"), [
    (from_openai_chat, [{"role": "robot"}], r"messages\[0\]\.role"),
    (from_openai_chat, [{"role": "user", "content": [{"text": "no type"}]}],
     r"messages\[0\]\.content\[0\]\.type"),
    (from_openai_chat, [{"role": "user", "content": "x"},
                        {"role": "assistant", "tool_calls": [{"id": "c", "function": {}}]}],
     r"messages\[1\]\.tool_calls\[0\]\.function\.name"),
    (from_openai_chat, [{"role": "tool", "content": "orphan"}], r"messages\[0\]: .*tool_call_id"),
    (from_openai_chat, [{"role": "user", "content": "nul \x00"}], r"messages\[0\]: .*NUL"),
    (from_openai_chat, [{"role": "user", "content": "x", "extra": float("nan")}],
     r"messages\[0\]\.extra: numbers must be finite"),
    (from_openai_chat, {"role": "user"}, r"messages: expected a list"),
    (from_responses, [{"type": "function_call", "call_id": "c", "name": "f"}],
     r"items\[0\]\.arguments"),
    (from_responses, [{"role": "user", "content": 3}], r"items\[0\]\.content"),
    (from_responses, [{"type": "function_call_output", "output": "x"}],
     r"items\[0\]\.call_id"),
    (from_responses, ["not an item"], r"items\[0\]: expected an object"),
    (from_anthropic, [{"role": "user", "content": [{"type": "tool_use", "id": "t",
                                                   "name": "f", "input": {}}]}],
     r"messages\[0\]\.content\[0\]\.type: tool_use blocks belong in assistant"),
    (from_anthropic, [{"role": "assistant", "content": [{"type": "tool_use", "id": "t",
                                                        "name": "f", "input": []}]}],
     r"messages\[0\]\.content\[0\]\.input: expected an object"),
    (from_anthropic, [{"role": "user", "content": "x", "stop": 1}], r"messages\[0\]\.stop"),
    (from_anthropic, [{"role": "system", "content": "x"}], r"messages\[0\]\.role"),
])
def test_bad_shapes_name_the_path(convert: Any, bad: Any, path: str) -> None:
    with pytest.raises(InvalidInput, match=path):
        convert(bad)
