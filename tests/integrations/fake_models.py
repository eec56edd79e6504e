"""A LangChain chat model that calls a tool for every human turn, then answers."""

from __future__ import annotations

from typing import Any

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult


class ToolCallingFake(BaseChatModel):
    """Scripted: a human (or no tool) last asks for `lookup`; a tool result last answers."""

    seen: list[list[BaseMessage]] = []
    calls: int = 0

    def _generate(self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None,
                  **kwargs: Any) -> ChatResult:
        self.seen.append(list(messages))
        self.calls += 1
        n = self.calls
        if messages[-1].type == "tool":
            reply = AIMessage(content=f"answer {n}: {messages[-1].content}", id=f"ai-{n}")
        else:
            reply = AIMessage(content="", id=f"ai-{n}", tool_calls=[
                {"name": "lookup", "args": {"order": str(4400 + n)}, "id": f"call_{n}"}])
        return ChatResult(generations=[ChatGeneration(message=reply)])

    def bind_tools(self, tools: Any, **kwargs: Any) -> ToolCallingFake:
        return self

    @property
    def _llm_type(self) -> str:
        return "tool-calling-fake"
