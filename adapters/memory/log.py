"""One context's version log in memory, with the indexes that keep windows flat."""

from __future__ import annotations

import bisect

import attrs

from adapters.memory.lexical import LexicalIndex
from adapters.memory.vectors import VectorLog
from domain import discourse, history
from domain.model import AppendResult, Context, Entry
from domain.tokens import message_text


@attrs.define(kw_only=True)
class ContextLog:
    """A context record and its history.

    `eligible_versions` lists the eligible entries (messages that are not pins) in version
    order and `eligible_sums[i]` the tokens of the first i of them, so the window's tail
    start is a bisect whatever the history's length.
    """

    context: Context
    entries: list[Entry] = attrs.Factory(list)
    pins: list[Entry] = attrs.Factory(list)
    pin_tokens: int = 0
    summary: Entry | None = None
    eligible_versions: list[int] = attrs.Factory(list)
    eligible_sums: list[int] = attrs.Factory(lambda: [0])
    vectors: VectorLog = attrs.Factory(VectorLog)
    lexical: LexicalIndex = attrs.Factory(LexicalIndex)
    idempotency: dict[str, tuple[str, AppendResult]] = attrs.Factory(dict)
    # Per version: the subjects it was indexed with, and the scope after it (a fork at a
    # version starts from that scope and rebuilds its index from both).
    context_terms: list[tuple[str, ...]] = attrs.Factory(list)
    scopes: list[tuple[str, ...]] = attrs.Factory(list)

    @property
    def head(self) -> int:
        """The newest version."""
        return len(self.entries)

    @property
    def scope(self) -> tuple[str, ...]:
        """The discourse scope after the head."""
        return self.scopes[-1] if self.scopes else ()

    @property
    def compacted_through(self) -> int:
        """The last version the newest summary covers (0 without one)."""
        return history.compacted_through(self.summary)

    def add(
        self,
        entry: Entry,
        *,
        context_terms: tuple[str, ...] = (),
        scope: tuple[str, ...] | None = None,
    ) -> None:
        """Append one entry and index it, with the subjects it was drafted with (a scope
        of None, a summary's, leaves the scope as it was)."""
        self.entries.append(entry)
        self.context_terms.append(context_terms)
        self.scopes.append(self.scope if scope is None else scope)
        eligible = history.is_eligible(entry)
        if eligible:
            self.eligible_versions.append(entry.version)
            self.eligible_sums.append(self.eligible_sums[-1] + entry.token_count)
            self.lexical.add(
                entry.version, discourse.indexed_terms(message_text(entry), context_terms)
            )
        elif entry.is_summary:
            self.summary = entry
        else:
            self.pins.append(entry)
            self.pin_tokens += entry.token_count
        if entry.embedding is not None:
            self.vectors.add(entry.version, entry.embedding, eligible=eligible)

    def first_active(self) -> int:
        """Index (into eligible_versions) of the first eligible entry after the summary."""
        return bisect.bisect_right(self.eligible_versions, self.compacted_through)

    def active_tokens(self) -> int:
        """Pins + newest summary + eligible entries after its range."""
        active = self.eligible_sums[-1] - self.eligible_sums[self.first_active()]
        return history.active_tokens(
            pin_tokens=self.pin_tokens, summary=self.summary, eligible_tokens=active
        )

    def tail(self, tail_tokens: int) -> tuple[Entry, ...]:
        """The newest eligible active entries whose suffix sum fits `tail_tokens`."""
        total = self.eligible_sums[-1]
        # Every entry has >= 1 token, so the sums strictly ascend and bisect is exact.
        start = bisect.bisect_left(self.eligible_sums, total - tail_tokens)
        start = max(start, self.first_active())
        return tuple(self.entries[v - 1] for v in self.eligible_versions[start:])

    def active_entries(self) -> tuple[Entry, ...]:
        """All eligible active entries, chronological."""
        return tuple(self.entries[v - 1] for v in self.eligible_versions[self.first_active() :])
