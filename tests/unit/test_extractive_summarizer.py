"""The extractive summarizer: deterministic, offline, always within its token cap."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.summaries import ExtractiveSummarizer, first_sentence
from adapters.tokens import OfflineTokenCounter
from domain.model import Entry, Role, ToolCall

COUNTER = OfflineTokenCounter()
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _entry(version: int, text: str, role: Role = Role.USER, **kw: object) -> Entry:
    return Entry(
        version=version,
        role=role,
        content=text,
        token_count=5,
        created_at=T0,
        **kw,  # type: ignore[arg-type]
    )


def _count(text: str, encoding: str) -> int:
    return COUNTER.count([text], encoding=encoding)[0].tokens


def test_lines_hold_the_previous_summary_then_each_entry() -> None:
    s = ExtractiveSummarizer(COUNTER)
    call = ToolCall(id="c", name="get_weather")
    entries = [
        _entry(1, "Plan the trip to Lisbon. Then book hotels."),
        _entry(2, "", Role.ASSISTANT, tool_calls=(call,)),
        _entry(3, "Sunny, 24C", Role.TOOL, tool_call_id="c"),
        _entry(4, "   "),
    ]
    summary = s.summarize(
        entries, previous="user: earlier facts", max_tokens=500, encoding="cl100k_base"
    )
    assert summary.summarizer == "extractive" and summary.fallback is None
    text = summary.text
    assert text.splitlines() == [
        "user: earlier facts",
        "user: Plan the trip to Lisbon.",
        "assistant: [called get_weather]",
        "tool: Sunny, 24C",
    ]


def test_when_over_the_cap_the_oldest_lines_go_first() -> None:
    s = ExtractiveSummarizer(COUNTER)
    entries = [_entry(i, f"Fact number {i} is here.") for i in range(1, 40)]
    text = s.summarize(entries, previous=None, max_tokens=30, encoding="cl100k_base").text
    assert _count(text, "cl100k_base") <= 30
    assert text.splitlines()[-1] == "user: Fact number 39 is here."
    assert "Fact number 1 " not in text


def test_first_sentence_flattens_and_caps() -> None:
    assert first_sentence("One.\nTwo. Three") == "One."
    assert first_sentence("no  end\n\nin sight") == "no end in sight"
    assert len(first_sentence("x" * 1000)) == 240


@settings(max_examples=25)
@given(
    texts=st.lists(st.text(min_size=0, max_size=300), max_size=12),
    previous=st.none() | st.text(max_size=400),
    cap=st.integers(1, 120),
    encoding=st.sampled_from(["cl100k_base", "o200k_base", "unknown_encoding"]),
)
def test_always_within_the_cap_and_deterministic(
    texts: list[str], previous: str | None, cap: int, encoding: str
) -> None:
    s = ExtractiveSummarizer(COUNTER)
    entries = [_entry(i + 1, t) for i, t in enumerate(texts)]
    summary = s.summarize(entries, previous=previous, max_tokens=cap, encoding=encoding)
    assert _count(summary.text, encoding) <= cap
    assert summary == s.summarize(entries, previous=previous, max_tokens=cap, encoding=encoding)
