"""An offline, deterministic summarizer: extracts one line per entry, within a token cap."""

from __future__ import annotations

import re
from collections.abc import Sequence

from domain.model import Entry
from ports.summarizer import Summary
from ports.tokens import TokenCounter

# A line longer than this says less per token than the next line would.
MAX_LINE_CHARS = 240
# The name compactions record for summaries this summarizer wrote.
NAME = "extractive"

_SENTENCE_END = re.compile(r"(?<=[.!?])\s")
_SPACE = re.compile(r"\s+")


def first_sentence(text: str, *, limit: int = MAX_LINE_CHARS) -> str:
    """The text's first sentence (or first `limit` characters), on one line."""
    flat = _SPACE.sub(" ", text).strip()
    match = _SENTENCE_END.search(flat)
    head = flat[: match.start()] if match else flat
    return head if len(head) <= limit else head[: limit - 1].rstrip() + "…"


def entry_line(entry: Entry) -> str | None:
    """One line for an entry: `role: first sentence`, plus any tools it called."""
    said = first_sentence(entry.text)
    calls = ", ".join(call.name for call in entry.tool_calls)
    if calls:
        said = f"{said} [called {calls}]".strip()
    if not said:
        return None
    who = entry.role.value if entry.name is None else f"{entry.role.value} ({entry.name})"
    return f"{who}: {said}"


class ExtractiveSummarizer:
    """Summarizer: the previous summary's lines, then one line per entry, newest kept.

    When everything does not fit `max_tokens`, the oldest lines go first: the newest
    facts are the ones no earlier summary holds.
    """

    def __init__(self, tokens: TokenCounter) -> None:
        self._tokens = tokens

    def summarize(
        self,
        entries: Sequence[Entry],
        *,
        previous: str | None,
        max_tokens: int,
        encoding: str,
    ) -> Summary:
        """A summary of `previous` and `entries` that counts at most max_tokens."""
        return Summary(
            text=self._text(entries, previous, max_tokens, encoding), summarizer=NAME
        )

    def _text(
        self, entries: Sequence[Entry], previous: str | None, max_tokens: int, encoding: str
    ) -> str:
        lines = [ln for ln in (previous or "").splitlines() if ln.strip()]
        lines.extend(line for e in entries if (line := entry_line(e)) is not None)
        if not lines or max_tokens < 1:
            return ""
        start = self._fitting_start(lines, max_tokens, encoding)
        if start < len(lines):
            return "\n".join(lines[start:])
        return self._truncate(lines[-1], max_tokens, encoding)

    def _count(self, text: str, encoding: str) -> int:
        return self._tokens.count([text], encoding=encoding)[0].tokens

    def _fitting_start(self, lines: list[str], max_tokens: int, encoding: str) -> int:
        # Binary search for the longest fitting suffix, then confirm it really fits:
        # BPE counts are not exactly additive, so monotonicity is only nearly true.
        lo, hi = 0, len(lines)
        while lo < hi:
            mid = (lo + hi) // 2
            if self._count("\n".join(lines[mid:]), encoding) <= max_tokens:
                hi = mid
            else:
                lo = mid + 1
        while lo < len(lines) and self._count("\n".join(lines[lo:]), encoding) > max_tokens:
            lo += 1
        return lo

    def _truncate(self, line: str, max_tokens: int, encoding: str) -> str:
        lo, hi = 0, len(line)
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if self._count(line[:mid], encoding) <= max_tokens:
                lo = mid
            else:
                hi = mid - 1
        while lo > 0 and self._count(line[:lo], encoding) > max_tokens:
            lo -= 1
        return line[:lo]
