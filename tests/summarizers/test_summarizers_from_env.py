"""KATA_SUMMARIZER and its settings: what each choice builds, and compactions recording
which summarizer wrote them (automatic ones inside an append, and ones asked for)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from adapters.summaries import ExtractiveSummarizer
from adapters.summarizers.fallback import FallbackSummarizer
from adapters.tokens import OfflineTokenCounter
from domain.model import EntryKind, Message, Policy, Role
from entrypoints.engine import Engine
from entrypoints.offline import memory_engine
from entrypoints.summarizing import SummarizerConfigError, summarizers_from_env
from tests.support.chat_server import ChatServer, chat_server

COUNTER = OfflineTokenCounter()
TENANT = "t"
# Due at 100 active tokens: the ninth 12-token message compacts, ten leave one summary.
POLICY = Policy(budget=200, threshold=0.5, keep_recent=3, enabled=True, summary_tokens=60)


@pytest.fixture
def server() -> Iterator[ChatServer]:
    with chat_server() as s:
        s.reply = lambda body: "Kestrel staging port: 8443"
        yield s


def openai_env(server: ChatServer, **more: str) -> dict[str, str]:
    return {"KATA_SUMMARIZER": "openai", "KATA_SUMMARIZER_URL": server.openai_url,
            "KATA_SUMMARIZER_MODEL": "m", **more}  # fmt: skip


def test_unset_or_extractive_is_the_offline_summarizer_everywhere() -> None:
    for env in ({}, {"KATA_SUMMARIZER": "extractive"}, {"KATA_SUMMARIZER": " Extractive "}):
        made = summarizers_from_env(env, tokens=COUNTER)
        assert isinstance(made.on_request, ExtractiveSummarizer)
        assert made.on_append is made.on_request


def test_a_model_summarizer_falls_back_and_zero_keeps_appends_off_the_model() -> None:
    env = {"KATA_SUMMARIZER": "anthropic", "KATA_SUMMARIZER_MODEL": "claude-x"}
    made = summarizers_from_env(env, tokens=COUNTER)
    assert isinstance(made.on_request, FallbackSummarizer)
    assert isinstance(made.on_append, FallbackSummarizer)
    offline = summarizers_from_env({**env, "KATA_SUMMARIZER_AUTO_TIMEOUT": "0"}, tokens=COUNTER)
    assert isinstance(offline.on_append, ExtractiveSummarizer)


ANTHROPIC = {"KATA_SUMMARIZER": "anthropic", "KATA_SUMMARIZER_MODEL": "m"}


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"KATA_SUMMARIZER": "gpt"}, "must be one of extractive, openai, anthropic"),
        ({"KATA_SUMMARIZER": "openai", "KATA_SUMMARIZER_MODEL": "m"}, "KATA_SUMMARIZER_URL"),
        ({"KATA_SUMMARIZER": "anthropic"}, "needs KATA_SUMMARIZER_MODEL"),
        ({**ANTHROPIC, "KATA_SUMMARIZER_TIMEOUT": "0"}, "TIMEOUT must be a positive"),
        ({**ANTHROPIC, "KATA_SUMMARIZER_TIMEOUT": "soon"}, "TIMEOUT must be a positive"),
        ({**ANTHROPIC, "KATA_SUMMARIZER_AUTO_TIMEOUT": "-1"}, "must be a 0 or more number"),
        ({**ANTHROPIC, "KATA_SUMMARIZER_MAX_INPUT_TOKENS": "1e5"}, "a positive integer"),
        ({**ANTHROPIC, "KATA_SUMMARIZER_EXTRA_BODY": "[1]"}, "must be a JSON object"),
        ({**ANTHROPIC, "KATA_SUMMARIZER_EXTRA_BODY": "{oops"}, "must be a JSON object"),
    ],
)
def test_incomplete_or_malformed_settings_stop_the_start(env: dict[str, str], message: str) -> None:
    with pytest.raises(SummarizerConfigError, match=message):
        summarizers_from_env(env, tokens=COUNTER)


def _fill(engine: Engine, cid: str, n: int) -> None:
    for i in range(n):
        engine.append(TENANT, cid, [Message(role=Role.USER, content=f"note {i}", token_count=12)])


def _summaries(engine: Engine, cid: str) -> list[dict[str, Any]]:
    entries = engine.entries(TENANT, cid, limit=1000).items
    return [e.metadata["compaction"] for e in entries if e.kind is EntryKind.SUMMARY]


def test_an_automatic_compaction_records_the_model_that_wrote_it(server: ChatServer) -> None:
    engine = memory_engine(env=openai_env(server))
    cid = engine.create_context(TENANT, policy=POLICY).id
    _fill(engine, cid, 10)
    [record] = _summaries(engine, cid)
    assert record["summarizer"] == "openai:m" and "fallback" not in record
    assert len(server.requests) == 1


def test_a_failing_model_leaves_an_extractive_summary_that_says_why(server: ChatServer) -> None:
    server.status = 503
    engine = memory_engine(env=openai_env(server))
    cid = engine.create_context(TENANT, policy=POLICY).id
    _fill(engine, cid, 10)
    [record] = _summaries(engine, cid)
    assert record["summarizer"] == "extractive"
    assert record["fallback"].startswith("openai:m: ") and "answered 503" in record["fallback"]


def test_an_append_waits_on_the_model_no_longer_than_the_auto_timeout(
    server: ChatServer,
) -> None:
    server.delay = 10.0
    engine = memory_engine(env=openai_env(server, KATA_SUMMARIZER_AUTO_TIMEOUT="0.3"))
    cid = engine.create_context(TENANT, policy=POLICY).id
    _fill(engine, cid, 8)
    t0 = time.monotonic()
    _fill(engine, cid, 1)  # due: compacts inside this append
    assert time.monotonic() - t0 < 1.5
    [record] = _summaries(engine, cid)
    assert record["fallback"] == "openai:m: no answer within 0.3 s"


def test_auto_timeout_zero_compacts_appends_offline_and_the_model_on_request(
    server: ChatServer,
) -> None:
    engine = memory_engine(env=openai_env(server, KATA_SUMMARIZER_AUTO_TIMEOUT="0"))
    cid = engine.create_context(TENANT, policy=POLICY).id
    _fill(engine, cid, 10)
    assert [r["summarizer"] for r in _summaries(engine, cid)] == ["extractive"]
    assert server.requests == []
    _fill(engine, cid, 1)  # not due again
    result = engine.compact(TENANT, cid, force=True)
    assert result.summary.metadata["compaction"]["summarizer"] == "openai:m"
    [sent] = server.requests
    assert "<previous_summary>" in sent["messages"][1]["content"]
