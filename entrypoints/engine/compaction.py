"""Compaction: summarize older active entries, now or when the policy says it is due."""

from __future__ import annotations

import contextlib

from domain import compaction
from domain.compaction import CompactionResult
from domain.errors import NothingToCompact, VersionConflict
from domain.model import Policy
from domain.tokens import FRAMING_TOKENS
from ports.clock import Clock
from ports.compaction_log import CompactionLog
from ports.summarizer import Summarizer
from ports.tokens import TokenCounter


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
) -> CompactionResult:
    """Plan from the active history, write the summary, record it as the next version."""
    view = log.compaction_view(tenant_id, context_id)
    plan = compaction.plan_compaction(view, policy, at=clock.now(), force=force)
    summary = summarizer.summarize(
        plan.to_summarize,
        previous=plan.previous_summary.text if plan.previous_summary else None,
        max_tokens=policy.summary_limit,
        encoding=policy.encoding,
    )
    count = tokens.count([summary.text], encoding=policy.encoding)[0]
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
    """Automatic compaction after an append: best effort, a racing writer defers it."""
    if not policy.enabled:
        return
    with contextlib.suppress(NothingToCompact, VersionConflict):
        compact(
            tenant_id, context_id, policy,
            log=log, summarizer=summarizer, tokens=tokens, clock=clock,
        )
