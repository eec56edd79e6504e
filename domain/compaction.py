"""Compaction plans: which active entries a summary will stand in for, and its record."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import attrs

from domain import history
from domain.errors import InvalidInput, NothingToCompact, SummaryNotShorter
from domain.model import (
    AppendResult,
    Entry,
    EntryDraft,
    EntryKind,
    Policy,
    Role,
    TokenSource,
    VersionRange,
)
from domain.records import Record
from domain.tokens import FRAMING_TOKENS


@attrs.frozen(kw_only=True, repr=False, eq=False)
class CompactionView(Record):
    """The active history a plan is made from: eligible entries after the last summary."""

    head_version: int
    compacted_through: int
    active_tokens: int
    summary: Entry | None
    entries: tuple[Entry, ...]


@attrs.frozen(kw_only=True, repr=False, eq=False)
class CompactionPlan(Record):
    """The entries to summarize, what the summary will cover, and the token figures."""

    expected_version: int
    covers: VersionRange
    to_summarize: tuple[Entry, ...]
    previous_summary: Entry | None
    tokens_before: int
    tokens_replaced: int
    policy: Policy
    at: datetime
    # Planned by automatic compaction (after an append), not asked for.
    auto: bool = False


@attrs.frozen(kw_only=True, repr=False, eq=False)
class CompactionResult(Record):
    """A compaction that happened: the summary's version and its figures."""

    append: AppendResult
    summary: EntryDraft


@attrs.frozen(kw_only=True, repr=False, eq=False)
class RevertResult(Record):
    """A revert that happened: its marker's version, the summary reverted, the one in
    force again (None: no summary), and the active tokens before and after."""

    append: AppendResult
    reverted: Entry
    restores: Entry | None
    tokens_before: int
    tokens_after: int


def check_summary(draft: EntryDraft) -> None:
    """A compaction records a summary entry that says which versions it covers."""
    if draft.kind is not EntryKind.SUMMARY or draft.covers is None:
        raise InvalidInput("a compaction records a summary entry with its covered range")


def due(view: CompactionView, policy: Policy, *, auto: bool = False) -> bool:
    """Active tokens have reached threshold x budget; for automatic compaction, also
    grown by compaction_margin x budget since the summary in force was written (so a
    summary that cannot get below the threshold does not make every append compact)."""
    if view.active_tokens < policy.threshold * policy.budget:
        return False
    if not auto or view.summary is None:
        return True
    grown = view.active_tokens - tokens_after(view.summary)
    return grown >= policy.compaction_margin * policy.budget


def low_watermark(policy: Policy) -> float:
    """Where automatic compaction summarizes down to: (threshold - margin) x budget, at
    least 0."""
    return max(policy.threshold - policy.compaction_margin, 0.0) * policy.budget


def tokens_after(summary: Entry) -> int:
    """The active tokens its compaction left (recorded with it; its own size if not)."""
    record = summary.metadata.get("compaction")
    if isinstance(record, dict) and isinstance(record.get("tokens_after"), int):
        return int(record["tokens_after"])
    return summary.token_count


def keep_boundary(entries: Sequence[Entry], keep_recent: int) -> int:
    """Index of the first entry kept verbatim, moved back so no tool group is split."""
    start = max(len(entries) - keep_recent, 0)
    # A kept tool result needs its call kept too: walk back to the assistant that made it.
    while 0 < start < len(entries) and entries[start].role is Role.TOOL:
        start -= 1
    return start


def plan_compaction(
    view: CompactionView,
    policy: Policy,
    *,
    at: datetime,
    force: bool = False,
    auto: bool = False,
) -> CompactionPlan:
    """Choose the oldest active entries to summarize, keeping the last keep_recent verbatim.

    Asked for, it summarizes all it may; automatically, only as many of the oldest as
    bring the active history down to the low watermark (counting the summary at its cap),
    so more stays verbatim.
    """
    if not force and not due(view, policy, auto=auto):
        raise NothingToCompact(
            f"active tokens {view.active_tokens} are below "
            f"{policy.threshold:g} x budget {policy.budget}"
            + (" or have not grown by the compaction margin since" if auto else "")
        )
    start = keep_boundary(view.entries, policy.keep_recent)
    if auto:
        start = _down_to(view, policy, start)
    chosen = tuple(view.entries[:start])
    if not chosen:
        raise NothingToCompact("nothing older than the entries kept verbatim")
    replaced = sum(e.token_count for e in chosen)
    if view.summary is not None:
        replaced += view.summary.token_count
    return CompactionPlan(
        expected_version=view.head_version,
        covers=VersionRange(first=1, last=chosen[-1].version),
        to_summarize=chosen,
        previous_summary=view.summary,
        tokens_before=view.active_tokens,
        tokens_replaced=replaced,
        policy=policy,
        at=at,
        auto=auto,
    )


