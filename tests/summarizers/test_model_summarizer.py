"""Model summarizers against a real HTTP server on 127.0.0.1 speaking each API (no mocks):
what they send, what they keep of the answer, and every failure falling back."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

import pytest

from adapters.summaries import ExtractiveSummarizer
from adapters.summarizers.anthropic import API_VERSION, AnthropicMessages
from adapters.summarizers.fallback import FallbackSummarizer
from adapters.summarizers.model import ChatModel, ModelSummarizer, SummaryFailed
from adapters.summarizers.openai import OpenAIChat
from adapters.tokens import OfflineTokenCounter
from domain.model import Entry, Role, ToolCall
from ports.summarizer import Summary
from tests.support.chat_server import ChatServer, chat_server, prompt_of

COUNTER = OfflineTokenCounter()
T0 = datetime(2026, 1, 1, tzinfo=UTC)
CL100K = "cl100k_base"
ENTRIES = (
    Entry(version=1, role=Role.USER, content="The staging port for Kestrel is 8443.",
          token_count=9, created_at=T0),
    Entry(version=2, role=Role.ASSISTANT, content="", created_at=T0, token_count=5,
          tool_calls=(ToolCall(id="call_7", name="lookup_record",
                               arguments='{"name": "Kestrel"}'),)),
    Entry(version=3, role=Role.TOOL, tool_call_id="call_7", token_count=5, created_at=T0,
          content="record: Kestrel\nowner: Farid"),
)  # fmt: skip


@pytest.fixture
def server() -> Iterator[ChatServer]:
    with chat_server() as s:
        yield s


@pytest.fixture(params=["openai", "anthropic"])
def api(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def chat(api: str, server: ChatServer, **kw: Any) -> ChatModel:
    if api == "openai":
        return OpenAIChat(url=server.openai_url, model="m", **kw)
    return AnthropicMessages(url=server.anthropic_url, model="m", **kw)


def summarizer(api: str, server: ChatServer, *, timeout: float = 5.0, **kw: Any) -> ModelSummarizer:
    max_input = kw.pop("max_input_tokens", 100_000)
    return ModelSummarizer(chat(api, server, **kw), COUNTER, timeout=timeout,
                           max_input_tokens=max_input)  # fmt: skip


def with_fallback(model: ModelSummarizer) -> FallbackSummarizer:
    return FallbackSummarizer(model, ExtractiveSummarizer(COUNTER))


def summarize(s: Any, entries: Sequence[Entry] = ENTRIES, cap: int = 100) -> Summary:
    summary: Summary = s.summarize(entries, previous="Kestrel ships in May.", max_tokens=cap,
                                   encoding=CL100K)  # fmt: skip
    return summary


def test_the_request_carries_the_prompt_the_transcript_and_the_cap(
    api: str, server: ChatServer
) -> None:
    server.reply = lambda body: "Kestrel staging port: 8443\nKestrel owner: Farid"
    summary = summarize(summarizer(api, server, api_key="sk-test"), cap=64)
    assert summary == Summary(text="Kestrel staging port: 8443\nKestrel owner: Farid",
                              summarizer=f"{api}:m")  # fmt: skip
    [sent] = server.requests
    assert sent["model"] == "m" and sent["max_tokens"] == 64 and sent["temperature"] == 0
    if api == "openai":
        assert sent["path"] == "/v1/chat/completions"
        assert sent["headers"]["Authorization"] == "Bearer sk-test"
    else:
        assert sent["path"] == "/v1/messages"
        assert sent["headers"]["x-api-key"] == "sk-test"
        assert sent["headers"]["anthropic-version"] == API_VERSION
    system, user = prompt_of(sent)
    for kept in ("numbers", "identifiers", "decisions", "open tasks", "At most 64 tokens"):
        assert kept in system
    assert "<previous_summary>\nKestrel ships in May.\n</previous_summary>" in user
    assert "[v1] user: The staging port for Kestrel is 8443." in user
    assert 'calls lookup_record({"name": "Kestrel"}) as call_7' in user
    assert "[v3] tool, result of call_7: record: Kestrel\nowner: Farid" in user


def test_an_answer_over_the_cap_loses_whole_lines_from_the_end(
    api: str, server: ChatServer
) -> None:
    server.reply = lambda body: "\n".join(f"fact {i}: value {i * 7}" for i in range(60))
    summary = summarize(summarizer(api, server), cap=40)
    lines = summary.text.splitlines()
    assert COUNTER.count([summary.text], encoding=CL100K)[0].tokens <= 40
    assert lines == [f"fact {i}: value {i * 7}" for i in range(len(lines))] and len(lines) > 3


def test_a_line_the_model_was_cut_off_in_is_dropped(api: str, server: ChatServer) -> None:
    server.reply = lambda body: "owner: Farid\nport: 8443\nbudget: 12"
    server.cut = True
    assert summarize(summarizer(api, server)).text == "owner: Farid\nport: 8443"


@pytest.mark.parametrize(
    ("script", "reason"),
    [
        ({"status": 500}, "answered 500"),
        ({"status": 429}, "answered 429"),
        ({"raw": b"<html>busy</html>"}, "not JSON"),
        ({"raw": b"[1, 2]"}, "not an object"),
        ({"raw": b'{"choices": [], "content": null}'}, "answered no"),
        ({"reply": lambda body: "   \n"}, "an empty answer"),
        ({"reply": lambda body: "word " * 400}, "no line within the cap"),
    ],
)
def test_every_failure_falls_back_to_the_extractive_summary_and_says_why(
    api: str, server: ChatServer, script: dict[str, Any], reason: str
) -> None:
    for name, value in script.items():
        setattr(server, name, value)
    summary = summarize(with_fallback(summarizer(api, server)), cap=50)
    extractive = summarize(ExtractiveSummarizer(COUNTER), cap=50)
    assert summary.text == extractive.text and summary.summarizer == "extractive"
    assert summary.fallback is not None and summary.fallback.startswith(f"{api}:m: ")
    assert reason in summary.fallback


def test_a_slow_model_is_abandoned_at_the_deadline(api: str, server: ChatServer) -> None:
    server.delay = 10.0
    s = with_fallback(summarizer(api, server, timeout=0.3))
    t0 = time.monotonic()
    summary = summarize(s)
    waited = time.monotonic() - t0
    assert summary.summarizer == "extractive" and waited < 1.5
    assert summary.fallback == f"{api}:m: no answer within 0.3 s"


def test_an_unreachable_model_falls_back(api: str) -> None:
    with chat_server() as gone:
        url = gone
    summary = summarize(with_fallback(summarizer(api, url, timeout=2.0)))
    assert summary.summarizer == "extractive" and summary.fallback is not None


def test_a_transcript_over_the_input_cap_is_never_sent(api: str, server: ChatServer) -> None:
    s = summarizer(api, server, max_input_tokens=20)
    with pytest.raises(SummaryFailed, match="over the 20 cap"):
        summarize(s)
    assert server.requests == []


def test_extra_body_fields_are_merged_and_null_removes_one(api: str, server: ChatServer) -> None:
    extra = {"temperature": None, "max_tokens": None, "max_completion_tokens": 900}
    summarize(summarizer(api, server, extra=extra))
    [sent] = server.requests
    assert "temperature" not in sent and "max_tokens" not in sent
    assert sent["max_completion_tokens"] == 900


class _Broken:
    name = "broken:model"

    def summarize(self, *args: Any, **kw: Any) -> Summary:
        raise KeyError("choices")


def test_even_an_unexpected_error_falls_back() -> None:
    summary = summarize(FallbackSummarizer(_Broken(), ExtractiveSummarizer(COUNTER)))
    assert summary.summarizer == "extractive"
    assert summary.fallback == "broken:model: KeyError: 'choices'"
