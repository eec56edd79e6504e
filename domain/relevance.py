"""Relevance of older entries to a query: ranked lists from the adapters, fused here, and
the budget rule that spends part of a window on them."""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Sequence
from typing import NamedTuple

import attrs

from domain.cache_window import boundaries, stable_start
from domain.lexical import best_first, searchable, terms
from domain.model import Entry, Role, check_relevance_knobs
from domain.records import Record
from domain.tool_groups import EntryPool, group_with_neighbours, in_tool_group, orphans
from domain.window import (
    Reason,
    Window,
    WindowCandidates,
    WindowEntry,
    assemble_window,
    known_entries,
    recent_suffix,
    select_window,
    starts_history,
    window_head,
)


def lexical_query(text: str | None) -> str | None:
    """The query's terms that can tell entries apart, or None: stopwords, conversational
    filler and one-letter terms (a possessive's "s") are dropped."""
    if text is None:
        return None
    return " ".join(w for w in terms(text) if searchable(w)) or None


# Cormack et al.'s constant: it damps the head of each ranking so that an entry found by
# both rankings beats one found near the top of only one.
RRF_K = 60
# The relevance floor: an entry enters a ranking's share only with at least this fraction
# of that ranking's best score for the query (BM25 and cosine are each on their own scale;
# a fraction of the best is on none). Below it, an entry matched the query's weakest
# evidence only (one common word, a vague likeness), and the relevant share it would take
# goes to recency instead. Chosen on bench/eval_forms.py's tuning split (pooled recall at
# 2k/4k/8k/16k, text+vector): floors up to 0.1 (BM25) and 0.35 (cosine) cost nothing
# there; 0.25 BM25 cost the text-only window 0.08 at 8k, 0.5 cosine cost 0.01-0.04 and
# 0.75 cosine 0.07-0.17. These are the highest that cost nothing, halved for cosine.
LEXICAL_FLOOR = 0.1
SEMANTIC_FLOOR = 0.25
# Each ranking's weight in the fusion. Measured on the same split: lexical 1.5 lost 0.10
# at 2k, semantic 1.5 moved recall by under 0.01 either way; equal weights (plain RRF)
# stay. There the fused window beat the better single ranking at every budget.
LEXICAL_WEIGHT = 1.0
SEMANTIC_WEIGHT = 1.0


class Ranked(NamedTuple):
    """An entry's place in a ranking: its version and score (higher is better), and what
    a window decides with before it reads the entry whole: its tokens, whether it
    belongs to a tool-call group (`in_tool_group`), whose partners must be read with it,
    and for a grouped entry where that group's read starts and ends (`group_start` and
    `group_end`; None when not known, and then the group is looked for on both sides of
    the entry).

    Rankings return these rather than entries: most ranked entries never reach a window,
    and reading each whole was most of a query window's cost. A named tuple: a window
    makes hundreds (each ranking's, then the fused), in 0.6 us each against 1.25 for a
    frozen attrs class."""

    version: int
    score: float
    token_count: int
    grouped: bool = False
    group_start: int | None = None
    group_end: int | None = None


def ranked(
    entry: Entry,
    score: float,
    *,
    before: Sequence[Entry] | None = None,
    after: Sequence[Entry] | None = None,
) -> Ranked:
    """The entry's place in a ranking with `score`; with `before` (the history's entries
    within TOOL_REACH before it), where its group's read starts, and with `after` too
    (those within TOOL_REACH after it), where that read ends."""
    grouped = in_tool_group(entry)
    start = end = None
    if grouped and before is not None:
        start = group_start(entry, before)
        if start is not None and after is not None:
            end = group_end(entry, start, [*before, entry, *after])
    return Ranked(
        version=entry.version, score=score, token_count=entry.token_count, grouped=grouped,
        group_start=start, group_end=end,
    )


@attrs.frozen(kw_only=True, repr=False, eq=False)
class Relevance(Record):
    """The semantic and lexical rankings of a context's active entries for one query.

    Both hold only eligible active entries (messages after the newest summary's range,
    not pinned), best first.
    """

    semantic: tuple[Ranked, ...] = ()
    lexical: tuple[Ranked, ...] = ()


