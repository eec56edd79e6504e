"""Kata Context for agent builders: one import package, `kata_context`.

    from kata_context import KataClient, AsyncKataClient   # the HTTP API, typed
    from kata_context import memory_engine, InProcessKata   # the engine, in process
    from kata_context import postgres_engine                # ... over a PostgreSQL URL
    from kata_context.shapes import from_responses, to_responses, ...
    from kata_context.openai_agents import KataSession      # extra: openai-agents
    from kata_context.langchain import KataChatMessageHistory  # extra: langchain
    from kata_context.langgraph import KataGraphMemory      # extra: langgraph

In the repository (and an editable install) this package re-exports the design card's
top-level layers; the wheel puts those layers inside it (kata_context.domain, ...), so
installing Kata occupies this one name in site-packages and collides with nothing.
"""

from domain import errors
from domain.model import ContentPart, ContextChanges, Message, Policy, Role, ToolCall
from entrypoints.client import ApiError, AsyncKataClient, KataClient
from entrypoints.engine import Engine
from entrypoints.integrations.kata import InProcessKata
from entrypoints.offline import memory_engine, postgres_engine

__all__ = [
    "ApiError",
    "AsyncKataClient",
    "ContentPart",
    "ContextChanges",
    "Engine",
    "InProcessKata",
    "KataClient",
    "Message",
    "Policy",
    "Role",
    "ToolCall",
    "errors",
    "memory_engine",
    "postgres_engine",
]
