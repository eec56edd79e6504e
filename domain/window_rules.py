"""The window a policy asks for: recency or query-aware, with tool-result clearing and a
cache-stable start when the policy turns them on."""

from __future__ import annotations

import attrs

from domain.cache_window import CACHE_REACH, block_tokens, shared_prefix
from domain.model import Policy
from domain.records import Record
from domain.relevance import select_query_window
from domain.tool_clearing import CLEAR_REACH, CLEARED_TEXT, ToolClearing, cleared_tail, clearing_of
from domain.tool_groups import EntryPool
from domain.window import (
    Window,
    WindowCandidates,
    check_budget,
    known_entries,
    select_window,
)


@attrs.frozen(kw_only=True, repr=False, eq=False)
class WindowRules(Record):
    """The policy's rules beyond the budget: clearing, and the cache block's share."""

    clearing: ToolClearing | None = None
    cache_block: float | None = None


def rules_of(policy: Policy, *, stub_text_tokens: int, exact: bool = True) -> WindowRules:
    """The rules `policy` turns on; `stub_text_tokens` is what CLEARED_TEXT counts under
    the policy's encoding."""
    return WindowRules(
        clearing=clearing_of(policy, stub_text_tokens=stub_text_tokens, exact=exact),
        cache_block=policy.cache_block if policy.cache_stable else None,
    )


def tail_reach(policy: Policy, available: int) -> int:
    """How many tokens of tail a window under `policy` reads: the available tokens, more
    when clearing (stubs make room; the trigger must be seen) or cache-stable (the window
    at the previous head is rebuilt). Bounded by the budget and the trigger, never by the
    history."""
    reach = available
    if policy.clear_tool_results:
        reach = max(reach, CLEAR_REACH * available, policy.clear_trigger + 1)
    if policy.cache_stable:
        reach = max(reach, CACHE_REACH * available)
    return reach


def choose_window(
    candidates: WindowCandidates,
    *,
    budget: int,
    reserve: int = 0,
    rules: WindowRules = WindowRules(),
    share: float = 0.5,
    neighbours: int = 0,
) -> Window:
    """The window: query-aware when the candidates hold relevant entries, else recency,
    under `rules`. A cache-stable window reports the tokens it shares with the window the
    same parameters give at the previous head (0 when that head is the summary or there
    was none)."""
    window = _choose(
        candidates, budget=budget, reserve=reserve, rules=rules, share=share,
        neighbours=neighbours,
    )
    if rules.cache_block is None:
        return window
    earlier = previous_candidates(candidates)
    shared = 0
    if earlier is not None:
        before = _choose(
            earlier, budget=budget, reserve=reserve, rules=rules, share=share,
            neighbours=neighbours,
        )
        shared = shared_prefix(_keys(before), _keys(window))
    return attrs.evolve(window, shared_prefix_tokens=shared)


def previous_candidates(c: WindowCandidates) -> WindowCandidates | None:
    """The candidates as of the previous head, when the newest entry is a tail entry or a
    pin (None at the first entry, or when the newest is the summary)."""
    head = c.head_version
    if head <= 1:
        return None
    if c.tail and c.tail[-1].version == head:
        pins, tail = c.pins, c.tail[:-1]
    elif c.pins and c.pins[-1].version == head:
        pins, tail = c.pins[:-1], c.tail
    else:
        return None
    return attrs.evolve(
        c,
        head_version=head - 1,
        pins=pins,
        tail=tail,
        relevant=tuple(s for s in c.relevant if s.entry.version != head),
        companions=tuple(e for e in c.companions if e.version != head),
    )


def _choose(
    candidates: WindowCandidates,
    *,
    budget: int,
    reserve: int,
    rules: WindowRules,
    share: float,
    neighbours: int,
) -> Window:
    check_budget(budget, reserve)
    saved: dict[int, int] = {}
    if rules.clearing is not None:
        pool = EntryPool(known_entries(candidates))
        drawn_on = sum(e.token_count for e in (*candidates.pins, *candidates.tail))
        if candidates.summary is not None:
            drawn_on += candidates.summary.token_count
        tail, saved = cleared_tail(
            candidates.tail,
            rules.clearing,
            pool,
            candidate_tokens=drawn_on,
            keep_versions={s.entry.version for s in candidates.relevant},
        )
        candidates = attrs.evolve(candidates, tail=tail)
    block = None
    if rules.cache_block is not None:
        block = block_tokens(budget - reserve, rules.cache_block)
    if candidates.relevant:
        window = select_query_window(
            candidates, budget=budget, reserve=reserve, share=share, neighbours=neighbours,
            cache_block=block,
        )
    else:
        window = select_window(candidates, budget=budget, reserve=reserve, cache_block=block)
    if not saved:
        return window
    entries = tuple(
        attrs.evolve(w, cleared=True)
        if w.entry.version in saved and w.entry.content == CLEARED_TEXT
        else w
        for w in window.entries
    )
    return attrs.evolve(
        window,
        entries=entries,
        tokens_saved=sum(saved[w.entry.version] for w in entries if w.cleared),
    )


def _keys(window: Window) -> list[tuple[int, bool, int]]:
    return [(w.entry.version, w.cleared, w.entry.token_count) for w in window.entries]
