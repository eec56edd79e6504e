"""LangChain's chat history over Kata, and message converters (the `langchain` extra)."""

from entrypoints.integrations.langchain import (
    KataChatMessageHistory,
    from_langchain,
    to_langchain,
)

__all__ = ["KataChatMessageHistory", "from_langchain", "to_langchain"]