@attrs.frozen(kw_only=True, repr=False, eq=False)
class RankBasis(Record):
    """What a caller already read of the history a ranking is over: its last version
    (the head, or `at`) and how far its compaction state reached then. A store that would
    otherwise read them first may rank on them instead."""

    upto: int
    compacted_through: int


@attrs.frozen(kw_only=True, repr=False, eq=False)
class RankQuery(Record):
    """What a window asks the rankings: the query's searchable terms (`lexical_query`)
    and its vector, each None when not given, and how deep each ranking goes."""

    text: str | None
    embedding: Sequence[float] | None
    k: int


def above_floor(ranking: Sequence[Ranked], floor: float) -> Sequence[Ranked]:
    """The ranking's head whose scores reach `floor` times its best (all of it when the
    best is not positive: a cosine ranking may be all negative, and then nothing stands
    out to measure against)."""
    if not ranking or floor <= 0 or ranking[0].score <= 0:
        return ranking
    least = floor * ranking[0].score
    return [r for r in ranking if r.score >= least]


def fuse(relevance: Relevance, *, k: int = RRF_K) -> tuple[Ranked, ...]:
    """Weighted reciprocal rank fusion over the rankings cut at their floors: the sum of
    weight/(k + rank), best first.

    Only ranks count, so cosine and BM25 need no common scale; ties go
    to the newer entry, as in the adapters' rankings.
    """
    scores: dict[int, float] = {}
    places: dict[int, Ranked] = {}
    rankings = (
        (above_floor(relevance.semantic, SEMANTIC_FLOOR), SEMANTIC_WEIGHT),
        (above_floor(relevance.lexical, LEXICAL_FLOOR), LEXICAL_WEIGHT),
    )
    for ranking, weight in rankings:
        for rank, ranked in enumerate(ranking, start=1):
            v = ranked.version
            scores[v] = scores.get(v, 0.0) + weight / (k + rank)
            places[v] = ranked
    # Positionally: namedtuple._replace costs 2 us a place, a window fuses hundreds.
    return tuple(Ranked(v, s, *places[v][2:]) for v, s in best_first(scores, len(scores)))


# How far down the fused ranking a window looks: while the entries' own tokens, in fused
# order, stay within this many times the relevant share. Further down, an entry could only
# fill a gap that bigger groups left, and reading the neighbours and tool partners of every
# ranked entry was most of a query window's reads. Chosen on eval_forms' tuning split
# (pooled recall at 2k/4k/8k/16k, text, vector and both): 2.0, 1.5, 1.25 and 1.1 left
# every figure as it was without the cut, 1.0 lost 0.01 at 2k; 1.25 keeps a margin above
# that loss. Held out, 1.25 and 1.5 gave the same recall on every form and budget. Tail
# entries count nothing (read already): a short history's best matches are often recent,
# and counting them crowded the older ones out (tests/contract/test_query_window.py).
RELEVANT_HEAD = 1.25


def relevant_head(
    fused: Sequence[Ranked], share_tokens: float, tail: Collection[int] = ()
) -> tuple[Ranked, ...]:
    """The head of the fused ranking a window of `share_tokens` relevant tokens chooses
    from: entries in fused order while their own tokens stay within RELEVANT_HEAD times
    the share (the first always). Entries of the candidates' `tail` (versions) count
    nothing: they are read already, and recency may send them anyway."""
    limit = RELEVANT_HEAD * share_tokens
    spent = 0
    for i, scored in enumerate(fused):
        if scored.version in tail:
            continue
        spent += scored.token_count
        if spent > limit and i > 0:
            return tuple(fused[:i])
    return tuple(fused)


