"""The message shapes agents already hold, to Kata's Message and back, losslessly.

OpenAI Chat Completions messages (`openai_chat`), OpenAI Responses items
(`openai_responses`) and Anthropic Messages (`anthropic`). What Kata's model has a place
for (role, text and parts, tool calls and results) goes there, so windows count, search
and pair it; whatever else an item holds (ids, statuses, `developer` roles, null contents,
cache controls...) travels in the entry's metadata under `kata_shape`, as the difference
between the item and what Kata would write for it, so that converting back gives the item
exactly. Opaque items (reasoning, compaction, encrypted content) travel whole as content
parts of their own type. A bad shape raises InvalidInput naming the path of the field.

Edge code, not domain rules: these are vendors' wire formats, mapped onto the domain's
Message at the boundary, beside the HTTP client and the drop-ins that use them.
"""

from entrypoints.shapes.anthropic import from_anthropic, to_anthropic
from entrypoints.shapes.openai_chat import from_openai_chat, to_openai_chat
from entrypoints.shapes.openai_responses import from_responses, to_responses

__all__ = [
    "from_anthropic",
    "from_openai_chat",
    "from_responses",
    "to_anthropic",
    "to_openai_chat",
    "to_responses",
]
