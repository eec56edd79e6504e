"""The window use case: recency by default, query-aware when a query is given."""

from __future__ import annotations

from collections.abc import Sequence

from domain.model import Policy, check_relevance_knobs
from domain.relevance import RankQuery, Relevance, lexical_query, relevant_depth
from domain.tool_clearing import CLEARED_TEXT
from domain.window import Window, WindowCandidates, check_budget
from domain.window_rules import WindowRules, choose_window, rules_of, tail_reach
from entrypoints.engine.drafting import Drafter
from entrypoints.engine.limits import WINDOW_LIMITS, WindowLimits, query_text
from entrypoints.engine.policy_guess import PolicyGuess, available_tokens, candidates_on_policy
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
    at: int | None = None,
    include_summary: bool = True,
    recorder: Recorder | None = None,
    record: bool | None = None,
    limits: WindowLimits = WINDOW_LIMITS,
) -> Window:
    """The best window for the budget (the policy's where not given), recorded as a
    receipt when `record` (else the policy's record_windows) says so.

    With a query (text, vector or both), older entries relevant to it share the budget
    with the most recent ones (up to `relevant_share` of it, each with `neighbours`
    entries either side; the policy's where not given); without one, recency only.
    With `at`, the window the context produced at that version (its entries and its
    compaction state then; the policy as it is now). Without `include_summary`, no
    compaction summary: the entries it covers compete as any others. WindowTooLarge
    when the window would pass `limits` (a budget past them is refused before any read).
    """
    check_relevance_knobs(relevant_share, neighbours)
    _check_asked_budget(tenant_id, context_id, budget, reserve, contexts=contexts, limits=limits)
    query = query_text(query)
    if query_embedding is not None:
        drafter.check_dimension(query_embedding)
    embedding = drafter.query_embedding(query, query_embedding)
    if query is None and embedding is None:
        candidates, policy = _candidates(
            tenant_id, context_id, source,
            contexts=contexts, guess=guess, budget=budget, reserve=reserve, at=at,
            summaries=include_summary,
        )
        budget = policy.budget if budget is None else budget
        reserve = policy.reserve if reserve is None else reserve
        limits.check_budget(budget, reserve)  # the policy's budget, when none was asked
        chosen = choose_window(
            candidates, budget=budget, reserve=reserve, rules=_rules(policy, drafter)
        )
        limits.check_entries(len(chosen.entries))
        return recorded(recorder, record, tenant_id, context_id, chosen, policy=policy)
    candidates, policy, relevance = _ranked_candidates(
        tenant_id, context_id, ranking,
        contexts=contexts, guess=guess, budget=budget, reserve=reserve, share=relevant_share,
        at=at, summaries=include_summary, text=query, embedding=embedding,
    )
    budget = policy.budget if budget is None else budget
    reserve = policy.reserve if reserve is None else reserve
    limits.check_budget(budget, reserve)  # the policy's budget, when none was asked
    check_budget(budget, reserve)
    share = policy.relevant_share if relevant_share is None else relevant_share
    near = policy.neighbours if neighbours is None else neighbours
    candidates = with_relevance(
        tenant_id, context_id, candidates, relevance,
        log=log, neighbours=near, share_tokens=share * (budget - reserve),
    )
    chosen = choose_window(
        candidates, budget=budget, reserve=reserve, rules=_rules(policy, drafter), share=share,
        neighbours=near,
    )
    limits.check_entries(len(chosen.entries))
    return recorded(
        recorder, record, tenant_id, context_id, chosen, policy=policy,
        query=query, embedding=embedding, relevant_share=share, neighbours=near,
    )


def _check_asked_budget(
    tenant_id: str,
    context_id: str,
    budget: int | None,
    reserve: int | None,
    *,
    contexts: Contexts,
    limits: WindowLimits,
) -> None:
    # Before any entry is read: a budget past the cap even with no reserve is checked
    # with the reserve the window will use (the policy's, read here, when none is asked).
    if budget is None or budget - (reserve or 0) <= limits.max_tokens:
        return
    if reserve is None:
        reserve = contexts.get_context(tenant_id, context_id).policy.reserve
    limits.check_budget(budget, reserve)


