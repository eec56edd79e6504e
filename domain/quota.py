"""Per-tenant quotas on what an append stores: messages, and the bytes of their text.

What counts is the same in both stores: each message a client appends (compaction
summaries are not counted, so a tenant at its limit can still compact), and the UTF-8
bytes of its text (domain.tokens.message_text: the content's text and its tool calls).
Forks, replays of an idempotent append and refused appends store nothing new and count
nothing. Usage is counted while a quota is on; 0 means no limit.
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from domain.errors import QuotaExceeded
from domain.model import EntryDraft, EntryKind
from domain.records import Record
from domain.tokens import message_text


@attrs.frozen(kw_only=True, repr=False, eq=False)
class Quota(Record):
    """A tenant's limits: stored messages and their text bytes (0: no limit)."""

    max_entries: int = attrs.field(default=0, validator=attrs.validators.ge(0))
    max_bytes: int = attrs.field(default=0, validator=attrs.validators.ge(0))

    @property
    def enabled(self) -> bool:
        """Whether any limit is set (usage is counted only then)."""
        return self.max_entries > 0 or self.max_bytes > 0


NO_QUOTA = Quota()


@attrs.frozen(kw_only=True, repr=False, eq=False)
class Usage(Record):
    """What a tenant stores, or what one batch adds, as quotas count it."""

    entries: int = 0
    bytes: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(entries=self.entries + other.entries, bytes=self.bytes + other.bytes)


def batch_usage(drafts: Sequence[EntryDraft]) -> Usage:
    """What appending `drafts` adds to the tenant's usage."""
    messages = [d for d in drafts if d.kind is EntryKind.MESSAGE]
    size = sum(len(message_text(d).encode("utf-8", "surrogatepass")) for d in messages)
    return Usage(entries=len(messages), bytes=size)


def check(quota: Quota, used: Usage, adding: Usage) -> None:
    """Raise QuotaExceeded when `used + adding` passes a limit of `quota`."""
    if quota.max_entries and used.entries + adding.entries > quota.max_entries:
        raise QuotaExceeded(
            resource="entries",
            limit=quota.max_entries,
            used=used.entries,
            requested=adding.entries,
        )
    if quota.max_bytes and used.bytes + adding.bytes > quota.max_bytes:
        raise QuotaExceeded(
            resource="bytes", limit=quota.max_bytes, used=used.bytes, requested=adding.bytes
        )
