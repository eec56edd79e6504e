"""Compaction: summarize older active entries, now or when the policy says it is due."""

from __future__ import annotations

import contextlib

from domain import compaction, history
from domain.compaction import CompactionResult, RevertResult
from domain.errors import NothingToCompact, NotRevertible, SummaryNotShorter, VersionConflict
from domain.model import Policy
from domain.tokens import FRAMING_TOKENS
from ports.clock import Clock
from ports.compaction_log import CompactionLog
from ports.summarizer import Summarizer
from ports.tokens import TokenCounter
from ports.window_source import WindowSource

# Large enough for "every eligible entry" of a revert's covered range.
_ALL_TOKENS = 2**62


def compact(
    tenant_id: str,
    context_id: str,
    policy: Policy,
    *,
    log: CompactionLog,
    summarizer: Summarizer,
    tokens: TokenCounter,
    clock: Clock,
    force: bool = False,
    auto: bool = False,
) -> CompactionResult:
    """Plan from the active history, write the summary, record it as the next version.

    A summary that would not be shorter than what it stands in for is refused
    (SummaryNotShorter): nothing is written.
    """
    view = log.compaction_view(tenant_id, context_id)
    plan = compaction.plan_compaction(view, policy, at=clock.now(), force=force, auto=auto)
    summary = summarizer.summarize(
        plan.to_summarize,
        previous=plan.previous_summary.text if plan.previous_summary else None,
        max_tokens=policy.summary_limit,
        encoding=policy.encoding,
    )
    count = tokens.count([summary.text], encoding=policy.encoding)[0]
    compaction.check_shorter(plan, count.tokens + FRAMING_TOKENS)
    draft = compaction.summary_draft(
        plan, text=summary.text, token_count=count.tokens + FRAMING_TOKENS,
        summarizer=summary.summarizer, fallback=summary.fallback,
    )
    result = log.record_compaction(
        tenant_id, context_id, draft, expected_version=plan.expected_version, now=clock.now()
    )
    return CompactionResult(append=result, summary=draft)


def compact_if_due(
    tenant_id: str,
    context_id: str,
    policy: Policy,
    *,
    log: CompactionLog,
    summarizer: Summarizer,
    tokens: TokenCounter,
    clock: Clock,
) -> None:
    """Automatic compaction after an append: best effort, a racing writer defers it, and
    hysteresis (domain.compaction.due) keeps it from running on every append."""
    if not policy.enabled:
        return
    with contextlib.suppress(NothingToCompact, VersionConflict, SummaryNotShorter):
        compact(
            tenant_id, context_id, policy,
            log=log, summarizer=summarizer, tokens=tokens, clock=clock, auto=True,
        )


def revert(
    tenant_id: str,
    context_id: str,
    summary_version: int,
    policy: Policy,
    *,
    log: CompactionLog,
    source: WindowSource,
    clock: Clock,
) -> RevertResult:
    """Revert the compaction in force: a marker version records it, the summary stays in
    the history, and the summary before it (or none) is in force again.

    Raises NotRevertible unless `summary_version` is the summary in force.
    """
    view = log.compaction_view(tenant_id, context_id)
    if view.summary is None or view.summary.version != summary_version:
        raise NotRevertible(
            f"version {summary_version} is not the compaction in force "
            f"({'none' if view.summary is None else view.summary.version})"
        )
    reverted = view.summary
    # In force before it was written: reverts since concern only later summaries.
    restores = source.window_candidates(
        tenant_id, context_id, tail_tokens=0, at=summary_version - 1
    ).summary
    # What the revert brings back: the entries the reverted summary covered beyond the
    # one restored (read once: a revert is rare), in place of the summary.
    through = history.compacted_through(restores)
    covered = source.window_candidates(
        tenant_id, context_id, tail_tokens=_ALL_TOKENS, at=history.compacted_through(reverted),
        summaries=False,
    ).tail
    back = sum(e.token_count for e in covered if e.version > through)
    after = (
        view.active_tokens - reverted.token_count + back
        + (restores.token_count if restores is not None else 0)
    )
    draft = compaction.revert_draft(
        reverted, restores, at=clock.now(), policy=policy,
        tokens_before=view.active_tokens, tokens_after=after,
    )
    appended = log.record_compaction(
        tenant_id, context_id, draft, expected_version=view.head_version, now=clock.now()
    )
    return RevertResult(
        append=appended, reverted=reverted, restores=restores,
        tokens_before=view.active_tokens, tokens_after=after,
    )
