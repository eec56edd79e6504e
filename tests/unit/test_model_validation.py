"""Validation of the values clients send: policies and messages."""

from __future__ import annotations

from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import InvalidInput
from domain.model import MAX_BUDGET, ContentPart, Message, Policy, Role, ToolCall


@given(
    budget=st.integers(2, MAX_BUDGET),
    data=st.data(),
)
def test_policies_within_the_rules_construct(budget: int, data: st.DataObject) -> None:
    policy = Policy(
        budget=budget,
        reserve=data.draw(st.integers(0, budget - 1)),
        threshold=data.draw(st.floats(0.0, 1.0, exclude_min=True)),
        keep_recent=data.draw(st.integers(0, 1000)),
        summary_tokens=data.draw(st.integers(1, budget - 1)),
        relevant_share=data.draw(st.floats(0.0, 1.0)),
        neighbours=data.draw(st.integers(0, 4)),
    )
    assert policy.budget == budget


@pytest.mark.parametrize(
    "changes",
    [
        {"budget": 0},
        {"budget": MAX_BUDGET + 1},
        {"reserve": -1},
        {"reserve": 8000},
        {"threshold": 0.0},
        {"threshold": 1.01},
        {"keep_recent": -1},
        {"summary_tokens": 0},
        {"summary_tokens": 8000},
        {"relevant_share": -0.1},
        {"relevant_share": 1.5},
        {"neighbours": 5},
        {"neighbours": -1},
        {"encoding": ""},
    ],
)
def test_policies_breaking_a_rule_are_invalid(changes: dict[str, Any]) -> None:
    with pytest.raises(InvalidInput):
        Policy(**changes)


def test_small_budgets_need_no_other_setting() -> None:
    for budget in (2, 100, 500, 2048, 2049, 100_000):
        p = Policy(budget=budget)
        assert 1 <= p.summary_limit <= min(512, budget - 1)
    assert Policy().summary_limit == 512


def test_the_summary_cap_follows_a_changed_budget_unless_chosen() -> None:
    # Lowering the budget alone must stay valid: the default cap is derived, not stored.
    lowered = attrs.evolve(Policy(), budget=300)
    assert lowered.summary_limit == 75
    assert attrs.evolve(Policy(summary_tokens=40), budget=300).summary_limit == 40
    with pytest.raises(InvalidInput):
        attrs.evolve(Policy(summary_tokens=400), budget=300)


def test_policy_defaults_follow_the_design() -> None:
    p = Policy()
    assert (p.budget, p.threshold, p.keep_recent, p.reserve, p.enabled) == (
        8000,
        0.8,
        10,
        0,
        False,
    )


@pytest.mark.parametrize(
    "fields",
    [
        {"role": "wizard"},
        {"role": "user", "token_count": 0},
        {"role": "user", "token_count": -3},
        {"role": "user", "tool_calls": [ToolCall(id="c", name="t")]},
        {"role": "tool"},
        {"role": "user", "tool_call_id": "c"},
        {"role": "user", "content": "nul \x00 inside"},
        {"role": "user", "content": "lone \ud800 surrogate"},
        {"role": "user", "content": (ContentPart(type="text", text="a\x00"),)},
        {"role": "user", "metadata": {"k": "v\x00"}},
        {"role": "user", "name": "bad\x00name"},
        {"role": "assistant", "tool_calls": [ToolCall(id="c", name="t", arguments="\x00")]},
    ],
)
def test_messages_breaking_a_rule_are_invalid(fields: dict[str, Any]) -> None:
    with pytest.raises((InvalidInput, ValueError)):
        Message(**fields)


def test_valid_messages_construct() -> None:
    call = ToolCall(id="c1", name="lookup", arguments='{"q": 1}')
    assert Message(role="assistant", tool_calls=[call]).tool_calls == (call,)
    assert Message(role=Role.TOOL, content="42", tool_call_id="c1").role is Role.TOOL
    assert Message(role="user", content="hi", token_count=1).token_count == 1
    parts = (ContentPart(type="image_url", data={"url": "x"}),)
    assert Message(role="user", content=parts).content == parts


@given(text=st.text())
def test_any_storable_text_is_accepted(text: str) -> None:
    if "\x00" in text:
        with pytest.raises(InvalidInput):
            Message(role="user", content=text)
        return
    assert Message(role="user", content=text).content == text
