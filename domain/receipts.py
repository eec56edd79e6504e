"""Receipts: what a window sent to the model, kept as versions and reasons, never as text.

Versions are immutable, so a receipt that names the versions a window held (with the
reason and score each had, and the window's accounting) gives back exactly the window
that was sent, whatever was appended, compacted or reverted since.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Mapping, Sequence
from datetime import datetime

import attrs

from domain.model import Entry, Policy, TokenSource, VersionRange
from domain.records import Record
from domain.tool_clearing import stubbed
from domain.window import Reason, Window, WindowEntry


@attrs.frozen(kw_only=True, repr=False, eq=False)
class SentEntry(Record):
    """One entry a window held: its version, why it was there (the reason's text as it
    was written, so a later window transform's reasons are kept too), its score, and the
    tokens it was sent with."""

    version: int
    reason: str
    score: float | None = None
    tokens: int
    # A tool result sent as its cleared stub (domain.tool_clearing): the stub's token
    # source; None when the entry went whole.
    stub_source: str | None = None


@attrs.frozen(kw_only=True, repr=False, eq=False)
class WindowAsked(Record):
    """What a window was asked with: budget and reserve as used, digests of the query
    (never its text), the relevance knobs of a query window, and the policy it ran on."""

    budget: int
    reserve: int
    query_hash: str | None = None
    query_embedding_hash: str | None = None
    relevant_share: float | None = None
    neighbours: int | None = None
    policy: Policy


@attrs.frozen(kw_only=True, repr=False, eq=False)
class Receipt(Record):
    """A recorded window of one context: enough to give back exactly what was sent."""

    id: str
    tenant_id: str
    context_id: str
    created_at: datetime
    head_version: int
    asked: WindowAsked
    entries: tuple[SentEntry, ...]
    tokens: int
    omitted_count: int
    omitted: tuple[VersionRange, ...]
    summary_covers: VersionRange | None
    approximate: bool
    tokens_saved: int = 0
    shared_prefix_tokens: int | None = None

    @property
    def versions(self) -> tuple[int, ...]:
        """The versions the window held, in the order they were sent."""
        return tuple(e.version for e in self.entries)


@attrs.frozen(kw_only=True, repr=False, eq=False)
class RecordedWindow(Record):
    """A receipt and the window it gives back, entries read from the version log."""

    receipt: Receipt
    window: Window


def query_hash(query: str | None) -> str | None:
    """SHA-256 of the query text (hex), so a receipt can say which query without keeping it."""
    if query is None:
        return None
    return hashlib.sha256(query.encode("utf-8")).hexdigest()


def embedding_hash(embedding: Sequence[float] | None) -> str | None:
    """SHA-256 of a query vector as little-endian float64s (hex)."""
    if embedding is None:
        return None
    packed = struct.pack(f"<{len(embedding)}d", *embedding)
    return hashlib.sha256(packed).hexdigest()


def receipt_of(
    window: Window,
    *,
    id: str,
    tenant_id: str,
    context_id: str,
    created_at: datetime,
    asked: WindowAsked,
) -> Receipt:
    """The receipt of a window just chosen."""
    return Receipt(
        id=id,
        tenant_id=tenant_id,
        context_id=context_id,
        created_at=created_at,
        head_version=window.head_version,
        asked=asked,
        entries=tuple(
            SentEntry(
                version=entry.version,
                reason=str(reason),
                score=score,
                tokens=entry.token_count,
                stub_source=str(entry.token_source) if cleared else None,
            )
            for entry, reason, score, cleared in window.entries.rows()
        ),
        tokens=window.tokens,
        omitted_count=window.omitted_count,
        omitted=window.omitted,
        summary_covers=window.summary_covers,
        approximate=window.approximate,
        tokens_saved=window.tokens_saved,
        shared_prefix_tokens=window.shared_prefix_tokens,
    )


def missing_versions(receipt: Receipt, found: Mapping[int, Entry]) -> tuple[int, ...]:
    """The versions a receipt names that `found` lacks (none, unless history was erased)."""
    return tuple(v for v in receipt.versions if v not in found)


def window_of(receipt: Receipt, found: Mapping[int, Entry]) -> Window:
    """The window a receipt records, its entries taken from `found` (version -> entry)."""
    return Window(
        entries=tuple(_sent(s, found[s.version]) for s in receipt.entries),
        tokens=receipt.tokens,
        budget=receipt.asked.budget,
        reserve=receipt.asked.reserve,
        head_version=receipt.head_version,
        omitted_count=receipt.omitted_count,
        omitted=receipt.omitted,
        summary_covers=receipt.summary_covers,
        approximate=receipt.approximate,
        tokens_saved=receipt.tokens_saved,
        shared_prefix_tokens=receipt.shared_prefix_tokens,
        receipt_id=receipt.id,
    )


def _sent(sent: SentEntry, entry: Entry) -> WindowEntry:
    # The entry as the window sent it: a cleared tool result as the stub it was sent as.
    if sent.stub_source is not None:
        stub = stubbed(entry, tokens=sent.tokens, source=TokenSource(sent.stub_source))
        return WindowEntry(entry=stub, reason=Reason(sent.reason), score=sent.score,
                           cleared=True)
    return WindowEntry(entry=entry, reason=Reason(sent.reason), score=sent.score)