def select_query_window(
    candidates: WindowCandidates,
    *,
    budget: int,
    reserve: int = 0,
    share: float = 0.5,
    neighbours: int = 0,
    cache_block: int | None = None,
) -> Window:
    """Pins, the summary, the latest turn, then relevant older entries (with their
    tool-call partners and neighbours) up to `share` of the budget, then recent entries.

    With `cache_block` (tokens), the recent entries older than the latest turn start at a
    block boundary and the relevant ones are sent after them, before the latest turn
    (domain.cache_window). Without relevant candidates this is exactly `select_window`.
    """
    if not candidates.relevant:
        return select_window(
            candidates, budget=budget, reserve=reserve, cache_block=cache_block
        )
    check_relevance_knobs(share, neighbours)
    available = budget - reserve
    chosen, used = window_head(candidates, budget=budget, reserve=reserve)
    tail = candidates.tail
    cut = latest_turn_start(tail)
    turn = tail[cut:]
    fits = sum(e.token_count for e in turn) <= available - used
    latest = recent_suffix(turn, available - used)
    chosen.extend(WindowEntry(entry=e, reason=Reason.RECENT) for e in latest)
    used += sum(e.token_count for e in latest)
    if not fits:
        # The latest turn did not fit whole: nothing older may come before its cut.
        return assemble_window(candidates, chosen, budget=budget, reserve=reserve)
    older = tail[:cut]
    room = available - used
    cap = min(room, math.floor(share * available))
    # Entries that fit even if the relevant part takes its whole share are sent anyway;
    # spending relevant tokens on them would waste the share.
    sure = {e.version for e in recent_suffix(older, room - cap)}
    pool = EntryPool(known_entries(candidates))
    relevant = _relevant_groups(candidates, chosen, pool, sure=sure, cap=cap, neighbours=neighbours)
    chosen.extend(relevant)
    used += sum(w.entry.token_count for w in relevant)
    recent = _recent_fill(older, {w.entry.version for w in chosen}, available - used)
    if cache_block is not None and recent:
        recent = _stable_fill(candidates, older, recent, cache_block)
    drop = orphans([w.entry for w in chosen] + recent, pool)
    recent = [e for e in recent if e.version not in drop]
    chosen.extend(WindowEntry(entry=e, reason=Reason.RECENT) for e in recent)
    used += sum(e.token_count for e in recent)
    latest_turn = turn[0].version if cache_block is not None and turn else None
    return assemble_window(
        candidates, chosen, budget=budget, reserve=reserve, latest_turn=latest_turn, pool=pool
    )


def _stable_fill(
    candidates: WindowCandidates, older: Sequence[Entry], recent: list[Entry], block: int
) -> list[Entry]:
    """The recent fill cut to start at the first block boundary at or after its start,
    unless it already reaches back to the start of the history."""
    first = next(i for i, e in enumerate(older) if e.version == recent[0].version)
    if first == 0 and starts_history(candidates, older[0]):
        return recent
    stable = stable_start(older, first, boundaries(candidates.tail, block))
    if stable is None:
        return recent
    return [e for e in recent if e.version >= older[stable].version]


def latest_turn_start(tail: Sequence[Entry]) -> int:
    """Index in `tail` where the latest turn starts: its last user entry, or else the
    newest entry moved back over tool results to the call they answer."""
    for i in range(len(tail) - 1, -1, -1):
        if tail[i].role is Role.USER:
            return i
    start = max(len(tail) - 1, 0)
    while start > 0 and tail[start].role is Role.TOOL:
        start -= 1
    return start


def _relevant_groups(
    candidates: WindowCandidates,
    chosen: list[WindowEntry],
    pool: EntryPool,
    *,
    sure: set[int],
    cap: int,
    neighbours: int,
) -> list[WindowEntry]:
    """Greedy by fused score: each relevant entry's group whose new tokens still fit."""
    taken = {w.entry.version for w in chosen}
    out: list[WindowEntry] = []
    spent = 0
    for scored in candidates.relevant:
        if spent >= cap:
            break
        entry = pool.get(scored.entry.version)
        if entry is None or entry.version in taken or entry.version in sure:
            continue
        if spent + entry.token_count > cap:
            continue  # its group costs at least as much: no need to build it
        group = group_with_neighbours(entry, pool, neighbours)
        if group is None:
            continue
        new = [e for e in group if e.version not in taken and e.version not in sure]
        cost = sum(e.token_count for e in new)
        if spent + cost > cap:
            continue
        spent += cost
        taken.update(e.version for e in new)
        out.extend(
            WindowEntry(
                entry=e,
                reason=Reason.RELEVANT,
                score=scored.score if e.version == entry.version else None,
            )
            for e in new
        )
    return out


