"""Windows a provider accepts: a tool result never travels without its call, nor a call
without all of its results, whatever was appended (on every store)."""

from __future__ import annotations

from domain.model import Message, Role, ToolCall
from domain.window import Window
from entrypoints.engine import Engine


def user(text: str) -> Message:
    return Message(role=Role.USER, content=text, token_count=5)


def call(*ids: str) -> Message:
    calls = tuple(ToolCall(id=i, name="lookup", arguments="{}") for i in ids)
    return Message(role=Role.ASSISTANT, tool_calls=calls, token_count=5)


def result(call_id: str, text: str = "the answer is 42") -> Message:
    return Message(role=Role.TOOL, content=text, tool_call_id=call_id, token_count=5)


def sent(window: Window) -> list[int]:
    return [w.entry.version for w in window.entries]


def windows(engine: Engine, tenant: str, cid: str) -> list[Window]:
    """The recency window and query windows that would each like the tool entries."""
    return [
        engine.window(tenant, cid, budget=1000),
        engine.window(tenant, cid, budget=1000, query="answer 42 lookup"),
        engine.window(tenant, cid, budget=30, query="answer 42"),
    ]


def test_a_result_for_an_unknown_call_is_kept_in_history_and_out_of_windows(
    engine: Engine, tenant: str
) -> None:
    ctx = engine.create_context(tenant)
    engine.append(tenant, ctx.id, [user("hi"), result("nobody-called-this"), user("and?")])
    assert [e.role for e in engine.entries(tenant, ctx.id).items][1] is Role.TOOL
    for window in windows(engine, tenant, ctx.id):
        assert 2 not in sent(window)
        assert 1 in sent(window) and 3 in sent(window)
        assert window.tokens == sum(w.entry.token_count for w in window.entries)


def test_a_call_whose_results_never_arrived_stays_out_until_they_do(
    engine: Engine, tenant: str
) -> None:
    ctx = engine.create_context(tenant)
    engine.append(tenant, ctx.id, [user("look it up"), call("c1"), user("still there?")])
    for window in windows(engine, tenant, ctx.id):
        assert 2 not in sent(window)
    engine.append(tenant, ctx.id, [result("c1")])
    full = engine.window(tenant, ctx.id, budget=1000)
    assert sent(full) == [1, 2, 3, 4]


def test_a_call_with_one_of_two_results_is_left_out_with_the_result(
    engine: Engine, tenant: str
) -> None:
    ctx = engine.create_context(tenant)
    engine.append(tenant, ctx.id, [user("two lookups"), call("a", "b"), result("a"), user("ok")])
    for window in windows(engine, tenant, ctx.id):
        assert not {2, 3} & set(sent(window))
        assert 4 in sent(window)
