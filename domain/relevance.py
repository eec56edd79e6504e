"""Relevance of older entries to a query: ranked lists from the adapters, fused here."""

from __future__ import annotations

import attrs

from domain.model import Entry


@attrs.frozen(kw_only=True)
class Ranked:
    """An entry and its raw score in one ranking (higher is better)."""

    entry: Entry
    score: float


@attrs.frozen(kw_only=True)
class Relevance:
    """The semantic and lexical rankings of a context's active entries for one query.

    Both hold only eligible active entries (messages after the newest summary's range,
    not pinned), best first.
    """

    semantic: tuple[Ranked, ...] = ()
    lexical: tuple[Ranked, ...] = ()
