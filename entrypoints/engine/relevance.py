"""Gathering what a query-aware window chooses from: the fused ranking and its companions."""

from __future__ import annotations

import attrs

from domain.model import Entry
from domain.relevance import Relevance, fuse, relevant_head, versions_around
from domain.window import ScoredEntry, WindowCandidates
from ports.version_log import VersionLog


def with_relevance(
    tenant_id: str,
    context_id: str,
    candidates: WindowCandidates,
    relevance: Relevance,
    *,
    log: VersionLog,
    neighbours: int,
    share_tokens: float,
) -> WindowCandidates:
    """The candidates with the head of the fused ranking a window of `share_tokens`
    relevant tokens chooses from, and the entries around those (`relevance` ranked as of
    the candidates' version and compaction state)."""
    known = {e.version: e for e in candidates.tail}
    head = relevant_head(fuse(relevance), share_tokens, known)
    if not head:
        return candidates

    def read_missing(wanted: set[int]) -> list[Entry]:
        todo = sorted(
            v
            for v in wanted
            if candidates.compacted_through < v <= candidates.head_version and v not in known
        )
        found = list(log.read_versions(tenant_id, context_id, todo)) if todo else []
        known.update((e.version, e) for e in found)
        return found

    # The rankings gave places, not entries: the head and what may travel with it are
    # read whole in one read.
    found = read_missing(versions_around(head, neighbours))
    if neighbours > 0:
        # A second, bounded pass: the tool-call partners of neighbours found in the first.
        # Without neighbours there are none to pair: a ranked entry's own group lies within
        # TOOL_REACH of where it starts (Ranked.group_start), which the first pass read.
        read_missing(versions_around(found, 0))
    # A ranked entry gone since it was ranked (a purge in between) is not sent.
    fused = tuple(
        ScoredEntry(entry=known[r.version], score=r.score) for r in head if r.version in known
    )
    tail = {e.version for e in candidates.tail}
    companions = tuple(known[v] for v in sorted(known) if v not in tail)
    return attrs.evolve(candidates, relevant=fused, companions=companions)
