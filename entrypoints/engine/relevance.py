"""Gathering what a query-aware window chooses from: the fused ranking and its companions."""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from domain.model import Entry
from domain.relevance import (
    RankBasis,
    fuse,
    lexical_query,
    relevant_head,
    versions_around,
)
from domain.window import WindowCandidates
from ports.ranking import Ranking
from ports.version_log import VersionLog


def with_relevance(
    tenant_id: str,
    context_id: str,
    candidates: WindowCandidates,
    *,
    ranking: Ranking,
    log: VersionLog,
    query: str | None,
    embedding: Sequence[float] | None,
    neighbours: int,
    depth: int,
    share_tokens: float,
    at: int | None = None,
    summaries: bool = True,
) -> WindowCandidates:
    """The candidates with the head of the fused ranking a window of `share_tokens`
    relevant tokens chooses from, and the entries around those."""
    # The candidates were read as of the same version: the ranking need not read it again.
    basis = RankBasis(upto=candidates.head_version, compacted_through=candidates.compacted_through)
    relevance = ranking.rank_relevant(
        tenant_id, context_id, text=lexical_query(query), embedding=embedding, k=depth, at=at,
        summaries=summaries, basis=basis,
    )
    fused = relevant_head(fuse(relevance), share_tokens)
    if not fused:
        return candidates
    ranked = [s.entry for s in fused]
    known = {e.version: e for e in (*candidates.tail, *ranked)}

    def read_missing(wanted: set[int]) -> list[Entry]:
        todo = sorted(
            v
            for v in wanted
            if candidates.compacted_through < v <= candidates.head_version and v not in known
        )
        found = list(log.read_versions(tenant_id, context_id, todo)) if todo else []
        known.update((e.version, e) for e in found)
        return found

    found = read_missing(versions_around(ranked, neighbours))
    if neighbours > 0:
        # A second, bounded pass: the tool-call partners of neighbours found in the first.
        # Without neighbours there are none to pair: a ranked entry's own group lies within
        # TOOL_REACH of it, which the first pass read whole.
        read_missing(versions_around(found, 0))
    tail = {e.version for e in candidates.tail}
    companions = tuple(known[v] for v in sorted(known) if v not in tail)
    return attrs.evolve(candidates, relevant=fused, companions=companions)
