"""KataSession in the Agents SDK's real Runner, with a scripted model that calls tools."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

agents = pytest.importorskip("agents")

from agents import Agent, RunConfig, Runner, function_tool  # noqa: E402
from agents.items import ModelResponse  # noqa: E402
from agents.memory import Session  # noqa: E402
from agents.models.interface import Model  # noqa: E402
from agents.usage import Usage  # noqa: E402
from openai.types.responses import (  # noqa: E402
    ResponseFunctionToolCall,
    ResponseOutputMessage,
    ResponseOutputText,
    ResponseReasoningItem,
)

from domain.model import Policy  # noqa: E402
from entrypoints.integrations.openai_agents import KataSession  # noqa: E402
from entrypoints.offline import memory_engine  # noqa: E402
from tests.integrations.validity import assert_responses_valid  # noqa: E402


class ScriptedModel(Model):
    """Calls `lookup` for every user turn (after a reasoning item), then answers."""

    def __init__(self) -> None:
        self.inputs: list[list[Any]] = []
        self.calls = 0

    async def get_response(self, system_instructions: Any, input: Any, *args: Any,
                           **kwargs: Any) -> ModelResponse:
        items = [input] if isinstance(input, str) else list(input)
        self.inputs.append(items)
        self.calls += 1
        n = self.calls
        last = items[-1]
        if last.get("type") == "function_call_output":
            out: list[Any] = [ResponseOutputMessage(
                id=f"msg_{n}", type="message", role="assistant", status="completed",
                content=[ResponseOutputText(type="output_text", text=f"answer {n}: "
                                            + str(last["output"]), annotations=[])],
            )]
        else:
            out = [
                ResponseReasoningItem(id=f"rs_{n}", type="reasoning", summary=[],
                                      encrypted_content=f"enc-{n}-" + "x" * 40),
                ResponseFunctionToolCall(type="function_call", id=f"fc_{n}",
                                         call_id=f"call_{n}", name="lookup",
                                         arguments=f'{{"order": "{4400 + n}"}}',
                                         status="completed"),
            ]
        return ModelResponse(output=out, usage=Usage(), response_id=None)

    def stream_response(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError


@function_tool
def lookup(order: str) -> str:
    """Look an order up."""
    return f"order {order} is in transit " + "with many details " * 5


def _run_turns(session: KataSession, turns: int) -> ScriptedModel:
    model = ScriptedModel()
    agent = Agent(name="support", instructions="Help.", model=model, tools=[lookup])

    async def main() -> None:
        for t in range(turns):
            result = await Runner.run(agent, f"Where is order number {t}?", session=session,
                                      run_config=RunConfig(tracing_disabled=True))
            assert "answer" in str(result.final_output)
            window = await session.get_items()
            assert_responses_valid(window)

    asyncio.run(main())
    return model


def test_the_runner_sees_valid_token_budget_windows() -> None:
    engine = memory_engine()
    session = asyncio.run(KataSession.create(engine, policy=Policy(budget=400)))
    assert isinstance(session, Session)
    model = _run_turns(session, 8)
    assert model.calls == 16
    for items in model.inputs:
        assert_responses_valid(items)
    # Everything is stored; windows are bounded by the budget, not the item count.
    history = asyncio.run(session.get_items(limit=1000))
    assert len(history) == 8 * 5
    window = asyncio.run(session.get_items())
    assert len(window) < len(history)
    assert window[-1]["type"] == "message" and window[-1]["id"] == "msg_16"
    # Items come back exactly as the SDK stored them, encrypted reasoning included.
    assert history[1]["type"] == "reasoning"
    assert history[1]["encrypted_content"].startswith("enc-1-")


def test_limit_add_pop_and_clear_follow_the_protocol() -> None:
    engine = memory_engine()
    session = asyncio.run(KataSession.create(engine))
    items = [
        {"role": "user", "content": "hi"},
        {"type": "reasoning", "id": "rs_1", "summary": [], "encrypted_content": "e"},
        {"type": "function_call", "call_id": "c1", "name": "f", "arguments": "{}"},
    ]

    async def main() -> None:
        await session.add_items(items)
        root = await session.context_id()
        assert await session.get_items(limit=2) == items[1:]
        assert await session.pop_item() == items[2]
        assert await session.get_items(limit=10) == items[:2]
        assert await session.context_id() != root
        # Reopened by its id, the session finds where it continues.
        again = KataSession(session.session_id, engine)
        assert await again.get_items(limit=10) == items[:2]
        assert engine.get_context("local", root).head_version == 2  # nothing was lost
        await again.clear_session()
        assert await again.get_items() == [] and await again.pop_item() is None
        assert await KataSession(session.session_id, engine).get_items(limit=5) == []

    asyncio.run(main())


def test_a_retried_add_items_appends_once() -> None:
    engine = memory_engine()
    session = asyncio.run(KataSession.create(engine))
    items = [{"role": "user", "content": "hi"}]
    asyncio.run(session.add_items(items))
    session._head = (session.session_id, 0)  # the SDK retries: the call saw head 0 again
    asyncio.run(session.add_items(items))
    assert engine.get_context("local", session.session_id).head_version == 1
    asyncio.run(session.add_items(items))  # a new call (head 1): a new turn that says "hi"
    assert engine.get_context("local", session.session_id).head_version == 2


def test_the_session_over_http(kata_http: Any) -> None:
    session = asyncio.run(KataSession.create(kata_http, policy=Policy(budget=400)))
    model = _run_turns(session, 3)
    for items in model.inputs:
        assert_responses_valid(items)
