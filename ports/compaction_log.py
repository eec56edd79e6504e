"""The compaction log port: what a compaction plan is made from, and recording its summary."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from domain.compaction import CompactionView
from domain.model import AppendResult, EntryDraft


class CompactionLog(Protocol):
    """The active history and the summaries that stand in for older entries."""

    def compaction_view(self, tenant_id: str, context_id: str) -> CompactionView:
        """The eligible active entries (after the newest summary) and active tokens."""
        ...

    def record_compaction(
        self,
        tenant_id: str,
        context_id: str,
        summary: EntryDraft,
        *,
        expected_version: int,
        now: datetime,
    ) -> AppendResult:
        """Append the summary version and move compacted_through to its covered end; or
        append a revert marker (domain.compaction.revert_draft) and put the summary it
        restores back in force.

        Raises VersionConflict if the head moved since the plan was made.
        """
        ...