def _rules(policy: Policy, drafter: Drafter) -> WindowRules:
    """The policy's window rules, the clearing stub counted under the policy's encoding."""
    if not policy.clear_tool_results:
        return rules_of(policy, stub_text_tokens=0)
    [stub] = drafter.tokens.count([CLEARED_TEXT], encoding=policy.encoding)
    return rules_of(policy, stub_text_tokens=stub.tokens, exact=stub.exact)


def _candidates(
    tenant_id: str,
    context_id: str,
    source: WindowSource,
    *,
    contexts: Contexts,
    guess: PolicyGuess,
    budget: int | None,
    reserve: int | None,
    at: int | None,
    summaries: bool,
) -> tuple[WindowCandidates, Policy]:
    """The candidates and the policy they were read with: one read when both are given."""
    if budget is None or reserve is None:
        return candidates_on_policy(
            tenant_id, context_id, source=source, contexts=contexts, guess=guess,
            budget=budget, reserve=reserve, at=at, summaries=summaries,
        )
    check_budget(budget, reserve)
    # The tail the policy last seen asks for; a policy whose rules read further, one more.
    seen = guess.policy(tenant_id, context_id) or Policy()
    fetched = tail_reach(seen, budget - reserve)
    candidates = source.window_candidates(
        tenant_id, context_id, tail_tokens=fetched, at=at, summaries=summaries
    )
    policy = candidates.policy or contexts.get_context(tenant_id, context_id).policy
    guess.remember(tenant_id, context_id, policy, None)
    if tail_reach(policy, budget - reserve) > fetched:
        wanted = tail_reach(policy, budget - reserve)
        candidates = source.window_candidates(
            tenant_id, context_id, tail_tokens=wanted, at=at, summaries=summaries
        )
    return candidates, policy


def _ranked_candidates(
    tenant_id: str,
    context_id: str,
    ranking: Ranking,
    *,
    contexts: Contexts,
    guess: PolicyGuess,
    budget: int | None,
    reserve: int | None,
    share: float | None,
    at: int | None,
    summaries: bool,
    text: str | None,
    embedding: Sequence[float] | None,
) -> tuple[WindowCandidates, Policy, Relevance]:
    """A query window's candidates, their policy and the rankings, read at once for the
    tail and depth the policy last seen asks for; a policy that asks for a longer tail or
    another depth, read with them, costs one more read."""
    if budget is not None and reserve is not None:
        check_budget(budget, reserve)
    terms = lexical_query(text)

    def read(asked: tuple[int, int]) -> tuple[WindowCandidates, Relevance]:
        tail, depth = asked
        return ranking.ranked_candidates(
            tenant_id, context_id, tail_tokens=tail,
            query=RankQuery(text=terms, embedding=embedding, k=depth), at=at,
            summaries=summaries,
        )

    asked = _reach(guess.policy(tenant_id, context_id) or Policy(), budget, reserve, share)
    candidates, relevance = read(asked)
    policy = candidates.policy or contexts.get_context(tenant_id, context_id).policy
    guess.remember(tenant_id, context_id, policy, None)
    wanted = _reach(policy, budget, reserve, share)
    if wanted[0] > asked[0] or wanted[1] != asked[1]:
        candidates, relevance = read(wanted)
    return candidates, policy, relevance


def _reach(
    policy: Policy, budget: int | None, reserve: int | None, share: float | None
) -> tuple[int, int]:
    """The tail and the ranking depth a query window under `policy` reads."""
    available = available_tokens(policy, budget, reserve)
    relevant = policy.relevant_share if share is None else share
    return tail_reach(policy, available), relevant_depth(available, relevant)