def _recent_fill(older: Sequence[Entry], taken: set[int], room: int) -> list[Entry]:
    """The newest entries of `older` not yet taken, back to the first that does not fit."""
    used = 0
    start = len(older)
    while start > 0:
        entry = older[start - 1]
        if entry.version not in taken:
            if used + entry.token_count > room:
                break
            used += entry.token_count
        start -= 1
    return [e for e in older[start:] if e.version not in taken]


# How deep each ranking goes: as many entries as the relevant share could hold at
# RELEVANT_ENTRY_TOKENS each, within bounds (bench/eval_recall.py: a fixed 40 lost a
# tenth of the evidence at 8k tokens that this depth keeps).
RELEVANT_ENTRY_TOKENS = 20
RELEVANT_K_MIN = 20
RELEVANT_K_MAX = 200
# How far from a relevant entry its tool call or results are looked for (results follow
# their call; a group spread wider than this is left out rather than split): a result's
# call within this many versions before it, the results within this many after the call.
TOOL_REACH = 8


def relevant_depth(available: int, share: float) -> int:
    """How many entries each ranking returns for a window of `available` tokens."""
    fits = int(available * share) // RELEVANT_ENTRY_TOKENS
    return max(RELEVANT_K_MIN, min(RELEVANT_K_MAX, fits))


def group_start(entry: Entry, before: Sequence[Entry]) -> int | None:
    """Where a read of the entry's tool-call group starts: the newest of the entry itself
    and `before` (the history's entries up to TOOL_REACH versions before it) that makes
    tool calls. A call starts its own group; a result answers a call made before it (a
    provider wants the call right before its results, so no other call comes between);
    None when there is no such call within reach (then the result cannot be sent)."""
    if entry.tool_calls:
        return entry.version
    nearest = [
        e.version
        for e in before
        if e.tool_calls and entry.version - TOOL_REACH <= e.version < entry.version
    ]
    return max(nearest) if nearest else None


def group_end(entry: Entry, start: int, around: Sequence[Entry]) -> int:
    """Where a read of the entry's tool-call group, started at `start` (its group_start),
    ends: the newest tool result within TOOL_REACH after the start (among `around`, the
    history's entries there), or the entry itself when it is newer. A read from the
    start reaches no further for the group's partners (versions_around), and they are
    tool results: past the newest one, it finds none."""
    results = [
        e.version
        for e in around
        if e.role is Role.TOOL and start < e.version <= start + TOOL_REACH
    ]
    return max([entry.version, *results])


def versions_around(places: Iterable[Ranked | Entry], neighbours: int) -> set[int]:
    """Versions whose entries may have to travel with these (ranked places or entries):
    themselves and their neighbours; for a place in a tool-call group, the versions from
    where its group starts through where it ends (its `group_start` and `group_end`; the
    TOOL_REACH versions from the start where the end is not known), and for an entry (or
    a place whose start is not known), those within TOOL_REACH either side of it."""
    wanted: set[int] = set()
    for p in places:
        if isinstance(p, Ranked):
            grouped, start, end = p.grouped, p.group_start, p.group_end
        else:
            grouped, start, end = in_tool_group(p), None, None
        if grouped and start is not None:
            wanted.update(range(start, (start + TOOL_REACH if end is None else end) + 1))
            span = neighbours
        else:
            span = max(TOOL_REACH if grouped else 0, neighbours)
        wanted.update(range(p.version - span, p.version + span + 1))
    return wanted
