"""KataGraphMemory as create_react_agent's pre/post model hooks, with a tool-calling fake."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

pytest.importorskip("langgraph")
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

from langchain_core.messages import HumanMessage  # noqa: E402
from langchain_core.tools import tool  # noqa: E402
from langgraph.prebuilt import create_react_agent  # noqa: E402

from domain.model import Policy  # noqa: E402
from entrypoints.integrations.langgraph import KataGraphMemory  # noqa: E402
from entrypoints.offline import memory_engine  # noqa: E402
from tests.integrations.fake_models import ToolCallingFake  # noqa: E402
from tests.integrations.validity import assert_chat_valid  # noqa: E402


@tool
def lookup(order: str) -> str:
    """Look an order up."""
    return f"order {order} is in transit " + "with tracking details " * 4


def _agent(memory: KataGraphMemory, model: ToolCallingFake, *, asynchronous: bool) -> Any:
    return create_react_agent(
        model, [lookup], prompt="Help with orders.",
        pre_model_hook=memory.apre_model_hook if asynchronous else memory.pre_model_hook,
        post_model_hook=memory.apost_model_hook if asynchronous else memory.post_model_hook,
    )


def test_the_model_sees_the_window_and_the_graph_is_persisted() -> None:
    engine = memory_engine()
    memory = KataGraphMemory.create(engine, policy=Policy(budget=200))
    model = ToolCallingFake(seen=[])
    agent = _agent(memory, model, asynchronous=False)
    for turn in range(6):
        # No checkpointer: each run starts from its own input; the history is Kata's.
        result = agent.invoke({"messages": [HumanMessage(content=f"where is order {turn}?")]})
        assert result["messages"][-1].content.startswith("answer")
    assert model.calls == 12
    for seen in model.seen:
        assert seen[0].type == "system"
        assert_chat_valid(seen[1:])
    # 6 turns of human, tool call, tool result, answer: all stored, windows smaller.
    assert engine.get_context("local", memory.context_id).head_version == 24
    assert max(len(s) for s in model.seen) < 24
    # A run with a remembered earlier turn: the window holds entries from past runs.
    assert any(m.content == "where is order 4?" for m in model.seen[-1])


def test_async_hooks_over_http(kata_http: Any) -> None:
    async def main() -> None:
        context = await kata_http.create_context(name="graph", policy=Policy(budget=200))
        memory = KataGraphMemory(context.id, kata_http)
        model = ToolCallingFake(seen=[])
        agent = _agent(memory, model, asynchronous=True)
        for turn in range(3):
            await agent.ainvoke({"messages": [HumanMessage(content=f"order {turn}?")]})
        for seen in model.seen:
            assert_chat_valid(seen[1:])
        assert (await kata_http.get_context(context.id)).head_version == 12

    asyncio.run(main())
