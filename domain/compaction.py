"""Compaction plans: which active entries a summary will stand in for, and its record."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import attrs

from domain.errors import InvalidInput, NothingToCompact
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


@attrs.frozen(kw_only=True)
class CompactionView:
    """The active history a plan is made from: eligible entries after the last summary."""

    head_version: int
    compacted_through: int
    active_tokens: int
    summary: Entry | None
    entries: tuple[Entry, ...]


@attrs.frozen(kw_only=True)
class CompactionPlan:
    """The entries to summarize, what the summary will cover, and the token figures."""

    expected_version: int
    covers: VersionRange
    to_summarize: tuple[Entry, ...]
    previous_summary: Entry | None
    tokens_before: int
    tokens_replaced: int
    policy: Policy
    at: datetime


@attrs.frozen(kw_only=True)
class CompactionResult:
    """A compaction that happened: the summary's version and its figures."""

    append: AppendResult
    summary: EntryDraft


def check_summary(draft: EntryDraft) -> None:
    """A compaction records a summary entry that says which versions it covers."""
    if draft.kind is not EntryKind.SUMMARY or draft.covers is None:
        raise InvalidInput("a compaction records a summary entry with its covered range")


def due(view: CompactionView, policy: Policy) -> bool:
    """Active tokens have reached threshold x budget."""
    return view.active_tokens >= policy.threshold * policy.budget


def keep_boundary(entries: Sequence[Entry], keep_recent: int) -> int:
    """Index of the first entry kept verbatim, moved back so no tool group is split."""
    start = max(len(entries) - keep_recent, 0)
    # A kept tool result needs its call kept too: walk back to the assistant that made it.
    while 0 < start < len(entries) and entries[start].role is Role.TOOL:
        start -= 1
    return start


def plan_compaction(
    view: CompactionView, policy: Policy, *, at: datetime, force: bool = False
) -> CompactionPlan:
    """Choose the oldest active entries to summarize, keeping the last keep_recent verbatim."""
    if not force and not due(view, policy):
        raise NothingToCompact(
            f"active tokens {view.active_tokens} are below "
            f"{policy.threshold:g} x budget {policy.budget}"
        )
    start = keep_boundary(view.entries, policy.keep_recent)
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
    )


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
