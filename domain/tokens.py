"""How a message is measured in tokens: its text plus the chat format's framing."""

from __future__ import annotations

from domain.model import Entry, EntryDraft, Message

# OpenAI's chat format spends about 3 tokens framing each message and 1 for a name.
FRAMING_TOKENS = 3
NAME_TOKENS = 1


def message_text(message: Message | EntryDraft | Entry) -> str:
    """The text of a message: content, then any tool calls' names and arguments.

    Tokenizers count it and lexical search (both stores) indexes it.
    """
    if isinstance(message.content, str):
        parts = [message.content]
    else:
        parts = [p.text for p in message.content if p.text]
    for call in message.tool_calls:
        parts.extend((call.name, call.arguments))
    return "\n".join(parts)


def framing_tokens(message: Message) -> int:
    """Tokens the chat format adds around a message, beyond its text."""
    return FRAMING_TOKENS + (NAME_TOKENS if message.name else 0)
