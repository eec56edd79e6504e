"""The summarizer port: text for a compaction summary, and who wrote it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import attrs

from domain.model import Entry
from domain.records import Record


@attrs.frozen(kw_only=True, repr=False, eq=False)
class Summary(Record):
    """A summary's text, the summarizer that wrote it (`extractive`, `openai:MODEL`...),
    and, when a fallback wrote it, why the configured summarizer did not."""

    text: str
    summarizer: str
    fallback: str | None = None


class Summarizer(Protocol):
    """Writes the text that stands in for older entries."""

    def summarize(
        self,
        entries: Sequence[Entry],
        *,
        previous: str | None,
        max_tokens: int,
        encoding: str,
    ) -> Summary:
        """A summary of `previous` (the older summary) and `entries`, within max_tokens."""
        ...
