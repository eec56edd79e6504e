"""KataChatMessageHistory in LangChain's RunnableWithMessageHistory, and lossless messages."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

pytest.importorskip("langchain_core")
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

from langchain_core.messages import (  # noqa: E402
    AIMessage,
    AIMessageChunk,
    HumanMessage,
    SystemMessage,
    ToolMessage,
    messages_to_dict,
)
from langchain_core.prompts import ChatPromptTemplate, MessagesPlaceholder  # noqa: E402
from langchain_core.runnables.history import RunnableWithMessageHistory  # noqa: E402

from domain.errors import InvalidInput  # noqa: E402
from domain.model import Policy, Role  # noqa: E402
from entrypoints.integrations.langchain import (  # noqa: E402
    KataChatMessageHistory,
    from_langchain,
    to_langchain,
)
from entrypoints.offline import memory_engine  # noqa: E402
from tests.integrations.fake_models import ToolCallingFake  # noqa: E402
from tests.integrations.validity import assert_chat_valid  # noqa: E402

MESSAGES = [
    SystemMessage(content="Be brief.", id="s1"),
    HumanMessage(content=["look", {"type": "image_url", "image_url": {"url": "data:,x"}}],
                 id="h1", name="ann"),
    AIMessage(content="", id="a1", tool_calls=[{"name": "lookup", "args": {"q": [1, 2.5]},
                                                "id": "c1"}],
              response_metadata={"model_name": "fake"},
              usage_metadata={"input_tokens": 3, "output_tokens": 4, "total_tokens": 7}),
    ToolMessage(content="found", tool_call_id="c1", artifact={"rows": 3}, status="error"),
    AIMessageChunk(content="partial", id="a2"),
]


def test_langchain_messages_round_trip() -> None:
    kata = from_langchain(MESSAGES)
    assert [m.role for m in kata] == [Role.SYSTEM, Role.USER, Role.ASSISTANT, Role.TOOL,
                                     Role.ASSISTANT]
    assert kata[2].tool_calls[0].arguments == '{"q": [1, 2.5]}'
    assert messages_to_dict(to_langchain(kata)) == messages_to_dict(MESSAGES)
    with pytest.raises(InvalidInput, match=r"messages\[0\]"):
        from_langchain([{"role": "user"}])  # type: ignore[list-item]


def test_history_in_runnable_with_message_history() -> None:
    engine = memory_engine()
    history = KataChatMessageHistory.create(engine, policy=Policy(budget=120))
    # A tool exchange already in the history: windows keep it whole or leave it out.
    history.add_messages([
        HumanMessage(content="order 4417?"),
        AIMessage(content="", tool_calls=[{"name": "lookup", "args": {}, "id": "c0"}]),
        ToolMessage(content="in transit " * 10, tool_call_id="c0"),
        AIMessage(content="It is in transit."),
    ])
    model = ToolCallingFake(seen=[])
    prompt = ChatPromptTemplate.from_messages(
        [MessagesPlaceholder("history"), ("human", "{question}")]
    )
    chain = RunnableWithMessageHistory(
        prompt | model, lambda _sid: history, input_messages_key="question",
        history_messages_key="history",
    )
    for turn in range(6):
        chain.invoke({"question": f"and order {turn}? " * 3},
                     config={"configurable": {"session_id": "any"}})
    # The chain never runs the tools the model asks for: windows leave those calls out.
    for seen in model.seen:
        assert_chat_valid(seen)
    assert len(history.messages) < 4 + 12
    full = KataChatMessageHistory(history.session_id, engine, full_history=True)
    assert len(full.messages) == 4 + 12


def test_async_history_and_clear() -> None:
    engine = memory_engine()
    history = KataChatMessageHistory.create(engine)

    async def main() -> None:
        await history.aadd_messages([HumanMessage(content="hi", id="h"),
                                     AIMessage(content="hello", id="a")])
        assert [m.id for m in await history.aget_messages()] == ["h", "a"]
        await history.aclear()
        assert await history.aget_messages() == []
        history.add_user_message("again")
        assert [m.content for m in history.messages] == ["again"]
        history.clear()
        assert history.messages == []

    asyncio.run(main())
    assert engine.get_context("local", history.session_id).head_version == 2


def test_async_history_over_http(kata_http: Any) -> None:
    async def main() -> None:
        context = await kata_http.create_context(name="lc")
        history = KataChatMessageHistory(context.id, kata_http)
        await history.aadd_messages(MESSAGES[:4])
        got = await history.aget_messages()
        assert messages_to_dict(got) == messages_to_dict(MESSAGES[:4])
        with pytest.raises(TypeError):
            _ = history.messages

    asyncio.run(main())
