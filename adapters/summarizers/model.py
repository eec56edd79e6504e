"""A summarizer over a chat model: one request per summary, a strict deadline, a token cap.

The wire protocols (OpenAI chat completions, Anthropic Messages) are `ChatModel`s beside
this module. Every way this can go wrong raises `SummaryFailed`; `FallbackSummarizer`
turns that into an extractive summary, so a compaction never fails because a model did.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

import attrs
import httpx

from adapters.summarizers import prompt
from domain.model import Entry
from domain.records import Record
from ports.summarizer import Summary
from ports.tokens import TokenCounter

# Larger transcripts fall back rather than risk a model's context limit (128k and up for
# the models this is meant for); KATA_SUMMARIZER_MAX_INPUT_TOKENS changes it.
DEFAULT_MAX_INPUT_TOKENS = 100_000
# Calls abandoned at their deadline keep a worker until httpx's own timeout ends them.
_WORKERS = 4
_GRACE_S = 1.0


class SummaryFailed(Exception):
    """The model gave no usable summary: unreachable, an error, too slow, malformed or
    over the cap."""


@attrs.frozen(kw_only=True, repr=False, eq=False)
class Answer(Record):
    """A model's text, and whether it stopped at max_tokens (its last line is cut)."""

    text: str
    cut: bool


class ChatModel(Protocol):
    """One chat API: a system prompt and a user message in, the model's text out."""

    @property
    def name(self) -> str:
        """What compactions record: `provider:model`."""
        ...

    def answer(self, *, system: str, user: str, max_tokens: int, timeout: float) -> Answer:
        """The model's answer within `timeout` seconds; SummaryFailed otherwise."""
        ...


class ModelSummarizer:
    """Summarizer: asks `model` to merge the previous summary with the entries.

    The caller waits at most `timeout` seconds, whatever the network does (the request runs
    on a worker thread). The answer is counted in the policy's encoding: over the cap, whole
    lines are dropped from the end (the prompt puts the most important first); a line the
    model was cut off in is dropped too. Nothing left, nothing said: SummaryFailed.
    """

    def __init__(
        self,
        model: ChatModel,
        tokens: TokenCounter,
        *,
        timeout: float,
        max_input_tokens: int = DEFAULT_MAX_INPUT_TOKENS,
    ) -> None:
        if timeout <= 0:
            raise ValueError("timeout must be positive")
        self._model = model
        self._tokens = tokens
        self._timeout = timeout
        self._max_input = max_input_tokens
        self._pool = ThreadPoolExecutor(max_workers=_WORKERS, thread_name_prefix="summarizer")

    @property
    def name(self) -> str:
        """The model's name, as compactions record it."""
        return self._model.name

    def summarize(
        self,
        entries: Sequence[Entry],
        *,
        previous: str | None,
        max_tokens: int,
        encoding: str,
    ) -> Summary:
        """The model's summary of `previous` and `entries`, at most max_tokens."""
        if max_tokens < 1:
            raise SummaryFailed(f"a cap of {max_tokens} tokens leaves no room")
        user = prompt.request(entries, previous=previous)
        size = self._count(user, encoding)
        if size > self._max_input:
            raise SummaryFailed(f"the transcript has {size} tokens, over the {self._max_input} cap")
        answer = self._ask(prompt.instructions(max_tokens), user, max_tokens)
        return Summary(text=self._fit(answer, max_tokens, encoding), summarizer=self.name)

    def close(self) -> None:
        """Stop the worker threads (calls in flight finish on their own)."""
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _ask(self, system: str, user: str, max_tokens: int) -> Answer:
        deadline = time.monotonic() + self._timeout
        future = self._pool.submit(self._call, system, user, max_tokens, deadline)
        try:
            return future.result(timeout=self._timeout)
        except TimeoutError:
            future.cancel()
            raise SummaryFailed(f"no answer within {self._timeout:g} s") from None

    def _call(self, system: str, user: str, max_tokens: int, deadline: float) -> Answer:
        left = deadline - time.monotonic()
        if left <= 0:  # queued behind abandoned calls until its caller gave up
            raise SummaryFailed("the deadline passed before the request was sent")
        # httpx's own timeout comes a little later: the caller's deadline is what reports
        # it, and httpx's only ends the abandoned request.
        return self._model.answer(
            system=system, user=user, max_tokens=max_tokens, timeout=left + _GRACE_S
        )

    def _fit(self, answer: Answer, max_tokens: int, encoding: str) -> str:
        lines = [ln.rstrip() for ln in answer.text.strip().splitlines()]
        if answer.cut and len(lines) > 1:
            lines.pop()
        while lines and not lines[-1]:
            lines.pop()
        while lines and self._count("\n".join(lines), encoding) > max_tokens:
            lines.pop()
        if not lines:
            said = "an empty answer" if not answer.text.strip() else "no line within the cap"
            raise SummaryFailed(f"the model gave {said} ({max_tokens} tokens)")
        return "\n".join(lines)

    def _count(self, text: str, encoding: str) -> int:
        return self._tokens.count([text], encoding=encoding)[0].tokens


def post_json(
    client: httpx.Client, url: str, body: dict[str, Any], *, timeout: float
) -> dict[str, Any]:
    """POST `body` and return the JSON object answered with 200; SummaryFailed otherwise."""
    try:
        response = client.post(url, json=body, timeout=timeout)
    except httpx.TimeoutException:
        raise SummaryFailed(f"{url} timed out") from None
    except httpx.HTTPError as exc:
        raise SummaryFailed(f"{url} failed: {exc}") from exc
    if response.status_code != 200:
        raise SummaryFailed(f"{url} answered {response.status_code}: {response.text[:200]}")
    try:
        data = response.json()
    except ValueError:
        raise SummaryFailed(f"{url} answered a body that is not JSON") from None
    if not isinstance(data, dict):
        raise SummaryFailed(f"{url} answered JSON that is not an object")
    return data


def request_body(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """`base` with `extra` merged over it; a null in `extra` removes the field."""
    merged = {**base, **extra}
    return {k: v for k, v in merged.items() if v is not None}
