"""The wire format of responses: msgspec structs encoded straight from the domain's values."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

from domain.model import EntryKind, Role, TokenSource
from domain.window import Reason

JSONObj = dict[str, Any]


class PolicyOut(msgspec.Struct, kw_only=True):
    """A context's window and compaction policy."""

    budget: int
    reserve: int
    threshold: float
    keep_recent: int
    encoding: str
    enabled: bool
    summary_tokens: int
    relevant_share: float
    neighbours: int
    compaction_margin: float
    clear_tool_results: bool
    clear_keep: int
    clear_trigger: int
    clear_exclude: list[str]
    cache_stable: bool
    cache_block: float
    record_windows: bool
    deleted_retention_days: int | None
    receipt_retention_days: int | None


class ContextOut(msgspec.Struct, kw_only=True):
    """A context with its head and totals."""

    id: str
    name: str
    metadata: JSONObj
    policy: PolicyOut
    parent_id: str | None
    fork_version: int | None
    head_version: int
    entry_count: int
    token_total: int
    compacted_through: int
    created_at: datetime
    updated_at: datetime


class ContextPage(msgspec.Struct, kw_only=True):
    """One page of contexts; pass next_cursor as `cursor` for the next (null at the end)."""

    items: list[ContextOut]
    next_cursor: str | None


class ContextList(msgspec.Struct, kw_only=True):
    """A list of contexts (the forks of one)."""

    items: list[ContextOut]


class RangeOut(msgspec.Struct, kw_only=True):
    """An inclusive version range."""

    first: int
    last: int


class ToolCallOut(msgspec.Struct, kw_only=True):
    """A tool call made by an assistant entry."""

    id: str
    name: str
    arguments: str


class EntryOut(msgspec.Struct, kw_only=True, omit_defaults=True):
    """A stored version of a context (optional fields are left out when null)."""

    version: int
    role: Role
    content: str | list[JSONObj]
    token_count: int
    token_source: TokenSource
    kind: EntryKind
    pinned: bool
    created_at: datetime
    metadata: JSONObj
    tool_calls: list[ToolCallOut]
    has_embedding: bool
    name: str | None = None
    tool_call_id: str | None = None
    covers: RangeOut | None = None
    embedding: list[float] | None = None


class EntryPage(msgspec.Struct, kw_only=True):
    """One page of entries; pass next_cursor as `after` for the next (null at the end)."""

    items: list[EntryOut]
    next_cursor: str | None


class VersionState(msgspec.Struct, kw_only=True):
    """The state at a version: the entry that version added and a page of entries 1..n."""

    version: int
    entry: EntryOut | None
    entries: list[EntryOut]
    next_cursor: str | None


class AppendOut(msgspec.Struct, kw_only=True):
    """What an append wrote: versions first..last, and the new head."""

    context_id: str
    first_version: int
    last_version: int
    head_version: int
    token_count: int
    replayed: bool


class WindowEntryOut(msgspec.Struct, kw_only=True, omit_defaults=True):
    """One entry of a window and why it is there."""

    reason: Reason
    entry: EntryOut
    score: float | None = None
    cleared: bool = False


class WindowOut(msgspec.Struct, kw_only=True):
    """The chosen window, in order, with its accounting."""

    entries: list[WindowEntryOut]
    tokens: int
    budget: int
    reserve: int
    available: int
    head_version: int
    versions: RangeOut | None
    omitted_count: int
    omitted: list[RangeOut]
    summary_covers: RangeOut | None
    approximate: bool
    tokens_saved: int
    shared_prefix_tokens: int | None
    receipt_id: str | None = None


class SentEntryOut(msgspec.Struct, kw_only=True):
    """One entry a recorded window held: version, reason and score, tokens sent."""

    version: int
    reason: str
    score: float | None
    tokens: int
    # A tool result sent as its cleared stub: the stub's token source ("counted" or
    # "estimated"); null when the entry went whole.
    stub_source: str | None = None


class ReceiptOut(msgspec.Struct, kw_only=True):
    """A recorded window: what it was asked with and which versions it sent, why."""

    id: str
    context_id: str
    created_at: datetime
    head_version: int
    budget: int
    reserve: int
    query_hash: str | None
    query_embedding_hash: str | None
    relevant_share: float | None
    neighbours: int | None
    policy: PolicyOut
    tokens: int
    entries: list[SentEntryOut]
    omitted_count: int
    omitted: list[RangeOut]
    summary_covers: RangeOut | None
    approximate: bool
    tokens_saved: int = 0
    shared_prefix_tokens: int | None = None


class ReceiptPage(msgspec.Struct, kw_only=True):
    """One page of receipts, oldest first; pass next_cursor as `cursor` for the next."""

    items: list[ReceiptOut]
    next_cursor: str | None


class RecordedWindowOut(msgspec.Struct, kw_only=True):
    """A receipt and exactly the window it recorded, entries read from the version log."""

    receipt: ReceiptOut
    window: WindowOut


class RetentionOut(msgspec.Struct, kw_only=True):
    """What one retention run deleted, per kind."""

    now: datetime
    deleted: dict[str, int]


class CompactOut(msgspec.Struct, kw_only=True):
    """A compaction that happened: the summary's version and what it covers."""

    append: AppendOut
    summary_version: int
    covers: RangeOut | None
    summary_tokens: int
    metadata: JSONObj


class PurgeOut(msgspec.Struct, kw_only=True):
    """What a purge removed for good, and the entries kept because forks share them."""

    context_id: str
    entries_removed: int
    embeddings_removed: int
    entries_kept_for_forks: int
    receipts_removed: int


class ErasureOut(msgspec.Struct, kw_only=True):
    """The audit record of a purge: no content, only which context, when, why, how much."""

    context_id: str
    erased_at: datetime
    reason: str
    entries_removed: int
    embeddings_removed: int
    receipts_removed: int
    entries_kept_for_forks: int


class ErasurePage(msgspec.Struct, kw_only=True):
    """One page of erasure records, oldest first; pass next_cursor as `cursor`."""

    items: list[ErasureOut]
    next_cursor: str | None


class RevertOut(msgspec.Struct, kw_only=True):
    """A reverted compaction: the marker's version, what was reverted and what is in force."""

    append: AppendOut
    reverted_version: int
    restored_version: int | None
    compacted_through: int
    tokens_before: int
    tokens_after: int


class SearchHitOut(msgspec.Struct, kw_only=True):
    """An entry found by similarity, with its cosine similarity."""

    context_id: str
    score: float
    entry: EntryOut


class SearchOut(msgspec.Struct, kw_only=True):
    """Search hits, best first."""

    items: list[SearchHitOut]


class HealthOut(msgspec.Struct, kw_only=True):
    """Liveness."""

    status: str
    version: str


class TenantOut(msgspec.Struct, kw_only=True):
    """Who the presented API key belongs to."""

    tenant_id: str
