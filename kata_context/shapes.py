"""Converters between the shapes agents hold and Kata's Message (see entrypoints/shapes)."""

from entrypoints.shapes import (
    from_anthropic,
    from_openai_chat,
    from_responses,
    to_anthropic,
    to_openai_chat,
    to_responses,
)

__all__ = [
    "from_anthropic",
    "from_openai_chat",
    "from_responses",
    "to_anthropic",
    "to_openai_chat",
    "to_responses",
]
