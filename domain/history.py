"""What a context's history is made of: eligible entries, active tokens, the state at a version.

Both stores keep these figures incrementally (running sums, indexes); the rules they keep
are the ones written here, and the contract suite holds the stores to them.
"""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from domain.model import Entry, EntryDraft, EntryKind
from domain.records import Record


def is_eligible(entry: Entry | EntryDraft) -> bool:
    """A message that is not a pin: what windows choose among and summaries cover.

    Pins (system or pinned messages) are always sent; summaries stand in for others.
    """
    return entry.kind is EntryKind.MESSAGE and not entry.is_pin


def active_tokens(*, pin_tokens: int, summary: Entry | None, eligible_tokens: int) -> int:
    """Tokens of the active history: the pins, the newest summary, and the eligible
    entries after the versions it covers (`eligible_tokens`)."""
    return pin_tokens + (summary.token_count if summary is not None else 0) + eligible_tokens


def compacted_through(summary: Entry | EntryDraft | None) -> int:
    """The last version the newest summary covers (0 without one)."""
    if summary is None or summary.covers is None:
        return 0
    return summary.covers.last


@attrs.frozen(kw_only=True, repr=False, eq=False)
class StateAt(Record):
    """A history's figures as of one version: what a fork at that version starts with."""

    head_version: int
    token_total: int
    eligible_total: int
    summary_version: int | None
    compacted_through: int


def state_at(entries: Iterable[Entry]) -> StateAt:
    """The figures of the history made of `entries` (versions 1..N, in order)."""
    head = tokens = eligible = 0
    summary: Entry | None = None
    for entry in entries:
        head = entry.version
        tokens += entry.token_count
        if entry.kind is EntryKind.SUMMARY:
            summary = entry
        elif is_eligible(entry):
            eligible += entry.token_count
    return StateAt(
        head_version=head,
        token_total=tokens,
        eligible_total=eligible,
        summary_version=summary.version if summary is not None else None,
        compacted_through=compacted_through(summary),
    )
