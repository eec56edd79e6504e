"""A summarizer that falls back to another when the first fails, and says why."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Protocol

import attrs

from adapters.summarizers.model import SummaryFailed
from domain.model import Entry
from ports.summarizer import Summarizer, Summary

log = logging.getLogger("kata_context.summarizer")


class NamedSummarizer(Summarizer, Protocol):
    """A summarizer with the name compactions record for it."""

    @property
    def name(self) -> str:
        """What compactions record (`openai:MODEL`...)."""
        ...


class FallbackSummarizer:
    """Summarizer: `primary`, or `fallback` when primary raises anything at all.

    Any failure, not only the expected ones: a compaction runs inside appends, and no
    model's answer (or a bug in reading it) may fail an append. The summary records the
    failure in `fallback`, and it is logged.
    """

    def __init__(self, primary: NamedSummarizer, fallback: Summarizer) -> None:
        self._primary = primary
        self._fallback = fallback

    def summarize(
        self,
        entries: Sequence[Entry],
        *,
        previous: str | None,
        max_tokens: int,
        encoding: str,
    ) -> Summary:
        """Primary's summary, else fallback's with the reason primary gave none."""
        try:
            return self._primary.summarize(
                entries, previous=previous, max_tokens=max_tokens, encoding=encoding
            )
        except Exception as exc:
            said = str(exc) if isinstance(exc, SummaryFailed) else f"{type(exc).__name__}: {exc}"
            reason = f"{self._primary.name}: {said}"
            log.warning("summarizer fell back: %s", reason)
        summary = self._fallback.summarize(
            entries, previous=previous, max_tokens=max_tokens, encoding=encoding
        )
        return attrs.evolve(summary, fallback=reason)
