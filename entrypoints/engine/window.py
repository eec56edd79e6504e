"""The window use case: recency by default, query-aware when a query is given."""

from __future__ import annotations

from collections.abc import Sequence

from domain.model import Policy, check_relevance_knobs
from domain.relevance import relevant_depth, select_query_window
from domain.window import Window, WindowCandidates, check_budget, select_window
from entrypoints.engine.drafting import Drafter
from entrypoints.engine.limits import query_text
from entrypoints.engine.policy_guess import PolicyGuess, candidates_on_policy
from entrypoints.engine.receipts import Recorder, recorded
from entrypoints.engine.relevance import with_relevance
from ports.contexts import Contexts
from ports.ranking import Ranking
from ports.version_log import VersionLog
from ports.window_source import WindowSource


def window(
    tenant_id: str,
    context_id: str,
    *,
    source: WindowSource,
    ranking: Ranking,
    log: VersionLog,
    contexts: Contexts,
    guess: PolicyGuess,
    drafter: Drafter,
    budget: int | None,
    reserve: int | None,
    query: str | None,
    query_embedding: Sequence[float] | None,
    relevant_share: float | None = None,
    neighbours: int | None = None,
    recorder: Recorder | None = None,
    record: bool | None = None,
) -> Window:
    """The best window for the budget (the policy's where not given), recorded as a
    receipt when `record` (else the policy's record_windows) says so.

    With a query (text, vector or both), older entries relevant to it share the budget
    with the most recent ones (up to `relevant_share` of it, each with `neighbours`
    entries either side; the policy's where not given); without one, recency only.
    """
    check_relevance_knobs(relevant_share, neighbours)
    query = query_text(query)
    if query_embedding is not None:
        drafter.check_dimension(query_embedding)
    candidates, policy = _candidates(
        tenant_id, context_id, source,
        contexts=contexts, guess=guess, budget=budget, reserve=reserve,
    )
    budget = policy.budget if budget is None else budget
    reserve = policy.reserve if reserve is None else reserve
    embedding = drafter.query_embedding(query, query_embedding)
    if query is None and embedding is None:
        chosen = select_window(candidates, budget=budget, reserve=reserve)
        return recorded(recorder, record, tenant_id, context_id, chosen, policy=policy)
    check_budget(budget, reserve)
    share = policy.relevant_share if relevant_share is None else relevant_share
    near = policy.neighbours if neighbours is None else neighbours
    candidates = with_relevance(
        tenant_id,
        context_id,
        candidates,
        ranking=ranking,
        log=log,
        query=query,
        embedding=embedding,
        neighbours=near,
        depth=relevant_depth(budget - reserve, share),
    )
    chosen = select_query_window(
        candidates, budget=budget, reserve=reserve, share=share, neighbours=near
    )
    return recorded(
        recorder, record, tenant_id, context_id, chosen, policy=policy,
        query=query, embedding=embedding, relevant_share=share, neighbours=near,
    )


def _candidates(
    tenant_id: str,
    context_id: str,
    source: WindowSource,
    *,
    contexts: Contexts,
    guess: PolicyGuess,
    budget: int | None,
    reserve: int | None,
) -> tuple[WindowCandidates, Policy]:
    """The candidates and the policy they were read with: one read when both are given."""
    if budget is None or reserve is None:
        return candidates_on_policy(
            tenant_id, context_id, source=source, contexts=contexts, guess=guess,
            budget=budget, reserve=reserve,
        )
    check_budget(budget, reserve)
    candidates = source.window_candidates(tenant_id, context_id, tail_tokens=budget - reserve)
    policy = candidates.policy or contexts.get_context(tenant_id, context_id).policy
    return candidates, policy
