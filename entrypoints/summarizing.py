"""Which summarizers a deployment runs, chosen from the environment (composition root only).

KATA_SUMMARIZER:
  unset or `extractive`: the offline extractive summarizer, for every compaction.
  `openai`: a chat model behind an OpenAI-compatible API at KATA_SUMMARIZER_URL;
  `anthropic`: a model behind the Anthropic Messages API (KATA_SUMMARIZER_URL optional);
    both need KATA_SUMMARIZER_MODEL and take KATA_SUMMARIZER_API_KEY,
    KATA_SUMMARIZER_TIMEOUT, KATA_SUMMARIZER_AUTO_TIMEOUT,
    KATA_SUMMARIZER_MAX_INPUT_TOKENS and KATA_SUMMARIZER_EXTRA_BODY.

A model summary falls back to the extractive one on any failure. Compaction asked for
(POST /compact, Engine.compact) waits on the model up to KATA_SUMMARIZER_TIMEOUT; the
automatic compaction inside an append up to KATA_SUMMARIZER_AUTO_TIMEOUT, and never when it
is 0. docs/configuration.md says why.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import attrs

from adapters.summaries import ExtractiveSummarizer
from domain.records import Record
from ports.summarizer import Summarizer
from ports.tokens import TokenCounter

if TYPE_CHECKING:
    from adapters.summarizers.model import ChatModel

DEFAULT_TIMEOUT = 20.0
DEFAULT_AUTO_TIMEOUT = 8.0
KINDS = ("extractive", "openai", "anthropic")


class SummarizerConfigError(ValueError):
    """The summarizer settings are incomplete or malformed."""


@attrs.frozen(kw_only=True, repr=False, eq=False)
class Summarizers(Record):
    """The summarizer of compaction asked for, and that of compaction inside an append."""

    on_request: Summarizer
    on_append: Summarizer


def extractive(tokens: TokenCounter) -> Summarizers:
    """The offline extractive summarizer for every compaction."""
    summarizer = ExtractiveSummarizer(tokens)
    return Summarizers(on_request=summarizer, on_append=summarizer)


def summarizers_from_env(env: Mapping[str, str], *, tokens: TokenCounter) -> Summarizers:
    """The summarizers KATA_SUMMARIZER and its settings name, counting with `tokens`."""
    kind = env.get("KATA_SUMMARIZER", "").strip().lower()
    if kind in ("", "extractive"):
        return extractive(tokens)
    if kind not in KINDS:
        raise SummarizerConfigError(
            f"KATA_SUMMARIZER must be one of {', '.join(KINDS)}; got {env['KATA_SUMMARIZER']!r}"
        )
    # Imported here: httpx would add ~60 ms to every cold start that never calls a model.
    from adapters.summarizers.fallback import FallbackSummarizer
    from adapters.summarizers.model import DEFAULT_MAX_INPUT_TOKENS, ModelSummarizer

    chat = _chat_model(kind, env)
    max_input = _positive_int(env, "KATA_SUMMARIZER_MAX_INPUT_TOKENS", DEFAULT_MAX_INPUT_TOKENS)
    fallback = ExtractiveSummarizer(tokens)

    def bounded(timeout: float) -> Summarizer:
        model = ModelSummarizer(chat, tokens, timeout=timeout, max_input_tokens=max_input)
        return FallbackSummarizer(model, fallback)

    on_request = bounded(_number(env, "KATA_SUMMARIZER_TIMEOUT", DEFAULT_TIMEOUT))
    auto = _number(env, "KATA_SUMMARIZER_AUTO_TIMEOUT", DEFAULT_AUTO_TIMEOUT, zero=True)
    return Summarizers(on_request=on_request, on_append=bounded(auto) if auto else fallback)


def _chat_model(kind: str, env: Mapping[str, str]) -> ChatModel:
    from adapters.summarizers.anthropic import DEFAULT_URL, AnthropicMessages
    from adapters.summarizers.openai import OpenAIChat

    url = env.get("KATA_SUMMARIZER_URL", "").strip()
    model = env.get("KATA_SUMMARIZER_MODEL", "").strip()
    api_key = env.get("KATA_SUMMARIZER_API_KEY") or None
    extra = _extra_body(env)
    if kind == "openai":
        if not url or not model:
            raise SummarizerConfigError(
                "KATA_SUMMARIZER=openai needs KATA_SUMMARIZER_URL and KATA_SUMMARIZER_MODEL"
            )
        return OpenAIChat(url=url, model=model, api_key=api_key, extra=extra)
    if not model:
        raise SummarizerConfigError("KATA_SUMMARIZER=anthropic needs KATA_SUMMARIZER_MODEL")
    return AnthropicMessages(url=url or DEFAULT_URL, model=model, api_key=api_key, extra=extra)


def _extra_body(env: Mapping[str, str]) -> dict[str, Any]:
    raw = env.get("KATA_SUMMARIZER_EXTRA_BODY", "").strip()
    if not raw:
        return {}
    import json  # here: only this setting needs it, and a cold start would pay for it

    try:
        extra = json.loads(raw)
    except ValueError:
        extra = None
    if not isinstance(extra, dict):
        raise SummarizerConfigError(
            f"KATA_SUMMARIZER_EXTRA_BODY must be a JSON object, got {raw[:80]!r}"
        )
    return extra


def _number(env: Mapping[str, str], name: str, default: float, *, zero: bool = False) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not (value >= 0 if zero else value > 0) or value == float("inf"):
        least = "0 or more" if zero else "positive"
        raise SummarizerConfigError(f"{name} must be a {least} number, got {raw!r}")
    return value


def _positive_int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise SummarizerConfigError(f"{name} must be a positive integer, got {raw!r}")
    return int(raw)