def _down_to(view: CompactionView, policy: Policy, start: int) -> int:
    """The fewest oldest entries (at most `start`, ending on a whole tool group) whose
    summary brings the active tokens to the low watermark."""
    target = low_watermark(policy)
    left = view.active_tokens - (view.summary.token_count if view.summary else 0)
    left += policy.summary_limit + FRAMING_TOKENS
    end = 0
    while end < start and left > target:
        left -= view.entries[end].token_count
        end += 1
    # Never end between a call and its results: the kept part starts on no tool result.
    while 0 < end < start and view.entries[end].role is Role.TOOL:
        left -= view.entries[end].token_count
        end += 1
    return end


def check_shorter(plan: CompactionPlan, summary_tokens: int) -> None:
    """A summary must be shorter than what it stands in for, or it is refused."""
    if summary_tokens >= plan.tokens_replaced:
        raise SummaryNotShorter(
            summary_tokens=summary_tokens, covered_tokens=plan.tokens_replaced
        )


def revert_draft(
    summary: Entry,
    restores: Entry | None,
    *,
    at: datetime,
    policy: Policy,
    tokens_before: int,
    tokens_after: int,
) -> EntryDraft:
    """The marker that reverts the compaction in force (`summary`): the summary stays in
    the history, windows stop using it and the one before it (`restores`) is in force
    again. Its `covers` names the reverted version; it counts one token."""
    record = {
        "revert": {
            "summary_version": summary.version,
            "restores": None if restores is None else restores.version,
            "compacted_through": history.compacted_through(restores),
            "tokens_before": tokens_before,
            "tokens_after": tokens_after,
            "at": at.isoformat(),
            "policy": policy.as_json(),
        }
    }
    return EntryDraft(
        role=Role.SYSTEM,
        content=f"reverted the compaction at version {summary.version}",
        metadata=record,
        token_count=1,
        token_source=TokenSource.COUNTED,
        kind=EntryKind.REVERT,
        covers=VersionRange(first=summary.version, last=summary.version),
    )


def restored_state(draft: EntryDraft | Entry) -> tuple[int | None, int]:
    """A revert marker's summary in force after it, and compacted_through: both stores
    set the context's compaction state from here."""
    record = draft.metadata["revert"]
    restores = record["restores"]
    return (None if restores is None else int(restores)), int(record["compacted_through"])


def check_compaction(draft: EntryDraft) -> None:
    """What record_compaction accepts: a summary that says what it covers, or a revert
    marker that says what it reverts."""
    if draft.kind is EntryKind.REVERT:
        if draft.covers is None or "revert" not in draft.metadata:
            raise InvalidInput("a revert names the summary it reverts and what it restores")
        return
    check_summary(draft)


def summary_draft(
    plan: CompactionPlan,
    *,
    text: str,
    token_count: int,
    summarizer: str,
    fallback: str | None = None,
) -> EntryDraft:
    """The summary version the plan appends, recording what it covers, its figures, the
    summarizer that wrote it and, if a fallback did, why the configured one did not."""
    tokens_after = plan.tokens_before - plan.tokens_replaced + token_count
    record: dict[str, Any] = {
        "compaction": {
            "summarizer": summarizer,
            "covers": {"first": plan.covers.first, "last": plan.covers.last},
            "summarized_entries": len(plan.to_summarize),
            "tokens_before": plan.tokens_before,
            "tokens_after": tokens_after,
            "at": plan.at.isoformat(),
            "policy": plan.policy.as_json(),
            "trigger": "auto" if plan.auto else "request",
        }
    }
    if fallback is not None:
        record["compaction"]["fallback"] = fallback
    return EntryDraft(
        role=Role.SYSTEM,
        content=text,
        metadata=record,
        token_count=max(token_count, 1),
        token_source=TokenSource.COUNTED,
        kind=EntryKind.SUMMARY,
        covers=plan.covers,
    )
