"""The summarizer port: text for a compaction summary."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from domain.model import Entry


class Summarizer(Protocol):
    """Writes the text that stands in for older entries."""

    def summarize(
        self,
        entries: Sequence[Entry],
        *,
        previous: str | None,
        max_tokens: int,
        encoding: str,
    ) -> str:
        """A summary of `previous` (the older summary) and `entries`, within max_tokens."""
        ...
